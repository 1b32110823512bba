"""The statutory clock of a case: every milestone's due date, basis, status, slips and completion.

`compute_timeline` is a pure function of the case's dates, the partnership's clock options, the
working-day calendar, the recorded slips and completions, and `today`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from safeguarding.calendar import WorkingDayCalendar, add_calendar_months, add_years_at_least
from safeguarding.partnerships import ClockOptions, Partner

SIN_WORKING_DAYS = 5
NOTIFY_PARTNERS_WORKING_DAYS = 5
RAPID_REVIEW_WORKING_DAYS = 15
PANEL_REPLY_WORKING_DAYS = 10
CSPR_REPORT_MONTHS = 6
COPY_TO_PANEL_WORKING_DAYS = 7
DEFAULT_DUE_SOON_WORKING_DAYS = 2

ALL_PARTNERS = (Partner.LOCAL_AUTHORITY, Partner.HEALTH, Partner.POLICE)


class TimelineInputError(ValueError):
    """Case dates or milestone events that contradict each other."""


# The fields of CaseDates, as the errors that name them carry them.
CaseDateField = Literal[
    "incident",
    "la_aware",
    "sin_made",
    "rapid_review_sent",
    "decision_to_review",
    "planned_publication",
    "published",
    "national_review",
]


class CaseDatesOrderError(TimelineInputError):
    """Two known case dates in an impossible order: `later` falls before `earlier`."""

    def __init__(
        self, later: CaseDateField, later_on: date, earlier: CaseDateField, earlier_on: date
    ) -> None:
        self.later = later
        self.later_on = later_on
        self.earlier = earlier
        self.earlier_on = earlier_on
        # Keys, not sentences: cards/wording.py words this for people.
        super().__init__(f"{later} {later_on.isoformat()} < {earlier} {earlier_on.isoformat()}")


class MilestoneKey(StrEnum):
    """The milestones of a case, in the order they are shown."""

    SIN = "sin"
    NOTIFY_PARTNERS = "notify_partners"
    RR_IAS_REQUESTS = "rr_ias_requests"
    RR_IAS_RETURNS = "rr_ias_returns"
    RR_DRAFT = "rr_draft"
    RR_SIGN_OFF = "rr_sign_off"
    RAPID_REVIEW = "rapid_review"
    PANEL_REPLY = "panel_reply"
    REPORT_COPY_TO_PANEL = "report_copy_to_panel"
    CSPR_FINAL_REPORT = "cspr_final_report"
    REPORT_AVAILABLE_UNTIL = "report_available_until"


# Which working days a milestone's due date is counted in: "national" (England and Wales bank
# holidays and proclaimed additions) for every statutory date, "partnership" (its closure days
# too) for the rapid review's internal steps.
CountedIn = Literal["national", "partnership"]


class MilestoneStatus(StrEnum):
    """Where a milestone stands on `today`."""

    NOT_DUE_YET = "not_due_yet"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class CaseDates(_Frozen):
    """The dates known so far for one case; each is None until it is known."""

    incident: date | None = None
    la_aware: date | None = None
    sin_made: date | None = None
    rapid_review_sent: date | None = None
    decision_to_review: date | None = None
    planned_publication: date | None = None
    published: date | None = None
    # The Panel decided to carry out a national review: the local CSPR's milestones end.
    national_review: date | None = None


# Why a deadline moved, as the lead picks it (their own words stay in `reason`), so slips can be
# counted by kind without reading what a lead typed: parallel proceedings (a police
# investigation, a trial, an inquest: DOMAIN.md), waiting on an agency's information, time to
# involve the family, the reviewer's availability, the partners' sign-off, something else.
SlipKind = Literal[
    "parallel_proceedings", "agency_information", "family", "reviewer", "partners", "other"
]


class Slip(_Frozen):
    """A new due date for a milestone, with the reason and the day it was recorded."""

    to: date
    reason: Reason
    recorded_on: date
    # None on slips recorded before the kind was asked.
    kind: SlipKind | None = None


class Completion(_Frozen):
    """The day a milestone was actually met."""

    on: date


class MilestoneEvents(_Frozen):
    """What has been recorded against one milestone: its slips, in order, and its completion."""

    slips: tuple[Slip, ...] = ()
    completion: Completion | None = None


class SlipRecord(_Frozen):
    """One entry of a milestone's slip history: from which due date to which, and why."""

    from_due: date | None
    to_due: date
    reason: str
    recorded_on: date


