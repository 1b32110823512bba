"""Reminder and digest planning: which reminders may be posted now, as a pure function of the cases.

Nothing here reads the clock, a file or the network: the scheduler passes `now` and the cases,
posts what the plan returns, and skips keys it has already posted. A reminder's key names the
case, milestone, kind and the due date it was computed for, so the same moment always plans the
same keys, a reminder posted once is never posted again, and a slipped due date plans new ones.
"""

from __future__ import annotations

from collections.abc import Container, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from safeguarding.calendar import PartnershipCalendars, WorkingDayCalendar
from safeguarding.cases import FINISHED_STATUSES, Case, CaseStatus
from safeguarding.clocks import london_time
from safeguarding.decisions import agency_summaries
from safeguarding.partnerships import OpeningHours, Partner, Partnership
from safeguarding.timeline import (
    MilestoneKey,
    MilestoneStatus,
    TimelineInputError,
    compute_timeline,
)
from scheduler.policy import (
    NOTIFICATION_PATH,
    digest_moment,
    london_moment,
    reminded_milestones,
)

DEFAULT_LOOKBACK_WORKING_DAYS = 10

ReminderKind = Literal["lead", "due_today", "overdue"]


# The notification and rapid-review clocks only run while the case is on that path. Once the LA
# decides not to notify (no_serious_incident, or a learning review offered instead) or the rapid
# review is behind it, no decision can mark these done, so the timeline alone would call them
# overdue for ever.
_NOTIFICATION_PATH = frozenset(NOTIFICATION_PATH)
_ON_NOTIFICATION_PATH = frozenset({CaseStatus.REFERRED, CaseStatus.RAPID_REVIEW})
# Before the SIN is made these are projected from the SIN's due date: the SIN's own reminders
# say what is late; reminding of a rapid review that has not started would only add noise.
_RAPID_REVIEW_CLOCK = _NOTIFICATION_PATH - {MilestoneKey.SIN, MilestoneKey.NOTIFY_PARTNERS}

_ORDER = {key: index for index, key in enumerate(MilestoneKey)}
_NOTHING: frozenset[str] = frozenset()
_SETTLED = frozenset({MilestoneStatus.DONE, MilestoneStatus.NOT_APPLICABLE})


class PlanInputError(ValueError):
    """Planning inputs that cannot be planned from, such as a naive `now`."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reminder(_Frozen):
    """One reminder that may be posted now; `key` makes posting it idempotent."""

    key: str
    reference: str
    partnership_id: str
    milestone: MilestoneKey
    kind: ReminderKind
    lead_days: int | None
    due: date
    # The due date before any slips; None when the milestone has not slipped.
    original_due: date | None
    # As of `now`'s day in London: negative when overdue.
    working_days_left: int | None
    responsible: str
    # The leads an overdue escalation @mentions (Entra object id, else UPN); empty otherwise.
    mention_lead_ids: tuple[str, ...] = ()
    # Aware UTC: the start of working hours on the working day the reminder is for.
    send_after: datetime
    # The bot missed it: a working day on which it could have been posted (the case filed, the
    # reminder's day come) ended before `now`. Not set for a deadline already past at filing.
    late: bool
    # An overdue escalation for a date that had passed before the case was filed.
    filed_after_due: bool = False
    # For the summaries-in milestone: the agencies asked whose summaries are not in yet, as the
    # case records them (keys or names), read when the reminder is planned. Not in the key: a
    # summary coming in changes this list, and must not post the reminder again.
    outstanding: tuple[str, ...] = ()


class DigestEntry(_Frozen):
    """One open case in a weekly digest, with its next pending milestone if it has one."""

    reference: str
    partnership_id: str
    case_status: CaseStatus
    milestone: MilestoneKey | None
    due: date | None
    original_due: date | None
    working_days_left: int | None
    overdue: bool
    responsible: str | None


class Digest(_Frozen):
    """A partnership's weekly digest: every open case, overdue first, then by days left."""

    partnership_id: str
    # The London day it was planned on, and that day's ISO year and week.
    planned_on: date
    iso_year: int
    iso_week: int
    entries: tuple[DigestEntry, ...]

    @property
    def week_of(self) -> date:
        """The Monday of the week the digest covers, whatever day it is posted (after downtime)."""
        return date.fromisocalendar(self.iso_year, self.iso_week, 1)


