"""Counts of how often the bot turned practitioners elsewhere: label and partnership, never text."""

from __future__ import annotations

from datetime import datetime

from safeguarding.clocks import london_time
from storage.base import Collection, ConflictError, Store

_ATTEMPTS = 20
_PREFIX = "redirects"


class RedirectCounter:
    """Monthly counters per partnership and triage label, safe under concurrent turns."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def count(self, *, label: str, partnership_id: str | None, at: datetime) -> None:
        """Add one redirect to this month's counter."""
        month = f"{london_time(at):%Y-%m}"  # months as England counts them
        key = f"{_PREFIX}:{month}:{partnership_id or 'unknown'}:{label}"
        for _ in range(_ATTEMPTS):
            doc = await self._store.get(Collection.COUNTERS, key)
            data = {
                "kind": _PREFIX,
                "month": month,
                "partnership_id": partnership_id or "unknown",
                "label": label,
                "count": (doc.data["count"] if doc else 0) + 1,
            }
            try:
                await self._store.put(
                    Collection.COUNTERS,
                    key,
                    data,
                    if_match=doc.etag if doc else None,
                    if_none_match=doc is None,
                )
            except ConflictError:
                continue
            return
        raise ConflictError(Collection.COUNTERS, key, expected=None, actual=None)

    async def report(self, month: str | None = None) -> list[tuple[str, str, str, int]]:
        """(month, partnership, label, count) rows, optionally for one month (YYYY-MM)."""
        where = {"kind": _PREFIX} | ({"month": month} if month else {})
        docs = await self._store.list(Collection.COUNTERS, where=where)
        return [
            (d.data["month"], d.data["partnership_id"], d.data["label"], d.data["count"])
            for d in docs
        ]
