"""Activities already handled, by whichever replica: so a redelivered activity is dropped.

Teams delivers an activity again when the bot has not answered in about 15 s, and the second
delivery may reach another replica. Each activity is recorded under its channel, conversation
and id with a create-only write before its turn runs, so exactly one delivery gets to run it:
- while that turn runs, the record says so for IN_FLIGHT; a redelivery meanwhile is dropped;
- a turn that ended quickly was answered before Teams would redeliver: nothing more is
  written (one write per turn). A slow turn (SLOW_TURN or more), which Teams may have retried
  more than once, is marked done and kept for KEEP_DONE, so later retries are dropped too;
- a record still in flight after IN_FLIGHT belongs to a replica that died mid-turn: the next
  delivery takes it over (a conditional write, so only one does) and runs the turn.
Expired records are deleted by `sweep`, which the reminder tick runs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.base import Collection, ConflictError, Store, safe_key

# Longer than Teams waits before redelivering (about 15 s), so a slow turn is not run twice.
IN_FLIGHT = timedelta(seconds=30)
# A turn this slow may have outlasted Teams' wait (about 15 s), so a retry may follow it.
SLOW_TURN = timedelta(seconds=10)
# Redeliveries come within minutes; an hour is ample and keeps the collection small.
KEEP_DONE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Seen:
    """This replica's hold on one activity: the record's key and e-tag, and when it began."""

    key: str
    etag: str
    begun: datetime


def activity_key(channel_id: str, conversation_id: str, activity_id: str) -> str:
    """The record's key: Teams ids may hold characters a key cannot, so they may be hashed."""
    return safe_key("seen", f"{channel_id}|{conversation_id}|{activity_id}")


class SeenActivities:
    """The shared record of which activities have been (or are being) handled."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def begin(self, key: str, *, now: datetime) -> Seen | None:
        """Hold the activity for this turn; None when another delivery has it (drop this one)."""
        body = {"state": "in_flight", "expires": (now + IN_FLIGHT).isoformat()}
        try:
            etag = await self._store.put(Collection.SEEN, key, body, if_none_match=True)
        except ConflictError:
            pass
        else:
            return Seen(key, etag, now)
        doc = await self._store.get(Collection.SEEN, key)
        if doc is None or not _expired(doc.data, now):
            return None  # handled, or being handled; a deleted record was handled too
        # Expired: a turn in flight whose replica died, or a done record not yet swept (so
        # old that this cannot be a redelivery). One delivery takes it over.
        try:
            etag = await self._store.put(Collection.SEEN, key, body, if_match=doc.etag)
        except ConflictError:
            return None
        return Seen(key, etag, now)

    async def done(self, seen: Seen, *, now: datetime) -> None:
        """The turn has ended: if it was slow, keep the record a while, so retries are dropped."""
        if now - seen.begun < SLOW_TURN:
            return  # answered before any retry: the in-flight record covers the rest
        body = {"state": "done", "expires": (now + KEEP_DONE).isoformat()}
        with contextlib.suppress(ConflictError):
            # Taken over meanwhile (this turn outlived IN_FLIGHT): the new holder writes it.
            await self._store.put(Collection.SEEN, seen.key, body, if_match=seen.etag)

    async def sweep(self, now: datetime) -> int:
        """Delete every expired record; return how many."""
        removed = 0
        for doc in await self._store.list(Collection.SEEN):
            if not _expired(doc.data, now):
                continue
            with contextlib.suppress(ConflictError):
                await self._store.delete(Collection.SEEN, doc.key, if_match=doc.etag)
                removed += 1
        return removed


def _expired(data: dict[str, object], now: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(data.get("expires"))) <= now
    except ValueError:
        return True  # unreadable: it protects nothing