def reminder_key(
    reference: str, milestone: MilestoneKey, kind: ReminderKind, lead_days: int | None, due: date
) -> str:
    """The idempotency key of a reminder, e.g. 'COV-2026-001|sin|lead:2|2026-11-25'."""
    label = f"lead:{lead_days}" if kind == "lead" else kind
    return f"{reference}|{milestone.value}|{label}|{due.isoformat()}"


def next_working_moment(
    partnership: Partnership, calendar: WorkingDayCalendar, moment: datetime
) -> datetime:
    """`moment` (as aware UTC) if inside working hours, else the next start of working hours."""
    return _next_working_moment(partnership.reminders.hours(), calendar, _aware(moment))


def _next_working_moment(
    hours: OpeningHours, calendar: WorkingDayCalendar, moment: datetime
) -> datetime:
    local = london_time(moment)
    day, clock = local.date(), local.time()
    if calendar.is_working_day(day):
        if clock < hours.opens:
            return london_moment(day, hours.opens)
        if clock < hours.closes:
            return moment.astimezone(UTC)
    return london_moment(calendar.next_working_day(day), hours.opens)


def _stored(moment: datetime) -> datetime:
    # Stored moments are UTC; one that lost its zone is read as UTC, as the cards read it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PlanInputError("naive datetimes are ambiguous; pass an aware datetime")
    return moment


@dataclass(frozen=True, slots=True)
class _Slot:
    """The reminder one due date calls for at the moment of planning."""

    kind: ReminderKind
    lead_days: int | None
    send_after: datetime
    # The working day the reminder is for; whether posting it now is late depends on the case.
    day: date
    working_days_left: int


@dataclass
class _Partnership:
    """What one planning pass needs of a partnership, worked out once for all its cases."""

    partnership: Partnership
    calendar: WorkingDayCalendar
    hours: OpeningHours
    milestones: frozenset[MilestoneKey]
    today: date
    open_now: bool
    lookback_days: int
    _opens: dict[date, datetime] = field(default_factory=dict)
    _mentions: dict[tuple[Partner, ...], tuple[str, ...]] = field(default_factory=dict)
    # Thousands of milestones share a few hundred due dates: work each one out once per pass.
    _slots: dict[date, _Slot | None] = field(default_factory=dict)
    _left: dict[date, int] = field(default_factory=dict)

    def days_left(self, due: date) -> int:
        """Working days from today to `due`, counted as the timeline counts them."""
        found = self._left.get(due)
        if found is None:
            left = self.calendar.working_days_between(self.today, due)
            # As in the timeline: overdue on a weekend after a Friday deadline is still late.
            found = self._left[due] = min(left, -1) if self.today > due else left
        return found

    def slot(self, due: date) -> _Slot | None:
        """The reminder a due date calls for now, if any."""
        if due not in self._slots:
            self._slots[due] = self._work_out_slot(due)
        return self._slots[due]

    def _work_out_slot(self, due: date) -> _Slot | None:
        today, calendar = self.today, self.calendar
        policy = self.partnership.reminders
        lead_days: int | None = None
        if today > due:
            if not policy.escalate_overdue:
                return None
            kind: ReminderKind = "overdue"
            day = calendar.next_working_day(due)
        else:
            # A due date on a weekend or holiday is met on the working day before it: that day
            # has 0 working days left, and lead times count back from it.
            last = due if calendar.is_working_day(due) else calendar.subtract_working_days(due, 1)
            left = calendar.working_days_between(today, last)
            # Lead times are furthest first: the last one whose day has come is the most recent.
            reached = [n for n in policy.lead_times_working_days if n >= left]
            if not reached or reached[-1] - left > self.lookback_days:
                return None
            lead = reached[-1]
            kind = "lead" if lead else "due_today"
            lead_days = lead if lead else None
            day = calendar.subtract_working_days(last, lead)
        return _Slot(
            kind=kind,
            lead_days=lead_days,
            send_after=self.opens(day),
            day=day,
            working_days_left=self.days_left(due),
        )

    def first_day(self, submitted_at: datetime) -> date:
        """The working day a case filed at `submitted_at` could first be reminded of anything."""
        moment = _next_working_moment(self.hours, self.calendar, _stored(submitted_at))
        return london_time(moment).date()

    def opens(self, day: date) -> datetime:
        """The start of working hours on a day, as aware UTC."""
        found = self._opens.get(day)
        if found is None:
            found = self._opens[day] = london_moment(day, self.hours.opens)
        return found

    def mentions(self, partners: tuple[Partner, ...]) -> tuple[str, ...]:
        """The leads an escalation about a milestone owned by `partners` names."""
        found = self._mentions.get(partners)
        if found is None:
            found = self._mentions[partners] = _responsible_leads(self.partnership, partners)
        return found