class Milestone(_Frozen):
    """One milestone of a case as it stands on `today`."""

    key: MilestoneKey
    title: str
    statutory: bool
    kind: Literal["deadline", "minimum_period"] = "deadline"
    due: date | None
    original_due: date | None
    basis: str
    basis_date: date | None
    basis_projected: bool
    alternative_due: date | None = None
    alternative_basis: str | None = None
    counted_in: CountedIn = "national"
    responsible: str
    partners: tuple[Partner, ...] = ()
    status: MilestoneStatus
    working_days_left: int | None
    slips: tuple[SlipRecord, ...] = ()
    completed_on: date | None = None
    on_time: bool | None = None
    met_original: bool | None = None
    note: str | None = None


class Timeline(_Frozen):
    """Every milestone of one case, computed for `today`."""

    today: date
    milestones: tuple[Milestone, ...]

    def get(self, key: MilestoneKey | str) -> Milestone:
        """The milestone with this key; KeyError if there is none."""
        for milestone in self.milestones:
            if milestone.key == key:
                return milestone
        raise KeyError(key)

    def needing_attention(self) -> tuple[Milestone, ...]:
        """The milestones that are due soon, due today or overdue."""
        wanted = {MilestoneStatus.DUE_SOON, MilestoneStatus.DUE_TODAY, MilestoneStatus.OVERDUE}
        return tuple(m for m in self.milestones if m.status in wanted)


# Each chain must be in date order wherever two of its dates are known.
_CHAINS: tuple[tuple[CaseDateField, ...], ...] = (
    ("incident", "la_aware", "sin_made", "rapid_review_sent", "national_review"),
    ("incident", "la_aware", "decision_to_review", "planned_publication"),
    ("incident", "la_aware", "decision_to_review", "published"),
)

# These milestones are completed by a case date, not by a recorded completion.
_COMPLETED_BY_DATE = {
    MilestoneKey.SIN: "sin_made",
    MilestoneKey.RAPID_REVIEW: "rapid_review_sent",
    MilestoneKey.CSPR_FINAL_REPORT: "published",
}


def validate_case_dates(dates: CaseDates) -> None:
    """Raise CaseDatesOrderError if two known dates of the case are in an impossible order."""
    for chain in _CHAINS:
        for i, earlier in enumerate(chain):
            first = getattr(dates, earlier)
            if first is None:
                continue
            for later in chain[i + 1 :]:
                second = getattr(dates, later)
                if second is not None and second < first:
                    raise CaseDatesOrderError(later, second, earlier, first)


def _validate_events(
    dates: CaseDates, events: Mapping[str, MilestoneEvents]
) -> dict[MilestoneKey, MilestoneEvents]:
    checked: dict[MilestoneKey, MilestoneEvents] = {}
    for raw_key, recorded in events.items():
        try:
            key = MilestoneKey(raw_key)
        except ValueError:
            raise TimelineInputError(f"no milestone is called {raw_key!r}") from None
        field_name = _COMPLETED_BY_DATE.get(key)
        if field_name and recorded.completion is not None:
            actual = getattr(dates, field_name)
            if actual != recorded.completion.on:
                raise TimelineInputError(
                    f"{key.value} is completed by the case's {field_name} date "
                    f"({actual.isoformat() if actual else 'not set'}), "
                    f"not by a completion on {recorded.completion.on.isoformat()}"
                )
        checked[key] = recorded
    return checked


