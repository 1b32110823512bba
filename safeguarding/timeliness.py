"""Timeliness figures for one partnership and a period: each deadline on time, late or not due.

Pure: the cases, the partnership, its calendar, the period and `today` come in; counts and case
references go out, never names. The clock is the timeline's own (`compute_timeline`): a
deadline's first due date, its completion and whether that met the first date (`met_original`)
are read from it, so the report and the reminders can never disagree.

The figures, and where each rule comes from:
- the serious incident notification to the Panel within 5 working days of the local authority
  becoming aware (Children Act 2004 s16C(1); Working Together 2023 chapter 5);
- the safeguarding partners told within the same 5 working days (Working Together 2023 ch.5);
- the agency summaries in by day 10 of the rapid review: local practice within the rapid
  review's 15 working days (DOMAIN.md milestone 4; e.g. Devon's rapid review flowchart,
  "working day 2-10: Individual Agency Summaries produced");
- the rapid review sent to the Panel within 15 working days of the notification: the Panel's
  expectation, not a statutory limit (the Panel's FAQ, "A rapid review should be completed
  within 15 working days", childsafeguarding.independent-panel.uk/about/faqs/);
- a local CSPR's final report published within six months of the decision to hold it (Working
  Together 2023 chapter 5; Children Act 2004 s16F).

How a deadline is counted (README "Timeliness reporting" says the same for people):
- once, in the period its *first* due date falls in. A moved deadline keeps its first date:
  the statutory dates do not move, so one met by an agreed new date after the first is late
  (`met_moved_date` says it kept the new date); the move itself counts in `slips`, in the
  period it was recorded;
- met on or before that date: on time; after it: late; not met and the date has passed: late
  and still open (`OVERDUE`); not met and not yet due on `today`: not due yet, left out of the
  percentages;
- a case referred before the period counts for the deadlines that fall in it, and not in the
  referrals received;
- a case another local authority leads (`Case.collaborator`, CA 2004 s16C(1)) counts as a
  referral received and as an open case; its deadlines are that authority's, not counted here;
- a case found not notifiable has no notification deadlines; a step of the notification path
  passed without its date recorded (the rapid review sent before the summaries were recorded)
  is `NOT_RECORDED`, outside the percentages; the rapid review's clock counted from a SIN not
  made yet waits for the SIN, as its reminders do; a national review ends the local CSPR's;
- a partnership that counts a clock from its own anchor (the incident, or awareness) is
  measured on that clock, which never falls later than the national rule's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from enum import StrEnum
from typing import get_args

from pydantic import BaseModel, ConfigDict

from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import FINISHED_STATUSES, Case, CaseStatus
from safeguarding.clocks import london_time
from safeguarding.partnerships import Partnership
from safeguarding.timeline import (
    Milestone,
    MilestoneKey,
    MilestoneStatus,
    SlipKind,
    TimelineInputError,
    compute_timeline,
)

# The deadlines the report measures, in the order they fall.
MEASURED: tuple[MilestoneKey, ...] = (
    MilestoneKey.SIN,
    MilestoneKey.NOTIFY_PARTNERS,
    MilestoneKey.RR_IAS_RETURNS,
    MilestoneKey.RAPID_REVIEW,
    MilestoneKey.CSPR_FINAL_REPORT,
)
# Measured deadlines that run only while the case is on the notification path.
_NOTIFICATION = frozenset(MEASURED) - {MilestoneKey.CSPR_FINAL_REPORT}
# Counted from the SIN: while the SIN is not made their dates are only projected.
_FROM_THE_SIN = frozenset({MilestoneKey.RR_IAS_RETURNS, MilestoneKey.RAPID_REVIEW})
_ON_THE_PATH = frozenset({CaseStatus.REFERRED, CaseStatus.RAPID_REVIEW})


class TimelinessInputError(ValueError):
    """A period that ends before it starts, or one no report can mean."""


# The days a report's period may cover. Nothing the report measures is older than the Children
# Act 2004 (its s16C notification and s16F reviews, inserted by the Children and Social Work Act
# 2017), so no stored deadline falls before 2004; the end is far past any case the bot can hold.
# Without a bound a typo (9999-12-31) runs the quarters past the last date Python has.
FIRST_REPORT_DAY = date(2004, 1, 1)
LAST_REPORT_DAY = date(2100, 12, 31)
# A partnership reports yearly (Working Together 2023 chapter 4); ten years is ample for a trend
# and keeps a report within one edition of the statutory guidance's clocks, give or take.
MAX_REPORT_YEARS = 10


class DeadlineOutcome(StrEnum):
    """Where one deadline stands on `today`, against its first due date."""

    ON_TIME = "on_time"
    LATE = "late"  # met, after its first due date
    OVERDUE = "overdue"  # not met, and its first due date has passed: late, still open
    NOT_DUE_YET = "not_due_yet"
    NOT_RECORDED = "not_recorded"  # the step was passed without its date being recorded


# The outcomes the percentages are taken of: what is known to be on time or late.
COUNTED = (DeadlineOutcome.ON_TIME, DeadlineOutcome.LATE, DeadlineOutcome.OVERDUE)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deadline(_Frozen):
    """One case's deadline as the report counts it."""

    reference: str
    milestone: MilestoneKey
    # The first due date: the deadline is counted in the period this falls in.
    due: date
    outcome: DeadlineOutcome
    completed_on: date | None = None
    # The agreed new date, when the deadline was moved.
    moved_to: date | None = None
    # Late, but met by the agreed new date.
    met_moved_date: bool = False


