"""Signpost a message for safety: 999 for danger now, the front door for a worry about a child.

`Screen.assess` is the one place outside the domain that classifies text; the Teams edge calls
it once per typed turn and hands the result to the handler and the dialogs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cards import wording
from cards.safety import concern_card, emergency_card, which_referral_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.clocks import Clock
from safeguarding.frontdoor import FrontDoorContact, front_doors_now
from safeguarding.partnerships import Partnership, Partnerships
from safeguarding.triage import (
    Triage,
    TriageLabel,
    asks_which_referral,
    mentions_ongoing_risk,
)
from safeguarding.triage_model import TriageModel, decide
from storage.base import StoreError
from storage.cases import DraftRepository
from storage.stats import RedirectCounter
from usecases.people import Person
from usecases.replies import Reply, Say

logger = logging.getLogger(__name__)


class Screen:
    """The one place outside the domain that classifies text: the rules, and the learned model
    beside them when one is loaded (`safeguarding.triage_model.decide`)."""

    def __init__(self, model: TriageModel | None = None) -> None:
        self._model = model

    def assess(self, text: str | None) -> Triage | None:
        """The triage of a typed message (None for a card submit or an empty message)."""
        return decide(text, self._model) if text else None


# For a turn that failed before the screen was attached: the rules alone, which need no file.
RULES_ONLY = Screen()


def needs_signpost(triage: Triage | None) -> bool:
    """Whether the triage calls for 999 or the front door before anything else is said."""
    return triage is not None and (triage.label is TriageLabel.EMERGENCY or triage.safety_signpost)


def signpost_card(
    triage: Triage,
    contacts: list[FrontDoorContact],
    *,
    in_referral: bool,
    from_answer: bool = False,
) -> Say:
    """The 999 card for an emergency, else the front-door card.

    `from_answer`: sent for what was typed into one of a referral's cards, not a message.
    """
    if triage.label is TriageLabel.EMERGENCY:
        card = emergency_card(contacts, in_referral=in_referral, from_answer=from_answer)
        return Say.card_of(card, wording.EMERGENCY_SUMMARY)
    card = concern_card(contacts, in_referral=in_referral, from_answer=from_answer)
    return Say.card_of(card, wording.CONCERN_SUMMARY)


def storeless_signpost(
    triage: Triage | None,
    partnerships: Iterable[Partnership],
    calendars: PartnershipCalendars,
    clock: Clock,
) -> Reply:
    """The signpost for when everything else failed: it needs no store, lists every door."""
    if triage is None or not needs_signpost(triage):
        return Reply()
    contacts = front_doors_now(partnerships, calendars.national, clock.now())
    return Reply.of(signpost_card(triage, contacts, in_referral=False))


class SafetyDesk:
    """Where a child may be at risk now, the signpost goes out before anything else is said."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        calendars: PartnershipCalendars,
        drafts: DraftRepository,
        redirects: RedirectCounter,
        clock: Clock,
        screen: Screen = RULES_ONLY,
    ) -> None:
        self._screen = screen
        self._partnerships = partnerships
        self._calendars = calendars
        self._drafts = drafts
        self._redirects = redirects
        self._clock = clock

    async def _partnership_id(self, person: Person) -> str | None:
        # Only orders the list of numbers; a store problem must never stop the signpost.
        try:
            loaded = await self._drafts.load(person.key, self._clock.now())
        except (StoreError, ValueError):
            logger.warning("safety: draft unavailable, listing every front door")
            return None
        area = loaded[0].draft.area if loaded else None
        return area.partnership_id if area and self._partnerships.get(area.partnership_id) else None

    def contacts_for(self, partnership_id: str | None) -> list[FrontDoorContact]:
        """The numbers in force now, the user's partnership (when known) first."""
        return front_doors_now(
            self._partnerships.partnerships.values(),
            self._calendars.national,
            self._clock.now(),
            partnership_id,
        )

    async def signpost(
        self,
        person: Person,
        triage: Triage | None,
        *,
        in_referral: bool,
        from_answer: bool = False,
    ) -> Reply:
        """The 999 or front-door card when the triage needs one (empty otherwise), counted after.

        "I want to make a referral" outside a referral gets one card that asks which is meant,
        with the front door for a child now and a button for a case review referral.
        """
        if triage is not None and not in_referral and asks_which_referral(triage):
            partnership_id = await self._partnership_id(person)
            card = which_referral_card(self.contacts_for(partnership_id))

            async def count_question() -> None:
                await self.count("which_referral", partnership_id)

            return Reply.of(
                Say.card_of(card, wording.WHICH_REFERRAL_SUMMARY), after=(count_question,)
            )
        if triage is None or not needs_signpost(triage):
            return Reply()
        partnership_id = await self._partnership_id(person)
        contacts = self.contacts_for(partnership_id)
        if triage.label is TriageLabel.EMERGENCY:
            logger.info("safety: emergency signpost (%s)", ",".join(triage.cues[:3]))
        else:
            logger.info("safety: front door signpost, label %s", triage.label.value)
        counted = (
            triage.label.value
            if triage.label in (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN)
            else "front_door_signpost"
        )

        async def count() -> None:
            await self.count(counted, partnership_id)

        say = signpost_card(triage, contacts, in_referral=in_referral, from_answer=from_answer)
        return Reply.of(say, after=(count,))

    async def screen_field(self, person: Person, text: str) -> Reply:
        """A referral's free-text answer: 999 for danger now, the front door for children
        still at risk; nothing for the ordinary account of what happened."""
        triage = self._screen.assess(text)
        if triage is not None and triage.label is TriageLabel.EMERGENCY:
            return await self.signpost(person, triage, in_referral=True, from_answer=True)
        if not mentions_ongoing_risk(text):
            return Reply()
        logger.info("safety: a referral answer mentions children still at risk")
        contacts = self.contacts_for(await self._partnership_id(person))
        card = concern_card(contacts, in_referral=True, from_answer=True)
        return Reply.of(Say.card_of(card, wording.CONCERN_SUMMARY))

    async def count(self, label: str, partnership_id: str | None) -> None:
        """Count a redirect; a store problem is logged, never raised (the answer has gone)."""
        try:
            await self._redirects.count(
                label=label, partnership_id=partnership_id, at=self._clock.now()
            )
        except StoreError:
            logger.warning("safety: redirect not counted (store unavailable)")
