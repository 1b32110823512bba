"""The monthly report's chart images, kept so that Teams can fetch each from the bot by URL.

One document per partnership and month (a retry replaces it), holding the PNG and the random
token its URL carries: Teams fetches card images without signing in, so the unguessable token
is what keeps the image to those who were shown the card. The image holds counts only.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from datetime import datetime

from storage.base import Collection, Store

MONTH = re.compile(r"^\d{4}-\d{2}$")
# 128 random bits, URL-safe: 22 characters.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def chart_key(partnership_id: str, month: str) -> str:
    """The storage key of a partnership's chart for one month ('2027-03')."""
    return f"chart:{partnership_id}:{month}"


class ChartStore:
    """Keeps and finds chart images by partnership, month and token."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def keep(self, partnership_id: str, month: str, png: bytes, *, now: datetime) -> str:
        """Keep a chart (over any kept before for that month); return its new token."""
        token = secrets.token_urlsafe(16)
        await self._store.put(
            Collection.REPORTS,
            chart_key(partnership_id, month),
            {
                "partnership_id": partnership_id,
                "month": month,
                "token": token,
                "png": base64.b64encode(png).decode("ascii"),
                "made_at": now.isoformat(),
            },
        )
        return token

    async def find(self, partnership_id: str, month: str, token: str) -> bytes | None:
        """The chart's PNG if this token is its current one; None otherwise."""
        if not (MONTH.match(month) and TOKEN.match(token)):
            return None
        doc = await self._store.get(Collection.REPORTS, chart_key(partnership_id, month))
        if doc is None or not hmac.compare_digest(str(doc.data.get("token", "")), token):
            return None
        return base64.b64decode(str(doc.data["png"]))