class MilestoneFigures(_Frozen):
    """Every deadline of one milestone due in the period."""

    milestone: MilestoneKey
    deadlines: tuple[Deadline, ...] = ()

    def with_outcome(self, *outcomes: DeadlineOutcome) -> tuple[Deadline, ...]:
        """The deadlines with any of these outcomes, in due-date order."""
        return tuple(d for d in self.deadlines if d.outcome in outcomes)

    def count(self, *outcomes: DeadlineOutcome) -> int:
        """How many deadlines have any of these outcomes."""
        return len(self.with_outcome(*outcomes))

    @property
    def counted(self) -> int:
        """The deadlines known to be on time or late: the percentages' whole."""
        return self.count(*COUNTED)

    def percent(self, *outcomes: DeadlineOutcome) -> int | None:
        """These outcomes as a whole percentage of the counted deadlines; None when none."""
        if not self.counted:
            return None
        return round(100 * self.count(*outcomes) / self.counted)


class SlipCount(_Frozen):
    """A deadline moved in the period: which case and milestone, when, and the kind of reason."""

    reference: str
    milestone: MilestoneKey
    recorded_on: date
    # The lead's choice of why (never their words, which may name people); None if not asked.
    kind: SlipKind | None = None


class StageCount(_Frozen):
    """The open cases at one stage."""

    status: CaseStatus
    references: tuple[str, ...]


class Timeliness(_Frozen):
    """One partnership's figures for a period, as they stand on `today`."""

    partnership_id: str
    start: date
    end: date
    today: date
    # Filed in the period (by the London day of submission).
    referrals: tuple[str, ...] = ()
    # Of those, the cases another local authority leads.
    led_elsewhere: tuple[str, ...] = ()
    milestones: tuple[MilestoneFigures, ...] = ()
    slips: tuple[SlipCount, ...] = ()
    # Cases filed by the period's end and not finished on `today`, by stage.
    open_by_stage: tuple[StageCount, ...] = ()
    # Cases whose stored dates no longer compute: named so someone can look.
    not_counted: tuple[str, ...] = ()

    def figures(self, milestone: MilestoneKey) -> MilestoneFigures:
        """The figures of one measured milestone."""
        for figures in self.milestones:
            if figures.milestone is milestone:
                return figures
        raise KeyError(milestone)

    def slips_by_milestone(self) -> dict[MilestoneKey, tuple[SlipCount, ...]]:
        """The slips grouped by milestone, in timeline order; milestones with none left out."""
        grouped = {key: tuple(s for s in self.slips if s.milestone is key) for key in MilestoneKey}
        return {key: slips for key, slips in grouped.items() if slips}

    def slips_by_kind(self) -> dict[SlipKind | None, tuple[SlipCount, ...]]:
        """The slips grouped by the kind of reason, in the kinds' order; None (not given) last."""
        kinds: list[SlipKind | None] = [*get_args(SlipKind), None]
        grouped = {kind: tuple(s for s in self.slips if s.kind == kind) for kind in kinds}
        return {kind: slips for kind, slips in grouped.items() if slips}

    @property
    def open_cases(self) -> int:
        """How many cases are open."""
        return sum(len(stage.references) for stage in self.open_by_stage)


