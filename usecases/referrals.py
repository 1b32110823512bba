"""File a referral: claim the draft, allocate the reference, create the case, audit, announce.

The referral dialog collects the draft step by step; this is the one transaction that turns a
finished draft into a case, and the recovery of a filing that a crash stopped half way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from cards import wording
from cards.referral import acknowledgement_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, ReferrerIdentity, initial_dates
from safeguarding.clocks import Clock, london_time
from safeguarding.partnerships import Partnership, Partnerships
from safeguarding.referral import Draft, ReferralError, Step, screen
from safeguarding.timeline import compute_timeline
from storage.cases import CaseRepository, DraftRepository, StoredDraft
from usecases.errors import NotifierError
from usecases.people import Person
from usecases.ports import CaseAnnouncer
from usecases.replies import Reply, Say, Suggestion
from usecases.vocabulary import REFER_WORD, STATUS_WORD

logger = logging.getLogger(__name__)

# Offered under the acknowledgement: words the bot already understands, sent as typed.
NEXT_STEPS = (
    Suggestion(wording.SUGGEST_CHECK_STATUS, STATUS_WORD),
    Suggestion(wording.SUGGEST_START_ANOTHER, REFER_WORD),
)

# A filing claim older than this was interrupted (the process stopped mid-way).
FILING_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Filed:
    """The referral is a case now: its reference and what to tell the referrer."""

    reference: str
    reply: Reply


def filed_marker(stored: StoredDraft, reference: str) -> StoredDraft:
    """What stays of a filed draft: only the marker that answers a second Submit."""
    return StoredDraft(
        draft=Draft(), started=stored.started, updated=stored.updated, filed_reference=reference
    )


@dataclass(frozen=True, slots=True)
class SendBack:
    """The draft cannot be filed as it is: save this draft and show its step, after `notice`."""

    draft: Draft
    notice: str


class ReferralFiling:
    """Turns a finished draft into a case, once, and tells the review subgroup."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        drafts: DraftRepository,
        cases: CaseRepository,
        announcer: CaseAnnouncer,
        calendars: PartnershipCalendars,
        clock: Clock,
    ) -> None:
        self._partnerships = partnerships
        self._drafts = drafts
        self._cases = cases
        self._announcer = announcer
        self._calendars = calendars
        self._clock = clock

    async def file(self, person: Person, stored: StoredDraft, etag: str) -> Filed | SendBack:
        """File the draft; a second Submit finds the claim and files nothing."""
        now = self._clock.now()
        try:
            referral = stored.draft.to_referral()
        except ReferralError as exc:
            draft = stored.draft.model_copy(update={"step": Step(exc.field), "editing": False})
            return SendBack(draft, wording.REFERRAL_SECTION_MISSING)
        partnership = self._partnerships.get(referral.area.partnership_id)
        if partnership is None:
            draft = stored.draft.model_copy(update={"step": Step.AREA, "area": None})
            return SendBack(draft, wording.REFERRAL_AREA_GONE)
        key = person.key
        # Claim the draft first: a second click on Submit finds the claim and files nothing.
        claim = stored.model_copy(update={"filing_since": now})
        claim_etag = await self._drafts.save(key, claim, etag)

        today = london_time(now).date()
        reference = await self._cases.allocate_reference(partnership.reference_prefix, today.year)
        claim = claim.model_copy(update={"filing_reference": reference})
        claim_etag = await self._drafts.save(key, claim, claim_etag)
        case = Case(
            reference=reference,
            partnership_id=partnership.id,
            referral=referral,
            screening=screen(referral),
            submitted_by=ReferrerIdentity(
                user_id=person.teams_id or key, aad_object_id=person.aad_object_id
            ),
            submitted_at=now,
            dates=initial_dates(referral),
            possible_duplicates=await self._cases.duplicates_of(referral),
        )
        await self._cases.create(case)
        await self._cases.audit(
            reference,
            at=now,
            actor=key,
            role="referrer",
            what="referral submitted",
            screening=[route.value for route in case.screening.routes],
        )
        # What stays is only the marker that answers a second Submit: no referral data.
        await self._drafts.save(key, filed_marker(claim, reference), claim_etag)
        logger.info("referral %s filed for %s", reference, partnership.id)

        calendar = self._calendars.for_partnership(partnership)
        timeline = compute_timeline(
            case.dates, partnership.clock, calendar, today, collaborator=case.collaborator
        )
        told = self._to_tell(case)
        acknowledgement = Say.card_of(
            acknowledgement_card(case=case, partnership=partnership, timeline=timeline, told=told),
            summary=wording.REFERRAL_RECEIVED_SUMMARY.format(reference=reference),
            suggested=NEXT_STEPS,
        )

        async def announce() -> None:
            await self._announce(case, partnership)
            if told is not None:
                await self._tell(case, partnership, told)

        return Filed(reference, Reply.of(acknowledgement, after=(announce,)))

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

    async def _announce(self, case: Case, partnership: Partnership) -> None:
        try:
            activity_id = await self._announcer.announce_case(case, partnership)
        except NotifierError as exc:
            # The case is filed whatever happens here; the reminders job retries the post.
            logger.warning("case %s not posted to the review channel: %s", case.reference, exc)
            return
        await self._cases.record_post(case.reference, activity_id, at=self._clock.now())

    async def _tell(self, case: Case, lead: Partnership, told: Partnership) -> None:
        try:
            activity_id = await self._announcer.tell_partnership(case, lead, told)
        except NotifierError as exc:
            # The case is filed whatever happens here; the reminders job retries the post.
            logger.warning("case %s: %s not told: %s", case.reference, told.id, exc)
            return
        await self._cases.record_told(case.reference, activity_id, at=self._clock.now())

    async def recover(self, person: Person, stored: StoredDraft, etag: str) -> Filed | Released:
        """A filing that stopped half way: finish it if the case exists, else release the draft."""
        reference = stored.filing_reference
        existing = await self._cases.get(reference) if reference else None
        if reference and existing is not None:
            logger.info("referral %s: interrupted filing finished", reference)
            await self._drafts.save(person.key, filed_marker(stored, reference), etag)
            return Filed(
                reference, Reply.of(wording.REFERRAL_ALREADY_FILED.format(reference=reference))
            )
        logger.info("referral: interrupted filing released, the draft is back at the review")
        released = stored.model_copy(update={"filing_since": None, "filing_reference": None})
        await self._drafts.save(person.key, released, etag)
        return Released(released, wording.REFERRAL_FILING_INTERRUPTED)


@dataclass(frozen=True, slots=True)
class Released:
    """An interrupted filing created no case: the draft is back at the review, unclaimed."""

    stored: StoredDraft
    notice: str
