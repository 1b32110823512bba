"""Record a decision from the case card: role check, e-tags, audit, channel copy, referrer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from cards import wording
from cards.common import Card, adaptive_card, text_block
from cards.decisions import (
    AGENCIES_NAMED_FIELD,
    AGENCY_FIELD_PREFIX,
    ON_BEHALF_FIELD,
    REFRESH_VERB,
    decision_card,
)
from cards.referral import channel_case_card, told_card
from cards.reminders import DONE_DECISIONS, REMINDER_FIELD, ReminderIdentity, reminder_card
from cards.text import escape_markdown
from safeguarding.calendar import PartnershipCalendars, day_month_year
from safeguarding.cases import FINISHED_STATUSES, Actor, Case, is_reference
from safeguarding.clocks import Clock, london_time
from safeguarding.decisions import (
    Decision,
    DecisionError,
    DecisionKind,
    NotALeadError,
    NotAPartnerError,
    NotTheLocalAuthorityError,
    SlipMilestone,
    agencies_to_ask,
    agency_summaries,
    agreement_status,
    apply_decision,
    available_decisions,
    case_notes,
    decision_summary,
    panel_answers,
    parse_decision,
)
from safeguarding.partnerships import Lead, Partner, Partnership, Partnerships
from safeguarding.timeline import MilestoneStatus, Timeline, compute_timeline
from storage.base import ConflictError
from storage.cases import CaseRepository
from usecases.errors import LeadCheckUnavailableError, NotifierError
from usecases.leads import LeadDirectory
from usecases.logs import quoted
from usecases.people import Person
from usecases.ports import ChannelNotifier, UserDirectory

logger = logging.getLogger(__name__)

_MULTI = frozenset({"criteria", "have_regard"})
_SAVE_ATTEMPTS = 3
# A refusal caused by another lead's decision this recent names that lead and decision.
RECENT = timedelta(minutes=15)


_VERBS = frozenset(k.value for k in DecisionKind) | {REFRESH_VERB}
# Refusals about who may record a decision: audited like a non-lead's click.
_ROLE_REFUSALS = (NotALeadError, NotAPartnerError, NotTheLocalAuthorityError)


# A listed agency typed by its label ("Police", "GP") is that agency, not a new name.
_AGENCY_BY_LABEL = {label.casefold(): key for key, label in wording.AGENCY_CHOICES.items()}
# What a client may send for a box left unticked.
_UNTICKED = frozenset({"", "false"})


def _agency_index(field: str) -> int:
    suffix = field.removeprefix(AGENCY_FIELD_PREFIX)
    return int(suffix) if suffix.isdigit() else 0


def _agencies(data: Mapping[str, Any]) -> list[str]:
    """The agencies a summaries card names: its ticked boxes, in order, then those typed."""
    ticked = sorted((key for key in data if key.startswith(AGENCY_FIELD_PREFIX)), key=_agency_index)
    agencies = [
        value.strip()
        for key in ticked
        if isinstance(value := data[key], str) and value.strip() not in _UNTICKED
    ]
    typed = data.get(AGENCIES_NAMED_FIELD)
    if isinstance(typed, str):
        for line in typed.splitlines():
            name = line.strip()
            if name:
                agencies.append(_AGENCY_BY_LABEL.get(name.casefold(), name))
    return agencies


def _decision_data(verb: str, data: Mapping[str, Any]) -> dict[str, Any]:
    # Card inputs arrive as strings, empty ones included; multi-selects as "a,b".
    clean: dict[str, Any] = {"kind": verb}
    agencies = _agencies(data)
    if agencies:
        clean["agencies"] = agencies
    for key, value in data.items():
        # The button's verb names the decision: a `kind` in the data cannot override it.
        if key in (
            "reference",
            "verb",
            "kind",
            REMINDER_FIELD,
            ON_BEHALF_FIELD,
            AGENCIES_NAMED_FIELD,
        ) or key.startswith(AGENCY_FIELD_PREFIX):
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
            if key in _MULTI:
                value = [part.strip() for part in value.split(",") if part.strip()]
        clean[key] = value
    return clean


def _on_behalf_of(lead: Lead, data: Mapping[str, Any]) -> Partner | None:
    # The card offers the box to business-unit leads only; a partner's own lead speaks for
    # their partner whatever a client sends, so the domain refuses a police or health lead.
    ticked = data.get(ON_BEHALF_FIELD) in ("true", True)
    return Partner.LOCAL_AUTHORITY if ticked and lead.business_unit else None


class CaseCards:
    """Builds the case card as everyone sees it, or as a lead sees it, and posts it."""

    def __init__(
        self,
        *,
        notifier: ChannelNotifier,
        users: UserDirectory,
        calendars: PartnershipCalendars,
        clock: Clock,
        partnerships: Partnerships,
    ) -> None:
        self._notifier = notifier
        self._users = users
        self._calendars = calendars
        self._clock = clock
        self._partnerships = partnerships

    def timeline(self, case: Case, partnership: Partnership) -> Timeline:
        """The case's timeline today, with its recorded slips and completions."""
        return compute_timeline(
            case.dates,
            partnership.clock,
            self._calendars.for_partnership(partnership),
            london_time(self._clock.now()).date(),
            events=case.milestone_events,
            collaborator=case.collaborator,
        )

    async def refresh_ids(self, partnership: Partnership) -> list[str] | None:
        """Teams ids of the partnership's leads, so their copy refreshes with the buttons.

        None when some lead's Teams id cannot be known now (a lead the bot has not met who is
        not found in the team's roster yet, Teams unreachable, or leads given as an Entra ID
        group): the card then leaves `userIds` out, and Teams refreshes it for every member of a
        channel of up to 60 people, so every lead gets the buttons and everyone else the
        read-only card. A list names at most 60 (the most Teams refreshes by name).
        """
        if partnership.leads_group_id:
            # The group's members are not listed here: let Teams refresh for everyone.
            return None
        team_id = partnership.review_channel.team_id or None
        ids: list[str] = []
        unknown = 0
        for lead in partnership.leads:
            who = lead.aad_object_id or lead.upn
            if not who:
                continue
            teams_id = await self._users.teams_id_for(who, team_id=team_id)
            if teams_id is None:
                unknown += 1
            elif teams_id not in ids:
                ids.append(teams_id)
        if unknown:
            logger.info(
                "%s: %d of %d leads' Teams ids not known yet: the card refreshes for everyone",
                partnership.id,
                unknown,
                len(partnership.leads),
            )
            return None
        return ids[:60]

    async def card(
        self,
        case: Case,
        partnership: Partnership,
        *,
        for_lead: bool,
        notice: str | None = None,
        lead: Lead | None = None,
        pressed_by_non_lead: bool = False,
    ) -> Card:
        """The case card, with decision buttons when `for_lead` (those `lead` may record)."""
        timeline = self.timeline(case, partnership)
        told_id = case.referral.area.told_partnership_id
        base = channel_case_card(
            case=case,
            partnership=partnership,
            timeline=timeline,
            today=london_time(self._clock.now()).date(),
            told=self._partnerships.get(told_id) if told_id else None,
        )
        return decision_card(
            base,
            reference=case.reference,
            agreement=agreement_status(case),
            available=available_decisions(case, lead),
            for_lead=for_lead,
            refresh_user_ids=await self.refresh_ids(partnership),
            notice=notice,
            notes=case_notes(case),
            on_behalf=lead is not None and lead.business_unit,
            panel_answers=panel_answers(case),
            agencies_to_ask=agencies_to_ask(case),
            summaries_outstanding=agency_summaries(case).outstanding,
            pressed_by_non_lead=pressed_by_non_lead,
        )

    async def announce_case(self, case: Case, partnership: Partnership) -> str:
        """Post a new case's card to the review channel; return its activity id."""
        card = await self.card(case, partnership, for_lead=False)
        summary = wording.CASE_CARD_SUMMARY.format(reference=case.reference)
        return await self._notifier.post_to_review_channel(partnership, card, summary=summary)

    async def tell_partnership(self, case: Case, lead: Partnership, told: Partnership) -> str:
        """Tell the child's home partnership of a case another leads; return the activity id."""
        card = told_card(case=case, lead=lead, told=told)
        summary = wording.TOLD_CARD_SUMMARY.format(reference=case.reference)
        return await self._notifier.post_to_review_channel(told, card, summary=summary)


