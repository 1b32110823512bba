"""Answer a question, show a case's status, point to another service (outside a referral)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from cards import wording
from cards.text import escape_markdown
from safeguarding.calendar import day_month_year
from safeguarding.cases import Case, CaseStatus, age_label
from safeguarding.clocks import Clock, london_time
from safeguarding.faq import FaqEntry, match, merged
from safeguarding.partnerships import BusinessUnit, Partnership, Partnerships, ServiceContact
from safeguarding.triage import Triage
from storage.cases import CaseRepository, DraftRepository
from storage.stats import RedirectCounter
from usecases.leads import LeadDirectory
from usecases.people import Person
from usecases.replies import Reply

logger = logging.getLogger(__name__)

REFERENCE_IN_TEXT = re.compile(r"\b([A-Za-z]{2,5})[-\s]?(\d{4})[-\s]?(\d{3,})\b")
_SERVICE_OF_CUE = {
    "other:cdop": "cdop",
    "other:child_death_without_suspicion": "cdop",
    "other:lado": "lado",
    "other:lado_allegation": "lado",
    "other:adult": "adult_safeguarding",
    "other:adult_victim": "adult_safeguarding",
    "other:safeguarding_adults_review": "adult_safeguarding",
    "other:domestic_homicide_review": "adult_safeguarding",
}


def _contact_line(contact: BusinessUnit | ServiceContact | None) -> str:
    if contact is None:
        return ""
    parts = [p for p in (contact.phone, contact.email, contact.web_page) if p]
    return ", ".join(parts)


class Answers:
    """Answers process questions, case-status requests and other-service messages."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        faqs: Mapping[str, tuple[FaqEntry, ...]],
        national: tuple[FaqEntry, ...],
        cases: CaseRepository,
        drafts: DraftRepository,
        redirects: RedirectCounter,
        clock: Clock,
        leads: LeadDirectory,
    ) -> None:
        self._partnerships = partnerships
        self._faqs = faqs
        self._national = national
        self._cases = cases
        self._drafts = drafts
        self._redirects = redirects
        self._clock = clock
        self._leads = leads

    async def partnership_of(self, person: Person) -> Partnership | None:
        """The user's partnership, from their draft or their latest referral, if any."""
        loaded = await self._drafts.load(person.key, self._clock.now())
        if loaded and loaded[0].draft.area:
            return self._partnerships.get(loaded[0].draft.area.partnership_id)
        own = await self._own_cases(person)
        if own:
            return self._partnerships.get(own[-1].partnership_id)
        if len(self._partnerships.partnerships) == 1:
            return next(iter(self._partnerships.partnerships.values()))
        return None

    async def process_question(self, person: Person, text: str) -> Reply:
        """Answer from the partnership's FAQ (national defaults otherwise), or say who to ask."""
        partnership = await self.partnership_of(person)
        entries = self._faqs.get(partnership.id, ()) if partnership else ()
        entry = match(text, merged(entries, self._national))
        unit = partnership.business_unit if partnership else None
        if entry is None:
            logger.info("process question: no answer found")
            contact = _contact_line(unit)
            return Reply.of(
                wording.FAQ_UNKNOWN_WITH_CONTACT.format(contact=contact)
                if contact
                else wording.FAQ_UNKNOWN
            )
        logger.info("process question: answered with %s", entry.id)
        reply = f"**{entry.question}**\n\n{entry.answer}"
        if unit and unit.web_page:
            reply += "\n\n" + wording.FAQ_MORE.format(page=unit.web_page)
        return Reply.of(reply)

    async def _own_cases(self, person: Person) -> list[Case]:
        if not person.teams_id and not person.aad_object_id:
            return []
        found: list[Case] = []
        for partnership_id in self._partnerships.partnerships:
            for case in await self._cases.for_partnership(partnership_id):
                if case.submitted_by.is_user(person.teams_id, person.aad_object_id):
                    found.append(case)
        return sorted(found, key=lambda c: c.submitted_at)

    async def case_status(self, person: Person, text: str) -> Reply:
        """Tell the referrer or a lead where a case is; tell anyone else only who to ask."""
        found = REFERENCE_IN_TEXT.search(text)
        if found:
            reference = f"{found[1].upper()}-{found[2]}-{found[3]}"
            loaded = await self._cases.get(reference)
            case = loaded[0] if loaded else None
            partnership = self._partnerships.get(case.partnership_id) if case else None
            mine = {c.reference for c in await self._own_cases(person)}
            entitled = case is not None and (
                case.reference in mine
                or (partnership is not None and await self._leads.is_lead(partnership, person))
            )
            if case is None or not entitled:
                # The same answer whether or not the case exists: existence is not disclosed.
                logger.info("case status: refused or unknown reference")
                return Reply.of(wording.CASE_STATUS_NOT_YOURS)
            logger.info("case status: %s shown", case.reference)
            return Reply.of(self._status_line(case))
        own = await self._own_cases(person)
        if not own:
            return Reply.of(wording.CASE_STATUS_NONE)
        return Reply.of("\n\n".join(self._status_line(case) for case in own[-5:]))

    def _status_line(self, case: Case) -> str:
        status = wording.CASE_STATUSES.get(case.status.value, case.status.value)
        partnership = self._partnerships.get(case.partnership_id)
        if (
            case.status is CaseStatus.REFERRED
            and partnership is not None
            and not partnership.review_channel.channel_id
        ):
            # No review channel: nobody there sees it in Teams, so promise no consideration.
            status = wording.CASE_STATUS_NO_CHANNEL.format(partnership=partnership.name)
        # Initials and age only, as on the channel: never a name.
        children = "; ".join(
            age_label(child, case.referral.incident.date) for child in case.referral.children
        )
        return wording.CASE_STATUS_LINE.format(
            reference=case.reference,
            children=escape_markdown(children),
            status=status,
            submitted=day_month_year(london_time(case.submitted_at).date()),
        )

    async def other_service(self, person: Person, triage: Triage) -> Reply:
        """Send the message's writer to the service it belongs to, from the configured contacts."""
        service = next((_SERVICE_OF_CUE[c] for c in triage.cues if c in _SERVICE_OF_CUE), None)
        partnership = await self.partnership_of(person)
        await self._redirects.count(
            label=f"other_service:{service or 'business_unit'}",
            partnership_id=partnership.id if partnership else None,
            at=self._clock.now(),
        )
        logger.info("other service: %s", service or "business unit")
        if service is None:
            contact = _contact_line(partnership.business_unit if partnership else None)
            return Reply.of(
                wording.OTHER_SERVICE_BUSINESS_UNIT.format(contact=contact or wording.YOUR_COUNCIL)
            )
        configured = (
            getattr(partnership.other_services, service) if partnership is not None else None
        )
        contact = (
            f"{configured.name}: {_contact_line(configured)}"
            if configured
            else wording.YOUR_COUNCIL
        )
        return Reply.of(wording.OTHER_SERVICES[service].format(contact=contact))
