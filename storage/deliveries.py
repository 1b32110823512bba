"""The reminder delivery log: each reminder is claimed before it is posted, so it posts once.

The rule for a process that dies mid-delivery:
- claimed, but the send never started (state CLAIMED): after CLAIM_TIMEOUT another process may
  claim it again and post it; nothing had gone out.
- the send had started (state SENDING) and no outcome was recorded: the post may have landed,
  and the connector cannot be asked. After CLAIM_TIMEOUT it is marked UNCERTAIN and never
  posted again; the weekly digest lists it so a lead can check the channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from storage.base import Collection, ConflictError, Store

CLAIM_TIMEOUT = timedelta(minutes=10)
# A failed delivery is tried again at each tick this many times, then once an hour.
MAX_ATTEMPTS = 5
SLOW_RETRY = timedelta(hours=1)


class DeliveryState(StrEnum):
    """Where one reminder's delivery stands."""

    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # definitely not posted; retried (quickly, then hourly)
    GONE = "gone"  # the channel no longer exists or refuses the bot: not retried
    UNCERTAIN = "uncertain"  # may have been posted: never posted again


# A delivery in one of these is settled for good: no process ever claims or posts it again.
FINAL_STATES = frozenset({DeliveryState.SENT, DeliveryState.GONE, DeliveryState.UNCERTAIN})


class Delivery(BaseModel):
    """One reminder's delivery record."""

    model_config = ConfigDict(extra="forbid")

    key: str
    reference: str
    partnership_id: str
    kind: str
    milestone: str
    due: str
    state: DeliveryState
    owner: str
    claimed_at: datetime
    attempts: int = 1
    sending_since: datetime | None = None
    sent_at: datetime | None = None
    activity_id: str | None = None
    reason: str | None = None
    late: bool = False


class Claim(BaseModel):
    """A claim held by this process: the delivery and the e-tag to write its outcome over."""

    model_config = ConfigDict(frozen=True)

    delivery: Delivery
    etag: str


class DeliveryLog:
    """Claims, outcomes and history of reminder deliveries, by idempotency key."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, key: str) -> Delivery | None:
        """The delivery record of a reminder key."""
        doc = await self._store.get(Collection.DELIVERIES, key)
        return Delivery.model_validate(doc.data) if doc else None

    async def claim(
        self, key: str, *, owner: str, now: datetime, details: dict[str, Any]
    ) -> Claim | None:
        """Claim a reminder for sending; None when it is sent, being sent, or settled otherwise."""
        taken = await self.try_claim(key, owner=owner, now=now, details=details)
        return taken if isinstance(taken, Claim) else None

    async def try_claim(
        self, key: str, *, owner: str, now: datetime, details: dict[str, Any]
    ) -> Claim | DeliveryState | None:
        """As `claim`, but a delivery that cannot be claimed gives the state it is in now (None
        when another process claimed it a moment ago)."""
        doc = await self._store.get(Collection.DELIVERIES, key)
        if doc is None:
            delivery = Delivery(
                key=key, state=DeliveryState.CLAIMED, owner=owner, claimed_at=now, **details
            )
            try:
                etag = await self._store.put(
                    Collection.DELIVERIES, key, delivery.model_dump(mode="json"), if_none_match=True
                )
            except ConflictError:
                return None  # another process claimed it a moment ago
            return Claim(delivery=delivery, etag=etag)
        current = Delivery.model_validate(doc.data)
        stale = now - current.claimed_at > CLAIM_TIMEOUT
        if current.state is DeliveryState.SENDING and stale:
            await self._settle(
                doc.etag, current, DeliveryState.UNCERTAIN, "process stopped mid-send"
            )
            # Or whatever another process settled it as first: sent or uncertain, final too.
            return DeliveryState.UNCERTAIN
        retry = current.state is DeliveryState.FAILED and (
            current.attempts < MAX_ATTEMPTS or now - current.claimed_at > SLOW_RETRY
        )
        if not (retry or (current.state is DeliveryState.CLAIMED and stale)):
            return current.state
        again = current.model_copy(
            update={
                "state": DeliveryState.CLAIMED,
                "owner": owner,
                "claimed_at": now,
                "attempts": current.attempts + 1,
                **details,
            }
        )
        try:
            etag = await self._store.put(
                Collection.DELIVERIES, key, again.model_dump(mode="json"), if_match=doc.etag
            )
        except ConflictError:
            return None
        return Claim(delivery=again, etag=etag)

    async def sending(self, claim: Claim, now: datetime) -> Claim | None:
        """Record that the send starts now: from here a crash leaves the outcome uncertain.

        None when another process took the claim over meanwhile (it was slow to get here):
        that process posts, this one must not.
        """
        delivery = claim.delivery.model_copy(
            update={"state": DeliveryState.SENDING, "sending_since": now}
        )
        try:
            etag = await self._store.put(
                Collection.DELIVERIES,
                delivery.key,
                delivery.model_dump(mode="json"),
                if_match=claim.etag,
            )
        except ConflictError:
            return None
        return Claim(delivery=delivery, etag=etag)

    async def sent(self, claim: Claim, *, activity_id: str, now: datetime) -> None:
        """Record a posted reminder and its activity id (even over a takeover's record)."""
        delivery = claim.delivery.model_copy(
            update={"state": DeliveryState.SENT, "activity_id": activity_id, "sent_at": now}
        )
        try:
            await self._store.put(
                Collection.DELIVERIES,
                delivery.key,
                delivery.model_dump(mode="json"),
                if_match=claim.etag,
            )
        except ConflictError:
            # Another process judged this claim stale meanwhile. It did land: say so, so the
            # record never claims "uncertain" or invites a second post.
            await self._store.put(
                Collection.DELIVERIES, delivery.key, delivery.model_dump(mode="json")
            )

    async def failed(self, claim: Claim, *, state: DeliveryState, reason: str) -> None:
        """Record a delivery that did not (or may not have) gone out, and why."""
        await self._settle(claim.etag, claim.delivery, state, reason)

    async def _settle(
        self, etag: str, delivery: Delivery, state: DeliveryState, reason: str
    ) -> None:
        settled = delivery.model_copy(update={"state": state, "reason": reason})
        try:
            await self._store.put(
                Collection.DELIVERIES, delivery.key, settled.model_dump(mode="json"), if_match=etag
            )
        except ConflictError:
            return  # someone else settled it first; their record stands

    async def for_case(self, reference: str) -> list[Delivery]:
        """Every delivery of one case, in key order."""
        docs = await self._store.list(Collection.DELIVERIES, where={"reference": reference})
        return [Delivery.model_validate(d.data) for d in docs]

    async def in_states(self, *states: DeliveryState) -> list[Delivery]:
        """Deliveries in any of the given states (for the digest)."""
        found: list[Delivery] = []
        for state in states:
            docs = await self._store.list(Collection.DELIVERIES, where={"state": state.value})
            found.extend(Delivery.model_validate(d.data) for d in docs)
        return sorted(found, key=lambda d: d.key)
