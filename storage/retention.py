"""What retention reads and deletes, over any Store: one document at a time, each conditional.

Every write is made over the version read (`if_match`), so a record that changed meanwhile (a
user who came back, a delivery claimed again) is left for the next run, never overwritten.
"""

from __future__ import annotations

import contextlib
from datetime import date

from storage.base import Collection, ConflictError, Document, JsonDict, Store, safe_key

# The LOCKS document that says which London day the daily run last finished.
_DAY_MARK = "retention-day"


def dialog_state_key(channel_id: str, conversation_id: str) -> str:
    """Where a conversation's dialog state is kept (storage/botstate.py's key for botbuilder's
    ConversationState key, `{channel}/conversations/{conversation id}`)."""
    return safe_key("bot", f"{channel_id}/conversations/{conversation_id}")


class RetentionRecords:
    """The collections retention sweeps, as documents with their e-tags."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def all(self, collection: Collection) -> list[Document]:
        """Every document of a collection (retention runs once a day)."""
        return await self._store.list(collection)

    async def audit_docs(self, reference: str) -> list[Document]:
        """A case's audit entries as documents, oldest first."""
        return await self._store.list(Collection.AUDIT, prefix=f"{reference}/")

    async def get(self, collection: Collection, key: str) -> Document | None:
        """One document, or None."""
        return await self._store.get(collection, key)

    async def replace(self, collection: Collection, doc: Document, data: JsonDict) -> bool:
        """Write over exactly the version read; False when it changed meanwhile."""
        try:
            await self._store.put(collection, doc.key, data, if_match=doc.etag)
        except ConflictError:
            return False
        return True

    async def remove(self, collection: Collection, doc: Document) -> bool:
        """Delete exactly the version read; False when it changed or went meanwhile."""
        try:
            return await self._store.delete(collection, doc.key, if_match=doc.etag)
        except ConflictError:
            return False

    async def deliveries_of(self, reference: str) -> list[Document]:
        """A case's delivery records."""
        return await self._store.list(Collection.DELIVERIES, where={"reference": reference})

    async def ran_on(self) -> date | None:
        """The London day the daily run last finished, if any."""
        doc = await self._store.get(Collection.LOCKS, _DAY_MARK)
        if doc is None:
            return None
        with contextlib.suppress(ValueError, TypeError):
            return date.fromisoformat(str(doc.data.get("day")))
        return None

    async def mark_ran(self, day: date) -> None:
        """Record that the daily run finished for a London day."""
        await self._store.put(Collection.LOCKS, _DAY_MARK, {"day": day.isoformat()})