def _outcome(case: Case, m: Milestone, today: date) -> Deadline | None:
    """How the report counts one milestone of a case, or None when it is no deadline here."""
    if m.status is MilestoneStatus.NOT_APPLICABLE or m.original_due is None:
        return None
    moved = m.due if m.due != m.original_due else None
    if m.completed_on is not None:
        late = not m.met_original
        return Deadline(
            reference=case.reference,
            milestone=m.key,
            due=m.original_due,
            outcome=DeadlineOutcome.LATE if late else DeadlineOutcome.ON_TIME,
            completed_on=m.completed_on,
            moved_to=moved,
            met_moved_date=late and bool(m.on_time),
        )
    outcome: DeadlineOutcome
    if m.status is MilestoneStatus.DONE:
        # Done with no date: an internal step the rapid review's submission passed.
        outcome = DeadlineOutcome.NOT_RECORDED
    elif m.key in _NOTIFICATION and case.status not in _ON_THE_PATH:
        if case.dates.sin_made is None:
            return None  # found not notifiable (or closed before): nothing was due
        outcome = DeadlineOutcome.NOT_RECORDED
    elif m.key in _FROM_THE_SIN and m.basis_projected:
        return None  # counted from a SIN not made yet: the SIN's own deadline says it
    elif today > m.original_due:
        outcome = DeadlineOutcome.OVERDUE
    else:
        outcome = DeadlineOutcome.NOT_DUE_YET
    return Deadline(
        reference=case.reference,
        milestone=m.key,
        due=m.original_due,
        outcome=outcome,
        moved_to=moved,
    )


def _submitted_on(case: Case) -> date:
    # Stored moments are UTC; one that lost its zone is read as UTC, as everywhere else.
    moment = case.submitted_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return london_time(moment).date()


@dataclass(frozen=True, slots=True)
class _Received:
    """What the counts read of a case: when it came in, where it stands, who leads it."""

    reference: str
    submitted_on: date
    status: CaseStatus
    collaborator: bool


class TimelinessCounter:
    """Every case's deadlines and slips worked out once, then counted for any period in range.

    The chart asks for each quarter of a period; the timelines are computed once for all.
    """

    def __init__(
        self,
        cases: Iterable[Case],
        partnership: Partnership,
        calendar: WorkingDayCalendar,
        *,
        today: date,
    ) -> None:
        self.partnership = partnership
        self.today = today
        self._calendar = calendar
        # Of each case only what the counts read, not the case: thousands can be counted.
        self._cases: list[_Received] = []
        self._deadlines: list[Deadline] = []
        self._slips: list[SlipCount] = []
        self._not_counted: list[str] = []
        self._in_order = True
        self.add(cases)

    def add(self, cases: Iterable[Case]) -> None:
        """Count these cases too (another partnership's are passed over)."""
        for case in cases:
            if case.partnership_id != self.partnership.id:
                continue
            self._cases.append(
                _Received(
                    reference=case.reference,
                    submitted_on=_submitted_on(case),
                    status=case.status,
                    collaborator=bool(case.collaborator),
                )
            )
            self._add(case, self._calendar)
            self._in_order = False

    def _add(self, case: Case, calendar: WorkingDayCalendar) -> None:
        for key, events in case.milestone_events.items():
            for slip in events.slips:
                self._slips.append(
                    SlipCount(
                        reference=case.reference,
                        milestone=MilestoneKey(key),
                        recorded_on=slip.recorded_on,
                        kind=slip.kind,
                    )
                )
        try:
            timeline = compute_timeline(
                case.dates,
                self.partnership.clock,
                calendar,
                self.today,
                events=case.milestone_events,
                collaborator=case.collaborator,
            )
        except TimelineInputError:
            # Stored cases were checked when their dates were recorded; one that no longer
            # computes is named, not guessed at, and must not stop the other cases' figures.
            self._not_counted.append(case.reference)
            return
        for key in MEASURED:
            deadline = _outcome(case, timeline.get(key), self.today)
            if deadline is not None:
                self._deadlines.append(deadline)

    def count(self, start: date, end: date) -> Timeliness:
        """The figures for the period from `start` to `end`, both days included."""
        if end < start:
            raise TimelinessInputError(f"the period ends ({end}) before it starts ({start})")
        if not self._in_order:
            self._deadlines.sort(key=lambda d: (d.due, d.reference))
            self._slips.sort(key=lambda s: (s.recorded_on, s.reference))
            self._in_order = True
        received = [c for c in self._cases if start <= c.submitted_on <= end]
        open_cases = [
            c for c in self._cases if c.status not in FINISHED_STATUSES and c.submitted_on <= end
        ]
        stages = tuple(
            StageCount(
                status=status,
                references=tuple(sorted(c.reference for c in open_cases if c.status is status)),
            )
            for status in CaseStatus
            if any(c.status is status for c in open_cases)
        )
        return Timeliness(
            partnership_id=self.partnership.id,
            start=start,
            end=end,
            today=self.today,
            referrals=tuple(sorted(c.reference for c in received)),
            led_elsewhere=tuple(sorted(c.reference for c in received if c.collaborator)),
            milestones=tuple(
                MilestoneFigures(
                    milestone=key,
                    deadlines=tuple(
                        d for d in self._deadlines if d.milestone is key and start <= d.due <= end
                    ),
                )
                for key in MEASURED
            ),
            slips=tuple(s for s in self._slips if start <= s.recorded_on <= end),
            open_by_stage=stages,
            not_counted=tuple(sorted(self._not_counted)),
        )


