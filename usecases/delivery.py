"""Proactive posts that go out at most once, whichever replica (or turn, or tick) sends them.

Every post the bot makes on its own — a reminder, a digest, a case card, the card that tells a
home partnership, a referrer's acknowledgement finished after a crash — is claimed in the
delivery log under one key before it is sent (`storage/deliveries.py` has the crash rules).
Two senders of the same key, in one process or two, end with one post.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from safeguarding.cases import Case
from safeguarding.clocks import Clock
from safeguarding.partnerships import Partnership
from storage.cases import CaseRepository
from storage.deliveries import FINAL_STATES, Claim, DeliveryLog, DeliveryState
from usecases.errors import (
    ClaimTakenError,
    ConversationGoneError,
    DeliveryUncertainError,
    NotifierError,
)
from usecases.ports import CaseAnnouncer, about_to_send

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What one delivery attempt came to."""

    SENT = "sent"  # posted now
    FAILED = "failed"  # tried now and not (or maybe not) posted; the log says which
    SKIPPED = "skipped"  # not tried: posted before, being posted elsewhere, or settled


@dataclass(frozen=True, slots=True)
class Delivered:
    """The outcome of one delivery, and the activity id when it was posted now."""

    key: str
    outcome: Outcome
    activity_id: str | None = None
    # Posted, or never to be posted again (whoever did it): a later tick need not even ask.
    settled: bool = False


class OnceSender:
    """Claims a delivery key, posts, and records the outcome: one post per key, ever."""

    def __init__(self, *, log: DeliveryLog, clock: Clock, owner: str) -> None:
        self._log = log
        self._clock = clock
        self._owner = owner

    @property
    def log(self) -> DeliveryLog:
        """The delivery log the claims are kept in."""
        return self._log

    async def deliver(
        self, key: str, post: Callable[[], Awaitable[str]], details: dict[str, Any]
    ) -> Delivered:
        """Claim, post and record one delivery."""
        # Each claim is stamped with the moment it is made, not when a tick began: a long
        # catch-up tick must not make its own fresh claims look stale to another process.
        claim = await self._log.try_claim(
            key, owner=self._owner, now=self._clock.now(), details=details
        )
        if not isinstance(claim, Claim):
            return Delivered(key, Outcome.SKIPPED, settled=claim in FINAL_STATES)
        marked: list[Claim] = []

        async def mark_sending() -> None:
            if marked:
                return  # a retry of the same post: already recorded as being sent
            sending = await self._log.sending(claim, self._clock.now())
            if sending is None:
                # Taken over while this process was slow: the one that took it posts.
                raise ClaimTakenError(key)
            marked.append(sending)

        token = about_to_send.set(mark_sending)
        try:
            activity_id = await post()
        except ClaimTakenError:
            return Delivered(key, Outcome.SKIPPED)
        except NotifierError as exc:
            await self._record_failure(marked[0] if marked else claim, exc)
            return Delivered(key, Outcome.FAILED)
        finally:
            about_to_send.reset(token)
        if not marked:
            # A sender that never said when it sent (a fake, say): it was posted; record that,
            # over a takeover's record if need be (`sent` keeps a landed post as sent).
            try:
                await mark_sending()
            except ClaimTakenError:
                marked.append(claim)
        await self._log.sent(marked[0], activity_id=activity_id, now=self._clock.now())
        return Delivered(key, Outcome.SENT, activity_id, settled=True)

    async def _record_failure(self, claim: Claim, exc: NotifierError) -> None:
        if isinstance(exc, DeliveryUncertainError):
            state = DeliveryState.UNCERTAIN
        elif isinstance(exc, ConversationGoneError):
            state = DeliveryState.GONE
        else:
            # Not posted; this includes a team the bot has not joined yet: keep trying.
            state = DeliveryState.FAILED
        logger.warning("delivery %s not posted (%s): %s", claim.delivery.key, state.value, exc)
        await self._log.failed(claim, state=state, reason=str(exc))


def case_card_key(reference: str) -> str:
    """The delivery key of a case's first post to its review channel."""
    return f"post|{reference}"


def told_key(reference: str) -> str:
    """The delivery key of the card that tells the child's home partnership of a case."""
    return f"told|{reference}"


def _details(case: Case, partnership_id: str, kind: str) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "partnership_id": partnership_id,
        "kind": kind,
        "milestone": kind,
        "due": case.submitted_at.date().isoformat(),
    }


class CaseAnnouncements:
    """A new case's cards, posted once: by the filing turn, or by a tick if that one failed.

    The turn and the tick claim the same delivery key, so a tick running while the turn posts
    (in this replica or another) skips it rather than posting the card a second time.
    """

    def __init__(
        self,
        *,
        announcer: CaseAnnouncer,
        cases: CaseRepository,
        sender: OnceSender,
        clock: Clock,
    ) -> None:
        self._announcer = announcer
        self._cases = cases
        self._sender = sender
        self._clock = clock

    async def post_case_card(self, case: Case, partnership: Partnership) -> Delivered:
        """Post the case card to the review channel once, and keep its activity id."""
        key = case_card_key(case.reference)
        done = await self._sender.deliver(
            key,
            lambda: self._announcer.announce_case(case, partnership),
            _details(case, partnership.id, "case_card"),
        )
        await self._keep(done, case.reference, self._cases.record_post)
        return done

    async def tell_home_partnership(
        self, case: Case, lead: Partnership, told: Partnership
    ) -> Delivered:
        """Post the short card to the child's home partnership once, and keep its id."""
        key = told_key(case.reference)
        # The lead's digest lists it if it never goes: the lead must tell them.
        done = await self._sender.deliver(
            key,
            lambda: self._announcer.tell_partnership(case, lead, told),
            _details(case, lead.id, "told"),
        )
        await self._keep(done, case.reference, self._cases.record_told)
        return done

    async def _keep(
        self,
        done: Delivered,
        reference: str,
        record: Callable[..., Awaitable[bool]],
    ) -> None:
        activity_id = done.activity_id
        if done.outcome is Outcome.SKIPPED:
            # Posted earlier by a sender that stopped before noting it on the case: note it now.
            earlier = await self._sender.log.get(done.key)
            if earlier is None or earlier.state is not DeliveryState.SENT:
                return
            activity_id = earlier.activity_id
        if activity_id:
            await record(reference, activity_id, at=self._clock.now())