@dataclass(frozen=True)
class Recorded:
    """What a lead's click recorded, for the card shown back to them."""

    decision: Decision
    actor: Actor


class CardView(Protocol):
    """The card shown back after a click: the case card, or the reminder clicked."""

    async def __call__(
        self,
        case: Case,
        partnership: Partnership,
        *,
        for_lead: bool,
        notice: str | None = None,
        lead: Lead | None = None,
        recorded: Recorded | None = None,
        pressed_by_non_lead: bool = False,
    ) -> Card: ...


def reminder_identity(data: Mapping[str, Any]) -> ReminderIdentity | None:
    """The reminder a click came from, or None for a click on the case card."""
    raw = data.get(REMINDER_FIELD)
    if not isinstance(raw, Mapping):
        return None
    try:
        return ReminderIdentity.model_validate(dict(raw))
    except ValidationError:
        # Not a reminder the bot drew: shown the case card, as any other click.
        return None


_SETTLED = frozenset({MilestoneStatus.DONE, MilestoneStatus.NOT_APPLICABLE})


class ReminderView:
    """A reminder drawn again for whoever refreshed or clicked it, from the case as it is now.

    A lead sees Done and Slip while the milestone is open; anyone else, or anyone once the
    milestone is done, the reminder read-only. After a lead's click it says what was recorded
    (the lead's role, never a name) and is not refreshed again.
    """

    def __init__(self, cards: CaseCards, identity: ReminderIdentity, clock: Clock) -> None:
        self._cards = cards
        self._identity = identity
        self._clock = clock

    async def __call__(
        self,
        case: Case,
        partnership: Partnership,
        *,
        for_lead: bool,
        notice: str | None = None,
        lead: Lead | None = None,
        recorded: Recorded | None = None,
        pressed_by_non_lead: bool = False,
    ) -> Card:
        ident = self._identity
        today = london_time(self._clock.now()).date()
        try:
            milestone = self._cards.timeline(case, partnership).get(ident.milestone)
        except KeyError:
            milestone = None
        status: str | None = None
        if recorded is not None:
            status = self._recorded_line(recorded, today)
            notice = None
        elif milestone is None or milestone.status in _SETTLED or case.status in FINISHED_STATUSES:
            done_on = milestone.completed_on if milestone is not None else None
            status = (
                wording.REMINDER_CLOSED_DONE.format(day=day_month_year(done_on))
                if milestone is not None and milestone.status is MilestoneStatus.DONE and done_on
                else wording.REMINDER_CLOSED
            )
            # A closed reminder comes back read-only; a refusal's reason is still said.
        days_left = (
            milestone.working_days_left
            if milestone is not None and milestone.due == ident.due
            else None
        )
        wanted = set(ident.mention)
        return reminder_card(
            reference=case.reference,
            kind=ident.kind,
            milestone=ident.milestone,
            lead_days=ident.lead_days,
            due=ident.due,
            original_due=ident.original_due,
            working_days_left=days_left,
            responsible=ident.responsible,
            late=ident.late,
            filed_after_due=ident.filed_after_due,
            mention=[p for p in partnership.leads if (p.aad_object_id or p.upn) in wanted],
            outstanding=agency_summaries(case).outstanding,
            for_lead=for_lead,
            refresh_user_ids=await self._cards.refresh_ids(partnership),
            notice=notice,
            status=status,
            pressed_by_non_lead=pressed_by_non_lead,
        )

    def _recorded_line(self, recorded: Recorded, today: date) -> str:
        decision = recorded.decision
        if isinstance(decision, SlipMilestone):
            return wording.REMINDER_MOVED.format(day=day_month_year(decision.to))
        kind = DecisionKind(decision.kind)
        done = DONE_DECISIONS.get(self._identity.milestone) is kind
        on = getattr(decision, "on", None)
        return wording.REMINDER_RECORDED.format(
            label=wording.REMINDER_DONE if done else wording.decision_label(kind),
            role=escape_markdown(recorded.actor.role),
            day=day_month_year(on if isinstance(on, date) else today),
        )