def count_timeliness(
    cases: Iterable[Case],
    partnership: Partnership,
    calendar: WorkingDayCalendar,
    *,
    start: date,
    end: date,
    today: date,
) -> Timeliness:
    """One partnership's timeliness figures for a period, as they stand on `today`."""
    return TimelinessCounter(cases, partnership, calendar, today=today).count(start, end)


def check_period(start: date, end: date) -> None:
    """TimelinessInputError unless the period is in order, within 2004-2100, at most ten years."""
    if end < start:
        raise TimelinessInputError(f"the period ends ({end}) before it starts ({start})")
    for day in (start, end):
        if not FIRST_REPORT_DAY <= day <= LAST_REPORT_DAY:
            raise TimelinessInputError(
                f"{day} is outside the years a report can cover"
                f" ({FIRST_REPORT_DAY.year} to {LAST_REPORT_DAY.year})"
            )
    try:
        too_far = start.replace(year=start.year + MAX_REPORT_YEARS)
    except ValueError:  # from 29 February: ten years on is 1 March
        too_far = date(start.year + MAX_REPORT_YEARS, 3, 1)
    if end >= too_far:
        raise TimelinessInputError(
            f"the period is longer than {MAX_REPORT_YEARS} years: give a shorter one"
        )


def quarters(start: date, end: date) -> tuple[tuple[date, date], ...]:
    """The calendar quarters (Jan-Mar, Apr-Jun, …) a period spans, each cut to the period."""
    if end < start:
        raise TimelinessInputError(f"the period ends ({end}) before it starts ({start})")
    found: list[tuple[date, date]] = []
    first = start
    while first <= end:
        quarter_month = 3 * ((first.month - 1) // 3) + 1
        if quarter_month == 10 and first.year == date.max.year:
            found.append((first, end))  # the last quarter Python has: no next one to start
            break
        next_quarter = (
            date(first.year + 1, 1, 1)
            if quarter_month == 10
            else date(first.year, quarter_month + 3, 1)
        )
        last = min(end, next_quarter - timedelta(days=1))
        found.append((first, last))
        first = next_quarter
    return tuple(found)


def month_before(day: date) -> tuple[date, date]:
    """The first and last day of the calendar month before the one `day` falls in."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def first_working_day_of_month(day: date, calendar: WorkingDayCalendar) -> date:
    """The first working day of the month `day` falls in, in this calendar."""
    first = day.replace(day=1)
    return first if calendar.is_working_day(first) else calendar.next_working_day(first)


def chart_period(end: date) -> tuple[date, date]:
    """The year of quarters a monthly chart shows: three whole quarters, then the one `end` is in.

    The last quarter runs only to `end` (the month reported), so a partial quarter reads as one.
    """
    quarter_month = 3 * ((end.month - 1) // 3) + 1
    index = end.year * 12 + quarter_month - 1 - 9
    return date(index // 12, index % 12 + 1, 1), end
