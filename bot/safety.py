"""The safety desk: a typed emergency or worry about a child gets 999 or the front door, at once."""

from __future__ import annotations

import logging
from datetime import datetime

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from cards.safety import concern_card, emergency_card
from dialogs.interruptions import card_message
from dialogs.referral import front_doors_now, user_key
from safeguarding.calendar import PartnershipCalendars
from safeguarding.clocks import Clock
from safeguarding.frontdoor import FrontDoorContact
from safeguarding.partnerships import Partnerships
from safeguarding.triage import Triage, TriageLabel, classify, mentions_ongoing_risk
from storage.base import StoreError
from storage.cases import DraftRepository
from storage.stats import RedirectCounter

logger = logging.getLogger(__name__)


def emergency_reply(
    text: str | None, partnerships: Partnerships, calendars: PartnershipCalendars, now: datetime
) -> Activity | None:
    """The signpost for a typed message, needing no store: for when everything else failed."""
    if not text:
        return None
    triage = classify(text)
    contacts = front_doors_now(partnerships, calendars, now, None)
    if triage.label is TriageLabel.EMERGENCY:
        return card_message(emergency_card(contacts))
    if triage.safety_signpost:
        return card_message(concern_card(contacts, in_referral=False))
    return None


class SafetyDesk:
    """Triage a typed message and, where a child may be at risk now, signpost before anything."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        calendars: PartnershipCalendars,
        drafts: DraftRepository,
        redirects: RedirectCounter,
        clock: Clock,
    ) -> None:
        self._partnerships = partnerships
        self._calendars = calendars
        self._drafts = drafts
        self._redirects = redirects
        self._clock = clock

    async def _partnership_id(self, context: TurnContext) -> str | None:
        # Only orders the list of numbers; a store problem must never stop the signpost.
        try:
            loaded = await self._drafts.load(user_key(context), self._clock.now())
        except (StoreError, ValueError):
            logger.warning("safety: draft unavailable, listing every front door")
            return None
        area = loaded[0].draft.area if loaded else None
        return area.partnership_id if area and self._partnerships.get(area.partnership_id) else None

    def contacts_for(self, partnership_id: str | None) -> list[FrontDoorContact]:
        """The numbers in force now, the user's partnership (when known) first."""
        now = self._clock.now()
        return front_doors_now(self._partnerships, self._calendars, now, partnership_id)

    async def signpost(self, context: TurnContext, text: str, *, in_referral: bool) -> Triage:
        """Classify; send the 999 or front-door card when needed; return the triage."""
        triage = classify(text)
        emergency = triage.label is TriageLabel.EMERGENCY
        if not emergency and not triage.safety_signpost:
            return triage
        partnership_id = await self._partnership_id(context)
        contacts = self.contacts_for(partnership_id)
        if emergency:
            logger.info("safety: emergency signpost (%s)", ",".join(triage.cues[:3]))
            await context.send_activity(card_message(emergency_card(contacts)))
        else:
            logger.info("safety: front door signpost, label %s", triage.label.value)
            card = concern_card(contacts, in_referral=in_referral)
            await context.send_activity(card_message(card))
        # Counted after the answer has gone, so counting can never delay or stop the signpost.
        counted = (
            triage.label.value
            if triage.label in (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN)
            else "front_door_signpost"
        )
        try:
            await self._redirects.count(
                label=counted, partnership_id=partnership_id, at=self._clock.now()
            )
        except StoreError:
            logger.warning("safety: redirect not counted (store unavailable)")
        return triage

    async def screen_field(self, context: TurnContext, text: str) -> bool:
        """A referral's free-text answer: 999 for danger now, the front door for children
        still at risk; nothing for the ordinary account of what happened."""
        triage = classify(text)
        if triage.label is TriageLabel.EMERGENCY:
            return await self(context, text)
        if not mentions_ongoing_risk(text):
            return False
        logger.info("safety: a referral answer mentions children still at risk")
        contacts = self.contacts_for(await self._partnership_id(context))
        await context.send_activity(card_message(concern_card(contacts, in_referral=True)))
        return True

    async def __call__(self, context: TurnContext, text: str) -> bool:
        """The dialogs' safety interruption: True when a signpost was sent."""
        triage = await self.signpost(context, text, in_referral=True)
        return triage.label is TriageLabel.EMERGENCY or triage.safety_signpost