def _responsible_leads(partnership: Partnership, partners: tuple[Partner, ...]) -> tuple[str, ...]:
    ids: list[str] = []
    for lead in partnership.leads:
        # Leads with no partner (business manager, chair) hear of every escalation.
        if lead.partner is None or (lead.partner in partners if partners else True):
            lead_id = lead.aad_object_id or lead.upn
            if lead_id is not None and lead_id not in ids:
                ids.append(lead_id)
    return tuple(ids)


class _Pass:
    """One planning pass: the per-partnership context, built lazily and reused for every case."""

    def __init__(
        self,
        partnerships: Mapping[str, Partnership],
        calendars: PartnershipCalendars,
        now: datetime,
        lookback_days: int = DEFAULT_LOOKBACK_WORKING_DAYS,
        cache: OpenMilestonesCache | None = None,
    ) -> None:
        if lookback_days < 0:
            raise PlanInputError(f"lookback_days must be 0 or more, not {lookback_days}")
        self.lookback_days = lookback_days
        self.partnerships = partnerships
        self.calendars = calendars
        self.now = _aware(now)
        self.today = london_time(self.now).date()
        self.cache = cache
        self._contexts: dict[str, _Partnership | None] = {}

    def context(self, partnership_id: str) -> _Partnership | None:
        if partnership_id in self._contexts:
            return self._contexts[partnership_id]
        partnership = self.partnerships.get(partnership_id)
        context: _Partnership | None = None
        if partnership is not None:
            calendar = self.calendars.for_partnership(partnership)
            hours = partnership.reminders.hours()
            context = _Partnership(
                partnership=partnership,
                calendar=calendar,
                hours=hours,
                milestones=frozenset(reminded_milestones(partnership.reminders)),
                today=self.today,
                open_now=_next_working_moment(hours, calendar, self.now) == self.now,
                lookback_days=self.lookback_days,
            )
        self._contexts[partnership_id] = context
        return context

    def facts(self, case: Case) -> CaseFacts:
        """What planning needs of `case`; no deadlines when its partnership is not planned for."""
        context = self.context(case.partnership_id)
        finished = case.status in FINISHED_STATUSES
        found = (
            ()
            if context is None or finished
            else _open_milestones(case, context, self.today, self.cache)
        )
        outstanding = (
            agency_summaries(case).outstanding
            if any(m.key is MilestoneKey.RR_IAS_RETURNS for m in found)
            else ()
        )
        return CaseFacts(
            reference=case.reference,
            partnership_id=case.partnership_id,
            status=case.status,
            submitted_at=_stored(case.submitted_at),
            open=found,
            outstanding=outstanding,
        )

    def pending(self, case: CaseFacts, context: _Partnership) -> list[_Open]:
        """The case's milestones the policy reminds of that still have a due date to meet."""
        on_path = case.status in _ON_NOTIFICATION_PATH
        return [
            m
            for m in case.open
            if m.key in context.milestones
            and (on_path or m.key not in _NOTIFICATION_PATH)
            and not (m.projected and m.key in _RAPID_REVIEW_CLOCK)
        ]


