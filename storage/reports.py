"""The monthly report's chart images, kept so that Teams can fetch each from the bot by URL.

Teams fetches card images without signing in, so the unguessable random token in the URL is
what keeps the image to those who were shown the card. The image holds counts only.

The image is kept under a digest of partnership, month and token together, so a request is one
read by the whole key whichever part is wrong: a guess at a partnership or month that has a
chart takes as long to miss as any other guess. A small document per partnership and month
names the current image, so a retry replaces it (the image before it is deleted).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from storage.base import Collection, Store


def chart_key(partnership_id: str, month: str) -> str:
    """The storage key naming a partnership's current chart for one month ('2027-03')."""
    return f"chart-month:{partnership_id}:{month}"


def chart_image_key(partnership_id: str, month: str, token: str) -> str:
    """The storage key of one chart image: a digest of all three parts of its URL."""
    whole = "\n".join((partnership_id, month, token)).encode("utf-8", "surrogatepass")
    return "chart-image:" + hashlib.sha256(whole).hexdigest()


class ChartStore:
    """Keeps and finds chart images by partnership, month and token."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def keep(self, partnership_id: str, month: str, png: bytes, *, now: datetime) -> str:
        """Keep a chart (over any kept before for that month); return its new token."""
        token = secrets.token_urlsafe(16)
        image_key = chart_image_key(partnership_id, month, token)
        await self._store.put(
            Collection.REPORTS,
            image_key,
            {
                "partnership_id": partnership_id,
                "month": month,
                "token": token,
                "png": base64.b64encode(png).decode("ascii"),
                "made_at": now.isoformat(),
            },
        )
        current = chart_key(partnership_id, month)
        before = await self._store.get(Collection.REPORTS, current)
        await self._store.put(Collection.REPORTS, current, {"image": image_key})
        # A crash before this leaves the old image kept but named by nothing but its old URL.
        if before is not None and before.data.get("image") not in (None, image_key):
            await self._store.delete(Collection.REPORTS, str(before.data["image"]))
        return token

    async def find(self, partnership_id: str, month: str, token: str) -> bytes | None:
        """The chart's PNG if this token is its current one; None otherwise."""
        doc = await self._store.get(
            Collection.REPORTS, chart_image_key(partnership_id, month, token)
        )
        if doc is None or not hmac.compare_digest(
            str(doc.data.get("token", "")).encode(), token.encode("utf-8", "surrogatepass")
        ):
            return None
        return base64.b64decode(str(doc.data["png"]))