class DecisionDesk:
    """Handles Action.Execute from case cards: refresh views and decisions."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        cases: CaseRepository,
        leads: LeadDirectory,
        cards: CaseCards,
        notifier: ChannelNotifier,
        clock: Clock,
    ) -> None:
        self._partnerships = partnerships
        self._cases = cases
        self._leads = leads
        self._cards = cards
        self._notifier = notifier
        self._clock = clock

    async def handle(
        self, person: Person, verb: str, data: Mapping[str, Any], *, manual: bool = True
    ) -> Card:
        """The card to show the clicking user after their action.

        `manual` is False only for a refresh Teams ran by itself (`trigger` "automatic"); a
        refresh pressed by hand (the read-only card's button for leads) tells someone who is
        not a lead why their copy stays read-only. A refresh records nothing and is not audited.
        """
        reference = data.get("reference")
        # Only a reference the bot wrote is looked up: anything else is no key of the store's.
        valid = isinstance(reference, str) and is_reference(reference)
        loaded = await self._cases.get(reference) if valid and isinstance(reference, str) else None
        partnership = self._partnerships.get(loaded[0].partnership_id) if loaded else None
        if loaded is None or partnership is None:
            return adaptive_card([text_block(wording.DECISION_CASE_GONE)])
        case, etag = loaded
        identity = reminder_identity(data)
        # Only the card shown back differs for a reminder: the checks and the record are one.
        view: CardView = (
            self._case_view
            if identity is None
            else ReminderView(self._cards, identity, self._clock)
        )
        try:
            lead = await self._leads.lead_for(partnership, person)
        except LeadCheckUnavailableError:
            logger.warning(
                "case %s: lead check unavailable, %s refused", case.reference, quoted(verb)
            )
            if verb != REFRESH_VERB:
                await self._audit_refusal(case, person, verb, "lead check unavailable")
                notice: str | None = wording.DECISION_REFUSED_UNAVAILABLE
            else:
                notice = wording.DECISION_LEADS_UNKNOWN_NOW if manual else None
            return await view(case, partnership, for_lead=False, notice=notice)
        if verb == REFRESH_VERB:
            return await view(
                case,
                partnership,
                for_lead=lead is not None,
                lead=lead,
                pressed_by_non_lead=manual and lead is None,
            )
        if lead is None:
            logger.warning("case %s: decision %s refused, not a lead", case.reference, quoted(verb))
            await self._audit_refusal(case, person, verb, "not a lead")
            return await view(
                case, partnership, for_lead=False, notice=wording.DECISION_REFUSED_NOT_LEAD
            )
        return await self._decide(case, etag, partnership, lead, person, verb, data, view)

    async def _decide(
        self,
        case: Case,
        etag: str,
        partnership: Partnership,
        lead: Lead,
        person: Person,
        verb: str,
        data: Mapping[str, Any],
        view: CardView,
    ) -> Card:
        actor = Actor.from_lead(lead, person.audit_id, on_behalf_of=_on_behalf_of(lead, data))
        if lead not in partnership.leads:
            # A member of the leads group: the domain checks actors against the partnership's
            # leads, so this one joins them for this decision (with no partner to speak for).
            partnership = partnership.model_copy(update={"leads": (*partnership.leads, lead)})
        try:
            decision = parse_decision(_decision_data(verb, data))
        except DecisionError as exc:
            notice = wording.decision_problem(exc)
            return await view(case, partnership, for_lead=True, notice=notice, lead=lead)
        now = self._clock.now()
        for _ in range(_SAVE_ATTEMPTS):
            try:
                result = apply_decision(
                    case, decision, actor=actor, partnership=partnership, at=now
                )
            except DecisionError as exc:
                if isinstance(exc, _ROLE_REFUSALS):
                    logger.warning(
                        "case %s: decision %s refused, %s", case.reference, quoted(verb), exc.code
                    )
                    await self._audit_lead_refusal(case, actor, verb, exc, now)
                notice = self._conflict_notice(case, actor, now, wording.decision_problem(exc))
                return await view(case, partnership, for_lead=True, notice=notice, lead=lead)
            if not result.changed:
                return await view(
                    case, partnership, for_lead=True, notice=wording.DECISION_ALREADY, lead=lead
                )
            try:
                await self._cases.save(result.case, etag)
            except ConflictError:
                reloaded = await self._cases.get(case.reference)
                if reloaded is None:
                    break
                seen = len(case.decisions)
                case, etag = reloaded
                if len(case.decisions) > seen:
                    # Another lead decided while this click was on its way: the lead is shown
                    # that decision and decides again, never a second one stacked unseen.
                    notice = self._conflict_notice(case, actor, now, wording.DECISION_CHECK_AGAIN)
                    return await view(case, partnership, for_lead=True, notice=notice, lead=lead)
                continue
            if result.audit is not None:
                entry = result.audit
                await self._cases.audit(
                    entry.reference,
                    at=entry.record.at,
                    actor=entry.record.actor.id,
                    role=entry.record.actor.role,
                    what=wording.decision_label(entry.kind),
                    **entry.detail(),
                )
            logger.info(
                "case %s: %s recorded (version %d)", case.reference, verb, result.case.version
            )
            await self._after(result.case, case, partnership)
            label = wording.decision_label(DecisionKind(verb))
            return await view(
                result.case,
                partnership,
                for_lead=True,
                notice=wording.DECISION_RECORDED.format(label=label),
                lead=lead,
                recorded=Recorded(decision, actor),
            )
        return adaptive_card([text_block(wording.DECISION_CASE_GONE)])

    async def _case_view(
        self,
        case: Case,
        partnership: Partnership,
        *,
        for_lead: bool,
        notice: str | None = None,
        lead: Lead | None = None,
        recorded: Recorded | None = None,
        pressed_by_non_lead: bool = False,
    ) -> Card:
        # The case card says what was recorded in its notice.
        return await self._cards.card(
            case,
            partnership,
            for_lead=for_lead,
            notice=notice,
            lead=lead,
            pressed_by_non_lead=pressed_by_non_lead,
        )

    def _conflict_notice(self, case: Case, actor: Actor, now: datetime, problem: str) -> str:
        # Someone else decided moments ago (a race, or two leads on the same card): say who.
        last = case.decisions[-1] if case.decisions else None
        if last is None or last.actor.id == actor.id or now - last.at > RECENT:
            return problem
        label = wording.decision_label(DecisionKind(last.kind))
        return wording.DECISION_CONFLICT.format(name=last.actor.name, label=label, problem=problem)

    async def _audit_refusal(self, case: Case, person: Person, verb: str, why: str) -> None:
        # Counted per person, action and day (README "Who may record what"): a client that
        # repeats a forged click cannot grow the trail without bound.
        now = self._clock.now()
        await self._cases.audit_repeat(
            case.reference,
            at=now,
            day=london_time(now).date(),
            actor=person.audit_id,
            role="not a lead" if why == "not a lead" else "unknown",
            # Only a verb the cards send is kept; anything else a client made up is "unknown".
            what=f"refused: {verb if verb in _VERBS else 'unknown'}",
            reason=why,
        )

    async def _audit_lead_refusal(
        self, case: Case, actor: Actor, verb: str, error: DecisionError, at: datetime
    ) -> None:
        """A lead refused for who they are (the LA's decision by the police, say), audited
        (counted per lead, action and day, as a non-lead's)."""
        await self._cases.audit_repeat(
            case.reference,
            at=at,
            day=london_time(at).date(),
            actor=actor.id,
            role=actor.role,
            what=f"refused: {verb}",
            actor_name=actor.name,
            partner=actor.partner.value if actor.partner else None,
            on_behalf_of=actor.on_behalf_of.value if actor.on_behalf_of else None,
            refusal=error.code.value,
            case_version=case.version,
        )

    async def _after(self, case: Case, before: Case, partnership: Partnership) -> None:
        """Update the channel's copy for everyone and tell the referrer what changed."""
        if case.channel_activity_id:
            try:
                card = await self._cards.card(case, partnership, for_lead=False)
                await self._notifier.update_in_review_channel(
                    partnership, case.channel_activity_id, card
                )
            except NotifierError as exc:
                logger.warning("case %s: channel copy not updated: %s", case.reference, exc)
        told_before = wording.summary_lines(decision_summary(before))
        new_lines = [
            line
            for line in wording.summary_lines(decision_summary(case))
            if line not in told_before
        ]
        if not new_lines:
            return
        body = [
            text_block(
                wording.REFERRER_UPDATE_TITLE.format(reference=case.reference), weight="Bolder"
            ),
            *(text_block(escape_markdown(line)) for line in new_lines),
        ]
        try:
            await self._notifier.send_to_user_id(case.submitted_by.user_id, adaptive_card(body))
        except NotifierError as exc:
            logger.warning("case %s: referrer not told: %s", case.reference, exc)