@dataclass(frozen=True)
class _Anchor:
    """A date a clock is counted from, described for people."""

    day: date
    text: str
    projected: bool = False


@dataclass(frozen=True)
class _Start:
    """Where a clock the partnership may move starts, and where the national rule starts it."""

    anchor: _Anchor | None
    # Set when the partnership's own anchor is not known yet and the national one stands in.
    note: str
    national: _Anchor | None


@dataclass(frozen=True)
class _Plan:
    """A milestone before slips, completion and status are applied."""

    key: MilestoneKey
    title: str
    statutory: bool
    responsible: str
    partners: tuple[Partner, ...]
    due: date | None
    basis: str
    anchor: _Anchor | None = None
    alternative_due: date | None = None
    alternative_basis: str | None = None
    kind: Literal["deadline", "minimum_period"] = "deadline"
    applicable: bool = True
    completed_by_date: date | None = None
    superseded_note: str | None = None
    counted_in: CountedIn = "national"


_NOT_DECIDED = "applies once a local CSPR is decided"
# A case the partnership only takes part in (Children Act 2004 s16C(1)): who owns every clock.
LEAD_ELSEWHERE_BASIS = "the local authority where the child was harmed leads (s16C(1))"
LEAD_ELSEWHERE_RESPONSIBLE = "the local authority where the child was harmed"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class _Builder:
    """Holds the inputs while each milestone is planned, finished and appended in order."""

    def __init__(
        self,
        dates: CaseDates,
        options: ClockOptions,
        calendar: WorkingDayCalendar,
        today: date,
        events: dict[MilestoneKey, MilestoneEvents],
        due_soon_days: int,
    ) -> None:
        self.dates = dates
        self.options = options
        # The partnership's working days (its closure days too): internal steps and days left.
        self.calendar = calendar
        # Statutory due dates count bank holidays only: closure days never move them.
        self.statutory = calendar.statutory()
        self.today = today
        self.events = events
        self.due_soon_days = due_soon_days
        self.done: dict[MilestoneKey, Milestone] = {}

    # --- anchors ---

    def aware(self) -> _Anchor | None:
        d = self.dates.la_aware
        return _Anchor(d, f"the LA becoming aware ({d.isoformat()})") if d else None

    def incident(self) -> _Anchor | None:
        d = self.dates.incident
        return _Anchor(d, f"the incident ({d.isoformat()})") if d else None

    def sin(self) -> _Anchor | None:
        if self.dates.sin_made:
            return _Anchor(self.dates.sin_made, f"the SIN ({self.dates.sin_made.isoformat()})")
        due = self.done[MilestoneKey.SIN].due
        if due is None:
            return None
        return _Anchor(due, f"the SIN's due date ({due.isoformat()}; SIN not made yet)", True)

    def rapid_review_sent(self) -> _Anchor | None:
        sent = self.dates.rapid_review_sent
        if sent:
            return _Anchor(sent, f"the rapid review's submission ({sent.isoformat()})")
        due = self.done[MilestoneKey.RAPID_REVIEW].due
        if due is None:
            return None
        text = f"the rapid review's due date ({due.isoformat()}; not sent yet)"
        return _Anchor(due, text, True)

    def publication(self) -> _Anchor | None:
        if self.dates.published:
            return _Anchor(
                self.dates.published, f"publication ({self.dates.published.isoformat()})"
            )
        planned = self.dates.planned_publication
        if planned:
            return _Anchor(planned, f"the planned publication ({planned.isoformat()})", True)
        due = self.done[MilestoneKey.CSPR_FINAL_REPORT].due
        if due is None:
            return None
        return _Anchor(due, f"the final report's due date ({due.isoformat()})", True)

    def working_days_from(self, anchor: _Anchor | None, n: int) -> tuple[date | None, str]:
        """A statutory due date: bank holidays only, never closures (WT2023 ch5, CA 2004 s16C)."""
        if anchor is None:
            return None, ""
        return (
            self.statutory.add_working_days(anchor.day, n),
            f"{_plural(n, 'working day')} from {anchor.text}",
        )

    # --- planning, one milestone at a time ---

    def choose(
        self, own_rule: bool, *, own: _Anchor | None, national: _Anchor | None, missing: str
    ) -> _Start:
        """The partnership's own anchor if it chose one, else (or while unknown) the national."""
        if not own_rule:
            return _Start(national, "", national)
        if own is not None:
            return _Start(own, "", national)
        if national is not None:
            return _Start(national, f" ({missing} is not known)", national)
        return _Start(None, "", national)

    def plan_movable_clock(
        self,
        key: MilestoneKey,
        title: str,
        responsible: str,
        partners: tuple[Partner, ...],
        *,
        start: _Start,
        days: int,
        national_label: str,
        missing: str,
        completed_by_date: date | None,
        statutory: bool = True,
    ) -> _Plan:
        """A deadline `days` working days from `start`, with the national rule's date."""
        due, basis = self.working_days_from(start.anchor, days)
        # Only a partnership counting from its own anchor can be told a different national date.
        counts_own = start.anchor is not start.national
        alt_due, alt_basis = self.working_days_from(start.national if counts_own else None, days)
        differs = alt_due is not None and alt_due != due
        return _Plan(
            key=key,
            title=title,
            statutory=statutory,
            responsible=responsible,
            partners=partners,
            due=due,
            basis=basis + start.note if due else missing,
            anchor=start.anchor,
            alternative_due=alt_due if differs else None,
            alternative_basis=f"{national_label}: {alt_basis}" if differs else None,
            completed_by_date=completed_by_date,
        )

    def plan_sin(self) -> _Plan:
        start = self.choose(
            self.options.sin_counts_from == "incident",
            own=self.incident(),
            national=self.aware(),
            missing="the incident date",
        )
        return self.plan_movable_clock(
            MilestoneKey.SIN,
            "Serious incident notification (SIN) to the Panel",
            "the local authority",
            (Partner.LOCAL_AUTHORITY,),
            start=start,
            days=SIN_WORKING_DAYS,
            national_label="national rule",
            missing="needs the date the LA became aware",
            completed_by_date=self.dates.sin_made,
        )

    def plan_notify_partners(self) -> _Plan:
        anchor = self.aware()
        due, basis = self.working_days_from(anchor, NOTIFY_PARTNERS_WORKING_DAYS)
        return _Plan(
            key=MilestoneKey.NOTIFY_PARTNERS,
            title="Tell the safeguarding partners",
            statutory=True,
            responsible="the local authority",
            partners=(Partner.LOCAL_AUTHORITY,),
            due=due,
            basis=basis or "needs the date the LA became aware",
            anchor=anchor,
        )

    def rapid_review_start(self) -> _Start:
        """Where the rapid review's clock starts: by default the SIN."""
        return self.choose(
            self.options.rapid_review_counts_from == "aware",
            own=self.aware(),
            national=self.sin(),
            missing="the date the LA became aware",
        )

    def plan_rapid_review(self) -> _Plan:
        """Expected within 15 working days: the Panel's guidance, not a statutory limit.

        WT2023 ch.5 asks the partners to undertake the rapid review "promptly"; the 15 working
        days are the Panel's ("A rapid review should be completed within 15 working days",
        childsafeguarding.independent-panel.uk/about/faqs/), a non-statutory expectation.
        """
        return self.plan_movable_clock(
            MilestoneKey.RAPID_REVIEW,
            "Rapid review sent to the Panel (expected)",
            "the three safeguarding partners",
            ALL_PARTNERS,
            start=self.rapid_review_start(),
            days=RAPID_REVIEW_WORKING_DAYS,
            national_label="national default",
            missing="needs the SIN or the date the LA became aware",
            completed_by_date=self.dates.rapid_review_sent,
            statutory=False,
        )

    def plan_rr_step(
        self,
        key: MilestoneKey,
        title: str,
        days: int,
        responsible: str,
        partners: tuple[Partner, ...],
    ) -> _Plan:
        """An internal step, in the partnership's working days: its closure days move it."""
        # Local practice, not statute (DOMAIN.md, milestone 4): the partnership sets the days,
        # and its business unit does the work, so its own closures count. The rapid review
        # itself is statutory; no step is planned after the rapid review's due date.
        start = self.rapid_review_start()
        anchor = start.anchor
        due: date | None = None
        basis = "needs the rapid review's start"
        if anchor is not None:
            due = self.calendar.add_working_days(anchor.day, days)
            basis = f"day {days} of the rapid review, counted from {anchor.text}{start.note}"
            national = self.statutory.add_working_days(anchor.day, days)
            last = self.statutory.add_working_days(anchor.day, RAPID_REVIEW_WORKING_DAYS)
            if due > last:
                due = last
                basis += (
                    ", held at the rapid review's due date (the partnership's closure days would"
                    " take it later)"
                )
            elif due != national:
                basis += f", moved from {national.isoformat()} by the partnership's closure days"
        sent = self.dates.rapid_review_sent
        return _Plan(
            key=key,
            title=title,
            statutory=False,
            responsible=responsible,
            partners=partners,
            due=due,
            basis=basis,
            anchor=anchor,
            superseded_note=(
                f"the rapid review was sent on {sent.isoformat()}" if sent is not None else None
            ),
            counted_in="partnership",
        )

    def plan_panel_reply(self) -> _Plan:
        anchor = self.rapid_review_sent()
        due, basis = self.working_days_from(anchor, PANEL_REPLY_WORKING_DAYS)
        return _Plan(
            key=MilestoneKey.PANEL_REPLY,
            title="Panel's reply (not statutory)",
            statutory=False,
            responsible="the Child Safeguarding Practice Review Panel",
            partners=(),
            due=due,
            basis=f"about {basis}" if due else "needs the rapid review's due date",
            anchor=anchor,
        )

    def cspr_decided(self) -> bool:
        d = self.dates
        return any((d.decision_to_review, d.planned_publication, d.published))

    def cspr_applies(self) -> bool:
        """A local CSPR was decided and no national review replaces it (CA 2004 s16B, WT2023 5)."""
        # The Panel reviews a national case under its supervision and publishes the report, so
        # the local report's deadlines (publication within 6 months, the copy to the Panel and
        # the Secretary of State 7 working days before, the report kept public) end.
        return self.cspr_decided() and self.dates.national_review is None

    def cspr_basis(self, basis: str) -> str:
        """What a local CSPR milestone is counted from, or why it does not apply."""
        national = self.dates.national_review
        if national is not None:
            return f"the Panel decided on a national review ({national.isoformat()})"
        return basis if self.cspr_decided() else _NOT_DECIDED

    def plan_cspr_final_report(self) -> _Plan:
        decision = self.dates.decision_to_review
        due = add_calendar_months(decision, CSPR_REPORT_MONTHS) if decision else None
        basis = (
            f"{CSPR_REPORT_MONTHS} calendar months from the decision to hold a CSPR "
            f"({decision.isoformat()})"
            if decision
            else "needs the date of the decision to hold a CSPR"
        )
        return _Plan(
            key=MilestoneKey.CSPR_FINAL_REPORT,
            title="CSPR final report published",
            statutory=True,
            responsible="the three safeguarding partners",
            partners=ALL_PARTNERS,
            due=due,
            basis=self.cspr_basis(basis),
            anchor=_Anchor(decision, "the decision") if decision else None,
            applicable=self.cspr_applies(),
            completed_by_date=self.dates.published,
        )

    def plan_copy_to_panel(self) -> _Plan:
        anchor = self.publication()
        due: date | None = None
        basis = "needs a planned publication date or the decision to hold a CSPR"
        if anchor is not None:
            due = self.statutory.subtract_working_days(anchor.day, COPY_TO_PANEL_WORKING_DAYS)
            basis = f"{_plural(COPY_TO_PANEL_WORKING_DAYS, 'working day')} before {anchor.text}"
        return _Plan(
            key=MilestoneKey.REPORT_COPY_TO_PANEL,
            title="Report copied to Panel and SoS",
            statutory=True,
            responsible="the three safeguarding partners",
            partners=ALL_PARTNERS,
            due=due,
            basis=self.cspr_basis(basis),
            anchor=anchor,
            applicable=self.cspr_applies(),
        )

    def plan_available_until(self) -> _Plan:
        """Kept public "for at least one year" (WT2023 ch.5), rounded so it never ends early."""
        anchor = self.publication()
        years = self.options.publication_available_years
        due: date | None = None
        basis = "needs publication, a planned publication date or the decision to hold a CSPR"
        if anchor is not None:
            due = add_years_at_least(anchor.day, years)
            basis = f"at least {_plural(years, 'year')} from {anchor.text}"
        return _Plan(
            key=MilestoneKey.REPORT_AVAILABLE_UNTIL,
            title="Report kept public at least until",
            statutory=True,
            responsible="the three safeguarding partners",
            partners=ALL_PARTNERS,
            due=due,
            basis=self.cspr_basis(basis),
            anchor=anchor,
            kind="minimum_period",
            applicable=self.cspr_applies(),
        )

    # --- slips, completion and status ---

    def finish(self, plan: _Plan) -> Milestone:
        recorded = self.events.get(plan.key, MilestoneEvents())
        current = plan.due
        history: list[SlipRecord] = []
        for slip in sorted(recorded.slips, key=lambda s: s.recorded_on):
            history.append(
                SlipRecord(
                    from_due=current,
                    to_due=slip.to,
                    reason=slip.reason,
                    recorded_on=slip.recorded_on,
                )
            )
            current = slip.to
        completed_on = plan.completed_by_date or (
            recorded.completion.on if recorded.completion else None
        )
        status, left, note = self.status(plan, current, completed_on)
        on_time = met_original = None
        if completed_on is not None and plan.kind == "deadline":
            on_time = current is not None and completed_on <= current
            met_original = plan.due is not None and completed_on <= plan.due
        milestone = Milestone(
            key=plan.key,
            title=plan.title,
            statutory=plan.statutory,
            kind=plan.kind,
            due=current,
            original_due=plan.due,
            basis=plan.basis,
            basis_date=plan.anchor.day if plan.anchor else None,
            basis_projected=plan.anchor.projected if plan.anchor else False,
            alternative_due=plan.alternative_due,
            alternative_basis=plan.alternative_basis,
            counted_in=plan.counted_in,
            responsible=plan.responsible,
            partners=plan.partners,
            status=status,
            working_days_left=left,
            slips=tuple(history),
            completed_on=completed_on,
            on_time=on_time,
            met_original=met_original,
            note=note,
        )
        self.done[plan.key] = milestone
        return milestone

    def status(
        self, plan: _Plan, due: date | None, completed_on: date | None
    ) -> tuple[MilestoneStatus, int | None, str | None]:
        if completed_on is not None:
            return MilestoneStatus.DONE, None, None
        if not plan.applicable:
            return MilestoneStatus.NOT_APPLICABLE, None, None
        if plan.superseded_note is not None:
            return MilestoneStatus.DONE, None, plan.superseded_note
        if due is None:
            return MilestoneStatus.NOT_DUE_YET, None, None
        left = self.calendar.working_days_between(self.today, due)
        if plan.kind == "minimum_period":
            if self.dates.published is not None and self.today >= due:
                return MilestoneStatus.DONE, None, "the minimum period has passed"
            return MilestoneStatus.NOT_DUE_YET, max(left, 0), None
        if self.today > due:
            # Overdue on a weekend after a Friday deadline has lost no working day yet; still late.
            return MilestoneStatus.OVERDUE, min(left, -1), None
        if self.today == due:
            return MilestoneStatus.DUE_TODAY, 0, None
        if left <= self.due_soon_days:
            return MilestoneStatus.DUE_SOON, left, None
        return MilestoneStatus.NOT_DUE_YET, left, None