@dataclass(frozen=True, slots=True)
class _Open:
    """A deadline not yet met or settled; none of this depends on the day of planning."""

    key: MilestoneKey
    due: date
    original_due: date | None
    responsible: str
    partners: tuple[Partner, ...]
    # Counted from another milestone's due date because that milestone is not met yet.
    projected: bool


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What planning needs of one case, in a few small objects rather than the whole case.

    None of it depends on the day of planning, so the runner keeps it between ticks for each
    version of a case (by e-tag) and reads again only the cases that changed.
    """

    reference: str
    partnership_id: str
    status: CaseStatus
    # Aware UTC.
    submitted_at: datetime
    # The deadlines not yet met or settled, on its partnership's clock; none once finished.
    open: tuple[_Open, ...]
    # For the summaries-in milestone: the agencies whose summaries are not in yet.
    outstanding: tuple[str, ...]


class OpenMilestonesCache:
    """Each case's open deadlines, kept between passes until the case's clock inputs change.

    Computing 10,000 timelines takes seconds, while a case changes a few times a month; due dates,
    completion and applicability do not depend on the day, so the cache key leaves it out. A
    caller planning the same cases again and again passes one to every pass; without one, a
    pass computes afresh. (The runner keeps each case's `CaseFacts` by e-tag instead.)
    """

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._entries: dict[Hashable, tuple[_Open, ...]] = {}

    def get(self, key: Hashable) -> tuple[_Open, ...] | None:
        """The open deadlines kept under `key`, if any."""
        return self._entries.get(key)

    def put(self, key: Hashable, value: tuple[_Open, ...]) -> None:
        """Keep `value` under `key`, dropping the oldest entries beyond `maxsize`."""
        while len(self._entries) >= self.maxsize:
            # Oldest first: entries of cases that since changed are never read again.
            del self._entries[next(iter(self._entries))]
        self._entries[key] = value


def _open_milestones(
    case: Case, context: _Partnership, today: date, cache: OpenMilestonesCache | None
) -> tuple[_Open, ...]:
    clock = context.partnership.clock
    key: Hashable = None
    if cache is not None:
        events = tuple(sorted(case.milestone_events.items()))
        key = (clock, context.calendar, case.dates, events, case.collaborator)
        found = cache.get(key)
        if found is not None:
            return found
    try:
        # A case the partnership only takes part in has no deadline here (CA 2004 s16C(1)).
        timeline = compute_timeline(
            case.dates,
            clock,
            context.calendar,
            today,
            events=case.milestone_events,
            collaborator=case.collaborator,
        )
    except TimelineInputError:
        # Stored cases were validated when their dates were recorded; one that no longer
        # computes must not stop every other case's reminders.
        found = ()
    else:
        found = tuple(
            _Open(
                key=m.key,
                due=m.due,
                original_due=m.original_due,
                responsible=m.responsible,
                partners=m.partners,
                projected=m.basis_projected,
            )
            for m in timeline.milestones
            if m.due is not None and m.kind == "deadline" and m.status not in _SETTLED
        )
    if cache is not None:
        cache.put(key, found)
    return found


def _reminder(
    case: CaseFacts, milestone: _Open, context: _Partnership, settled: Container[str]
) -> Reminder | None:
    """The most recent reminder for a milestone that may be posted now, if any is relevant."""
    slot = context.slot(milestone.due)
    if slot is None:
        return None
    due = milestone.due
    key = reminder_key(case.reference, milestone.key, slot.kind, slot.lead_days, due)
    if key in settled:
        return None
    filed_on = context.first_day(case.submitted_at)
    # Planning only happens in working hours, so a day before today is a day whose working hours
    # are over. The reminder was missed only if the case existed on that day: a slot that came
    # before the case was filed is posted on time on the case's first working day.
    late = max(slot.day, filed_on) < context.today
    filed_after_due = slot.kind == "overdue" and due < london_time(case.submitted_at).date()
    return Reminder(
        key=key,
        reference=case.reference,
        partnership_id=case.partnership_id,
        milestone=milestone.key,
        kind=slot.kind,
        lead_days=slot.lead_days,
        due=due,
        original_due=milestone.original_due if milestone.original_due != due else None,
        working_days_left=slot.working_days_left,
        responsible=milestone.responsible,
        mention_lead_ids=(context.mentions(milestone.partners) if slot.kind == "overdue" else ()),
        send_after=slot.send_after,
        late=late,
        filed_after_due=filed_after_due,
        # The business unit chases each agency whose summary is not in by day 10 (local
        # practice within the rapid review's 15 working days, DOMAIN.md milestone 4): name them.
        outstanding=case.outstanding if milestone.key is MilestoneKey.RR_IAS_RETURNS else (),
    )


def plan_reminders(
    cases: Iterable[Case],
    *,
    partnerships: Mapping[str, Partnership],
    calendars: PartnershipCalendars,
    now: datetime,
    lookback_days: int = DEFAULT_LOOKBACK_WORKING_DAYS,
    cache: OpenMilestonesCache | None = None,
) -> list[Reminder]:
    """Every reminder that may be posted at `now`, in due order; empty outside working hours."""
    planning = _Pass(partnerships, calendars, now, lookback_days, cache)
    return _plan_reminders(planning, (planning.facts(c) for c in cases), None)


class FactsPass:
    """Works out `CaseFacts` case by case, sharing one pass's partnership contexts."""

    def __init__(
        self,
        *,
        partnerships: Mapping[str, Partnership],
        calendars: PartnershipCalendars,
        now: datetime,
    ) -> None:
        self._pass = _Pass(partnerships, calendars, now)

    def facts(self, case: Case) -> CaseFacts:
        """What planning needs of `case`, to plan from later without the case itself."""
        return self._pass.facts(case)


def reminders_from_facts(
    facts: Iterable[CaseFacts],
    *,
    partnerships: Mapping[str, Partnership],
    calendars: PartnershipCalendars,
    now: datetime,
    settled: Mapping[str, Container[str]] | None = None,
) -> list[Reminder]:
    """`plan_reminders` over facts kept from earlier, leaving out the keys `settled` holds
    under their case's reference (those posted, or settled for good, before)."""
    planning = _Pass(partnerships, calendars, now)
    return _plan_reminders(planning, facts, settled)


def _plan_reminders(
    planning: _Pass, facts: Iterable[CaseFacts], settled: Mapping[str, Container[str]] | None
) -> list[Reminder]:
    planned: list[Reminder] = []
    for case in facts:
        if case.status in FINISHED_STATUSES:
            continue
        context = planning.context(case.partnership_id)
        # Outside a partnership's working hours nothing of it may be posted; what is still
        # relevant when its hours start is planned then.
        if context is None or not context.open_now:
            continue
        done = settled.get(case.reference, _NOTHING) if settled else _NOTHING
        for milestone in planning.pending(case, context):
            reminder = _reminder(case, milestone, context, done)
            if reminder is not None:
                planned.append(reminder)
    planned.sort(key=reminder_order)
    return planned


def reminder_order(r: Reminder) -> tuple[datetime, date, str, int, str, str]:
    """The order reminders are posted in: by the moment they may go, then the due date."""
    return (r.send_after, r.due, r.reference, _ORDER[r.milestone], r.partnership_id, r.key)


def plan_digest(
    cases: Iterable[Case],
    *,
    partnerships: Mapping[str, Partnership],
    calendars: PartnershipCalendars,
    now: datetime,
    cache: OpenMilestonesCache | None = None,
) -> list[Digest]:
    """One digest per partnership in `partnerships` (by id), listing each of its open cases."""
    planning = _Pass(partnerships, calendars, now, cache=cache)
    return _plan_digest(planning, (planning.facts(c) for c in cases))


def digests_from_facts(
    facts: Iterable[CaseFacts],
    *,
    partnerships: Mapping[str, Partnership],
    calendars: PartnershipCalendars,
    now: datetime,
) -> list[Digest]:
    """`plan_digest` over facts kept from earlier."""
    return _plan_digest(_Pass(partnerships, calendars, now), facts)


def _plan_digest(planning: _Pass, facts: Iterable[CaseFacts]) -> list[Digest]:
    entries: dict[str, list[DigestEntry]] = {pid: [] for pid in planning.partnerships}
    for case in facts:
        if case.status in FINISHED_STATUSES:
            continue
        context = planning.context(case.partnership_id)
        if context is None:
            continue
        pending = planning.pending(case, context)
        upcoming = min(pending, key=lambda m: (m.due, _ORDER[m.key]), default=None)
        entries[case.partnership_id].append(_digest_entry(case, upcoming, context))
    iso = planning.today.isocalendar()
    return [
        Digest(
            partnership_id=pid,
            planned_on=planning.today,
            iso_year=iso.year,
            iso_week=iso.week,
            entries=tuple(sorted(entries[pid], key=_digest_order)),
        )
        for pid in sorted(entries)
    ]


def _digest_entry(case: CaseFacts, milestone: _Open | None, context: _Partnership) -> DigestEntry:
    if milestone is None:
        return DigestEntry(
            reference=case.reference,
            partnership_id=case.partnership_id,
            case_status=case.status,
            milestone=None,
            due=None,
            original_due=None,
            working_days_left=None,
            overdue=False,
            responsible=None,
        )
    return DigestEntry(
        reference=case.reference,
        partnership_id=case.partnership_id,
        case_status=case.status,
        milestone=milestone.key,
        due=milestone.due,
        original_due=milestone.original_due if milestone.original_due != milestone.due else None,
        working_days_left=context.days_left(milestone.due),
        overdue=context.today > milestone.due,
        responsible=milestone.responsible,
    )


def _digest_order(entry: DigestEntry) -> tuple[int, int, date, int, str]:
    # Overdue first (most overdue first), then fewest working days left; cases with nothing
    # pending last, by reference.
    if entry.milestone is None or entry.due is None:
        return (2, 0, date.max, 0, entry.reference)
    left = entry.working_days_left if entry.working_days_left is not None else 0
    return (0 if entry.overdue else 1, left, entry.due, _ORDER[entry.milestone], entry.reference)


def digest_due(
    partnership: Partnership,
    now: datetime,
    last_sent: date | None,
    *,
    calendar: WorkingDayCalendar | None = None,
) -> bool:
    """Whether this week's digest moment has come and no digest was sent this (ISO) week.

    With `calendar`, a digest is also held to working hours on a working day: one due on a bank
    holiday Monday goes at the start of Tuesday's working hours, still in the same week.
    """
    policy = partnership.reminders
    moment = _aware(now)
    today = london_time(moment).date()
    if moment < digest_moment(policy, today):
        return False
    if calendar is not None and (
        _next_working_moment(policy.hours(), calendar, moment) != moment.astimezone(UTC)
    ):
        return False
    # A last_sent later than this week (a clock set back) counts as sent.
    return last_sent is None or last_sent.isocalendar()[:2] < today.isocalendar()[:2]
