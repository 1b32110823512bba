"""File a referral: take the reference, claim the draft with it, create the case; then audit,
settle the claim and announce, once the referrer has been told.

The referral dialog collects the draft step by step; this is the one transaction that turns a
finished draft into a case, and the finishing of a filing that a crash stopped half way.

Every step is safe to run again, by this turn, a later turn or another replica:
- Submit claims the draft with a new filing id (`StoredDraft.filing_id`), kept on the case it
  makes. Whoever finishes an interrupted filing confirms only the case carrying that id; a
  reference already taken by another case (a counter that was reset) is skipped, logged as a
  counter anomaly, and the next free one is used.
- The claim holds the whole referral until the referrer has been sent its reference; only
  then does the draft shrink to the marker that answers a late second Submit.
- A claim not touched for FILING_TIMEOUT was interrupted. The referrer's next Submit finishes
  it in that turn; the reminder tick (and start-up) finishes it and sends the acknowledgement
  to the referrer's personal chat. Taking a claim over is a conditional write, so only one
  turn or replica finishes each filing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cards import wording
from cards.referral import acknowledgement_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, initial_dates
from safeguarding.clocks import Clock, london_time
from safeguarding.partnerships import Partnership, Partnerships
from safeguarding.referral import Draft, Referral, ReferralError, Step, screen
from safeguarding.timeline import compute_timeline
from storage.base import StoreError
from storage.cases import (
    CaseExistsError,
    CaseRepository,
    DraftConflictError,
    DraftRepository,
    Filer,
    StoredDraft,
)
from usecases.delivery import CaseAnnouncements
from usecases.errors import UseCaseError
from usecases.people import Person
from usecases.replies import Reply, Say, Suggestion
from usecases.vocabulary import REFER_WORD, STATUS_WORD

logger = logging.getLogger(__name__)

# Offered under the acknowledgement: words the bot already understands, sent as typed.
NEXT_STEPS = (
    Suggestion(wording.SUGGEST_CHECK_STATUS, STATUS_WORD),
    Suggestion(wording.SUGGEST_START_ANOTHER, REFER_WORD),
)

# A filing claim untouched this long was interrupted (the process stopped mid-way).
FILING_TIMEOUT = timedelta(minutes=2)
# References skipped because other cases hold them, before the filing gives up.
_REFERENCE_ATTEMPTS = 10


class FilingStuckError(UseCaseError):
    """Every reference tried was another case's: the counter cannot be moved on."""

    def __init__(self, prefix: str) -> None:
        super().__init__(f"{prefix}: no free case reference found; check the counters")


def new_filing_id() -> str:
    """A fresh filing id (random: two filings never share one)."""
    return uuid.uuid4().hex


def filer_of(person: Person) -> Filer:
    """Who is filing, as the claim keeps them."""
    return Filer(
        key=person.key, user_id=person.teams_id or person.key, aad_object_id=person.aad_object_id
    )


def filed_marker(stored: StoredDraft, reference: str) -> StoredDraft:
    """What stays of a filed draft: only the marker that answers a second Submit."""
    return StoredDraft(
        draft=Draft(), started=stored.started, updated=stored.updated, filed_reference=reference
    )


@dataclass(frozen=True, slots=True)
class Filed:
    """The referral is a case now: its reference and what to tell the referrer.

    `reply` carries the acknowledgement, then (in `after`) the trail's first entry, the marker
    and the channel posts.
    """

    reference: str
    reply: Reply
    filing_id: str
    # The referrer's Teams id: where a filing finished by the tick sends the acknowledgement.
    user_id: str
    partnership_id: str

    @property
    def acknowledgement(self) -> Say:
        """The message that gives the referrer the reference (the reply's first)."""
        return self.reply.messages[0]


@dataclass(frozen=True, slots=True)
class SendBack:
    """The draft cannot be filed as it is: save this draft and show its step, after `notice`."""

    draft: Draft
    notice: str


@dataclass(frozen=True, slots=True)
class Released:
    """An interrupted filing that cannot be finished as it is: the draft is back, unclaimed."""

    stored: StoredDraft
    notice: str


@dataclass(frozen=True, slots=True)
class BeingFiled:
    """Another turn or replica holds the filing and sends the reference when it is done."""

    notice: str