def _led_elsewhere(plan: _Plan) -> _Plan:
    """The milestone for a partnership that takes part while another local authority leads.

    Children Act 2004 s16C(1): the local authority where the child died or was seriously
    harmed notifies the Panel; the Panel's FAQ: that authority undertakes the rapid review. So
    the notification, telling the partners, the rapid review and any review after it are that
    authority's, counted from when it became aware, which this partnership does not know: no
    due date is counted here and nothing is reminded. A date recorded on the case before this
    rule (a SIN recorded as made) still shows as done.
    """
    return replace(
        plan,
        responsible=LEAD_ELSEWHERE_RESPONSIBLE,
        partners=(),
        due=None,
        basis=LEAD_ELSEWHERE_BASIS,
        anchor=None,
        alternative_due=None,
        alternative_basis=None,
        applicable=False,
        superseded_note=None,
    )


def compute_timeline(
    dates: CaseDates,
    options: ClockOptions,
    calendar: WorkingDayCalendar,
    today: date,
    events: Mapping[str, MilestoneEvents] | None = None,
    *,
    due_soon_days: int = DEFAULT_DUE_SOON_WORKING_DAYS,
    collaborator: bool = False,
) -> Timeline:
    """Every milestone of a case on `today`, from its dates, clock options and events.

    `collaborator` (`Case.collaborator`): the child was harmed in an area of England not served
    here, whose local authority leads (Children Act 2004 s16C(1)); every milestone is then not
    applicable for this partnership.
    """
    if due_soon_days < 0:
        raise TimelineInputError(f"due_soon_days must be 0 or more, not {due_soon_days}")
    validate_case_dates(dates)
    checked = _validate_events(dates, events or {})
    b = _Builder(dates, options, calendar, today, checked, due_soon_days)
    steps = options.rapid_review_steps
    subgroup = "the review subgroup"
    # Order matters: later plans read the current (slipped) due dates of earlier milestones;
    # the result is then shown in MilestoneKey order.
    planners: list[Callable[[], _Plan]] = [
        b.plan_sin,
        b.plan_notify_partners,
        lambda: b.plan_rr_step(
            MilestoneKey.RR_IAS_REQUESTS,
            "Rapid review: summaries requested",
            steps.ias_requests,
            subgroup,
            (),
        ),
        lambda: b.plan_rr_step(
            MilestoneKey.RR_IAS_RETURNS,
            "Rapid review: agency summaries in",
            steps.ias_returns,
            "each agency involved",
            (),
        ),
        lambda: b.plan_rr_step(
            MilestoneKey.RR_DRAFT, "Rapid review: draft outcome", steps.draft, subgroup, ()
        ),
        lambda: b.plan_rr_step(
            MilestoneKey.RR_SIGN_OFF,
            "Rapid review: partners sign off",
            steps.sign_off,
            "the three safeguarding partners",
            ALL_PARTNERS,
        ),
        b.plan_rapid_review,
        b.plan_panel_reply,
        b.plan_cspr_final_report,
        b.plan_copy_to_panel,
        b.plan_available_until,
    ]
    computed = {
        m.key: m
        for m in (b.finish(_led_elsewhere(plan()) if collaborator else plan()) for plan in planners)
    }
    return Timeline(today=today, milestones=tuple(computed[key] for key in MilestoneKey))
