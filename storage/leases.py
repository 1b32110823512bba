"""Leases: one holder at a time for a job that runs on every replica (the reminder tick).

A lease is one document in LOCKS: who holds it and until when. It is taken with a create-only
write, or over an expired lease with a write conditional on the version read; renewed the same
way; released by a conditional delete. So it works on any Store, and a holder that died loses
the lease when it expires.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.base import Collection, ConflictError, Store, check_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease this holder has: until when, and the e-tag to renew or release it over."""

    name: str
    holder: str
    expires: datetime
    etag: str


class Leases:
    """Takes, renews and releases named leases for one holder (one replica)."""

    def __init__(self, store: Store, *, holder: str) -> None:
        self._store = store
        self._holder = holder

    @property
    def holder(self) -> str:
        """Who this replica is, as its leases name it."""
        return self._holder

    async def take(self, name: str, *, now: datetime, ttl: timedelta) -> Lease | None:
        """The lease, if nobody else holds it unexpired; None otherwise."""
        key = check_key(name)
        doc = await self._store.get(Collection.LOCKS, key)
        if doc is not None:
            try:
                expires = datetime.fromisoformat(str(doc.data.get("expires")))
            except ValueError:
                expires = now  # unreadable: treat as expired, it holds nothing
            held_by = doc.data.get("holder")
            if held_by != self._holder and expires > now:
                return None
            if held_by != self._holder:
                logger.info("lease %s: taken over from a holder whose lease expired", name)
        return await self._write(name, now=now, ttl=ttl, etag=doc.etag if doc else None)

    async def renew(self, lease: Lease, *, now: datetime, ttl: timedelta) -> Lease | None:
        """The lease held longer; None if it was lost (expired and taken by someone else)."""
        return await self._write(lease.name, now=now, ttl=ttl, etag=lease.etag)

    async def release(self, lease: Lease) -> None:
        """Give the lease up; if it was already lost, the new holder's lease stands."""
        with contextlib.suppress(ConflictError):
            await self._store.delete(Collection.LOCKS, lease.name, if_match=lease.etag)

    async def _write(
        self, name: str, *, now: datetime, ttl: timedelta, etag: str | None
    ) -> Lease | None:
        expires = now + ttl
        body = {"holder": self._holder, "taken": now.isoformat(), "expires": expires.isoformat()}
        try:
            new_etag = await self._store.put(
                Collection.LOCKS, name, body, if_match=etag, if_none_match=etag is None
            )
        except ConflictError:
            return None  # another holder wrote first
        return Lease(name=name, holder=self._holder, expires=expires, etag=new_etag)