@dataclass(frozen=True, slots=True)
class _Filing:
    """The filing a claim holds: its id, who pressed Submit and when."""

    id: str
    user: Filer
    since: datetime


def is_stale(stored: StoredDraft, now: datetime) -> bool:
    """Whether a claim has gone untouched long enough to be taken over."""
    held = stored.held_since()
    return held is not None and now - held >= FILING_TIMEOUT


class ReferralFiling:
    """Turns a finished draft into a case, once, and tells the review subgroup."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        drafts: DraftRepository,
        cases: CaseRepository,
        announcements: CaseAnnouncements,
        calendars: PartnershipCalendars,
        clock: Clock,
        new_id: Callable[[], str] = new_filing_id,
    ) -> None:
        self._partnerships = partnerships
        self._drafts = drafts
        self._cases = cases
        self._announcements = announcements
        self._calendars = calendars
        self._clock = clock
        self._new_id = new_id

    async def file(
        self, person: Person, stored: StoredDraft, etag: str
    ) -> Filed | SendBack | BeingFiled:
        """File the draft; a second Submit finds the claim and files nothing."""
        checked = self._check(stored.draft)
        if isinstance(checked, SendBack):
            return checked
        referral, partnership = checked
        filing = _Filing(id=self._new_id(), user=filer_of(person), since=self._clock.now())
        # What the referrer was warned this may duplicate, for the leads' card: a read, made
        # while the reference is taken and the draft claimed.
        looking = asyncio.ensure_future(self._cases.duplicates_of(referral))
        try:
            # The reference is taken first, so the claim carries it from its first write (one
            # write, not two). A crash between leaves that number unused, as one between
            # taking it and keeping it always did.
            reserved = await self._cases.reserve_reference(
                partnership.reference_prefix, london_time(filing.since).year
            )
            claim = stored.model_copy(
                update={
                    "filing_since": filing.since,
                    "filing_touched": filing.since,
                    "filing_id": filing.id,
                    "filing_user": filing.user,
                    "filing_reference": reserved.reference,
                }
            )
            try:
                claim_etag = await self._drafts.save(person.key, claim, etag)
            except DraftConflictError:
                # A second click on Submit that read the draft before this claim: it files
                # nothing, and gives its number back if no later one was taken.
                with contextlib.suppress(StoreError):  # not given back: the number stays unused
                    await self._cases.give_back(reserved)
                raise
            looked_like = await looking
        finally:
            _let_go(looking)  # a claim that failed leaves the check unread
        return await self._complete(
            filing, claim, claim_etag, referral, partnership, looked_like=looked_like
        )

    async def recover(
        self, person: Person, stored: StoredDraft, etag: str
    ) -> Filed | Released | BeingFiled:
        """An interrupted filing, at its referrer's turn: finish it (or release an unfileable
        draft back to its step)."""
        checked = self._check(stored.draft)
        if isinstance(checked, SendBack):
            logger.info("referral: interrupted filing released, the draft cannot be filed")
            released = stored.model_copy(
                update={
                    "draft": checked.draft,
                    "filing_since": None,
                    "filing_touched": None,
                    "filing_reference": None,
                    "filing_id": None,
                    "filing_user": None,
                }
            )
            await self._drafts.save(person.key, released, etag)
            return Released(released, checked.notice)
        return await self._take_over(stored, etag, stored.filing_user or filer_of(person), checked)

    async def finish_interrupted(self) -> list[Filed]:
        """Take over and finish every stale filing claim (the tick's and start-up's sweep).

        Each Filed's acknowledgement is for its referrer's personal chat; its `after` (the
        trail's first entry, the marker, then the channel posts) is to run once that has been sent.
        """
        now = self._clock.now()
        finished: list[Filed] = []
        for stored, etag in await self._drafts.claims():
            if not is_stale(stored, now):
                continue
            checked = self._check(stored.draft)
            if stored.filing_user is None or isinstance(checked, SendBack):
                # Left for the referrer's next Submit, which can say what is wrong.
                continue
            try:
                outcome = await self._take_over(stored, etag, stored.filing_user, checked)
            except FilingStuckError as exc:
                # One filing that cannot be given a reference must not hold up the others
                # (nor the reminders after them); it stays claimed and is logged each time.
                logger.error("referral: filing %s not finished: %s", stored.filing_id, exc)
                continue
            if isinstance(outcome, Filed):
                finished.append(outcome)
        return finished

    def _check(self, draft: Draft) -> SendBack | tuple[Referral, Partnership]:
        try:
            referral = draft.to_referral()
        except ReferralError as exc:
            back = draft.model_copy(update={"step": Step(exc.field), "editing": False})
            return SendBack(back, wording.REFERRAL_SECTION_MISSING)
        partnership = self._partnerships.get(referral.area.partnership_id)
        if partnership is None:
            back = draft.model_copy(update={"step": Step.AREA, "area": None})
            return SendBack(back, wording.REFERRAL_AREA_GONE)
        return referral, partnership

    async def _take_over(
        self,
        stored: StoredDraft,
        etag: str,
        user: Filer,
        checked: tuple[Referral, Partnership],
    ) -> Filed | BeingFiled:
        # A claim from before filing ids gets one now; its case, if any, is found by whom
        # and when (see _is_ours).
        now = self._clock.now()
        filing = _Filing(
            id=stored.filing_id or self._new_id(), user=user, since=stored.filing_since or now
        )
        claim = stored.model_copy(
            update={
                "filing_since": filing.since,
                "filing_touched": now,
                "filing_id": filing.id,
                "filing_user": user,
            }
        )
        try:
            claim_etag = await self._drafts.save(user.key, claim, etag)
        except DraftConflictError:
            # Another turn or replica took it first; it sends the reference.
            return BeingFiled(wording.REFERRAL_BEING_FILED)
        logger.info("referral: interrupted filing %s taken over", filing.id)
        referral, partnership = checked
        return await self._complete(filing, claim, claim_etag, referral, partnership)

    async def _complete(
        self,
        filing: _Filing,
        claim: StoredDraft,
        etag: str,
        referral: Referral,
        partnership: Partnership,
        *,
        looked_like: list[str] | None = None,
    ) -> Filed | BeingFiled:
        """From a held claim: the case (made, or found as this filing's own), then the reply.

        `looked_like`: the references the duplicate check found, if it was already made.
        """
        user = filing.user
        try:
            case, claim, etag, made, acknowledgement = await self._make_case(
                filing, claim, etag, referral, partnership, looked_like=looked_like
            )
        except DraftConflictError:
            logger.info("referral: filing %s taken over elsewhere", filing.id)
            return BeingFiled(wording.REFERRAL_BEING_FILED)
        reference = case.reference
        told = self._to_tell(case)
        held, held_etag = claim, etag

        async def settle() -> None:
            # Once the referrer has been sent the reference: the child index naming the case
            # (for later duplicate checks), the trail's first entry, and only then the claim
            # (and with it the referral's details) gives way to the marker. The claim holding
            # till then, a stop before any of them is finished by whoever takes it over; each
            # is written only if missing, so never twice.
            await self._cases.index_children(case.partnership_id, reference, case.referral.children)
            await self._audit_submitted(case, user.key, already=not made)
            try:
                await self._drafts.save(user.key, filed_marker(held, reference), held_etag)
            except DraftConflictError:
                logger.info("referral %s: marker left to the filer that took over", reference)

        async def announce() -> None:
            if partnership.review_channel.channel_id:
                await self._announcements.post_case_card(case, partnership)
            if told is not None:
                await self._announcements.tell_home_partnership(case, partnership, told)

        return Filed(
            reference,
            Reply.of(acknowledgement, after=(settle, announce)),
            filing_id=filing.id,
            user_id=user.user_id,
            partnership_id=partnership.id,
        )

    async def _make_case(
        self,
        filing: _Filing,
        claim: StoredDraft,
        etag: str,
        referral: Referral,
        partnership: Partnership,
        *,
        looked_like: list[str] | None,
    ) -> tuple[Case, StoredDraft, str, bool, Say]:
        """The case and the claim as kept, whether the case was made now (not found), and the
        acknowledgement to send."""
        user = filing.user
        prefix = partnership.reference_prefix
        year = london_time(filing.since).year
        reference = claim.filing_reference
        for _ in range(_REFERENCE_ATTEMPTS):
            if reference is None:
                reference = await self._cases.allocate_reference(prefix, year)
                claim = claim.model_copy(update={"filing_reference": reference})
                etag = await self._drafts.save(user.key, claim, etag)
            if looked_like is None:
                # Read once the reference is kept on the claim, so a crash here loses no number.
                looked_like = await self._cases.duplicates_of(referral)
            case = Case(
                reference=reference,
                partnership_id=partnership.id,
                referral=referral,
                screening=screen(referral),
                submitted_by=user.identity(),
                submitted_at=filing.since,
                dates=initial_dates(referral),
                filing_id=filing.id,
                possible_duplicates=[r for r in looked_like if r != reference],
            )
            # The child index follows the acknowledgement (see `settle`): the claim holds
            # until it is written, so a filing stopped before it is indexed when finished.
            creating = asyncio.ensure_future(self._cases.create(case, index=False))
            try:
                # The acknowledgement is built while the case is written: the write waits on
                # the disk (or the database) in its own thread.
                await asyncio.sleep(0)  # let the write start before the card is built
                acknowledgement = self._acknowledgement(case, partnership)
                await creating
            except CaseExistsError:
                existing = await self._cases.get(reference)
                if existing is not None and _is_ours(existing[0], filing, claim):
                    # This filing made it before it was interrupted.
                    found = existing[0]
                    return found, claim, etag, False, self._acknowledgement(found, partnership)
                # Ids only: which reference, never whose case.
                logger.warning(
                    "counter anomaly: %s is already another case's; moving the %s-%d counter on",
                    reference,
                    prefix,
                    year,
                )
                await self._cases.repair_counter(prefix, year)
                reference = None
                continue
            finally:
                _let_go(creating)
            logger.info("referral %s filed for %s", reference, partnership.id)
            return case, claim, etag, True, acknowledgement
        raise FilingStuckError(prefix)

    def _acknowledgement(self, case: Case, partnership: Partnership) -> Say:
        """The message that gives the referrer the reference, with the case's first dates."""
        today = london_time(self._clock.now()).date()
        timeline = compute_timeline(
            case.dates,
            partnership.clock,
            self._calendars.for_partnership(partnership),
            today,
            collaborator=case.collaborator,
        )
        return Say.card_of(
            acknowledgement_card(
                case=case, partnership=partnership, timeline=timeline, told=self._to_tell(case)
            ),
            summary=wording.REFERRAL_RECEIVED_SUMMARY.format(reference=case.reference),
            suggested=NEXT_STEPS,
        )

    async def _audit_submitted(self, case: Case, actor: str, *, already: bool) -> None:
        if already:
            trail = await self._cases.audit_trail(case.reference)
            if any(entry.get("what") == "referral submitted" for entry in trail):
                return
        await self._cases.audit(
            case.reference,
            at=case.submitted_at,
            actor=actor,
            role="referrer",
            what="referral submitted",
            screening=[route.value for route in case.screening.routes],
        )

    def _to_tell(self, case: Case) -> Partnership | None:
        """The child's home partnership to tell of a case another leads, if it has a channel here.

        Working Together to Safeguard Children: the notifying local authority reports the
        event to the safeguarding partners in its area "and in other areas if appropriate"
        within 5 working days (as quoted at
        https://nelincsscp.trixonline.co.uk/chapter/child-safeguarding-practice-reviews); the
        Panel's FAQ (https://childsafeguarding.independent-panel.uk/about/faqs/) expects it to
        collaborate with the authority where the child lives.
        """
        told_id = case.referral.area.told_partnership_id
        told = self._partnerships.get(told_id) if told_id else None
        if told is None or not told.review_channel.channel_id:
            return None
        return told


def _let_go(task: asyncio.Future[Any]) -> None:
    """Stop waiting for a side task: cancel it if it runs, else take its outcome as seen (a
    failure there is the step's own, already raised or no longer needed)."""
    if not task.done():
        task.cancel()
    elif not task.cancelled():
        task.exception()


def _is_ours(case: Case, filing: _Filing, claim: StoredDraft) -> bool:
    """Whether a case on file under the claim's reference was made by this very filing."""
    if case.filing_id is not None:
        return case.filing_id == filing.id
    # A case filed before filing ids: it is this filing's only if the same referrer submitted
    # it at the very moment this claim was made (the old code stamped both with one `now`).
    return (
        claim.filing_since is not None
        and case.submitted_at == claim.filing_since
        and case.submitted_by.user_id == filing.user.user_id
    )
