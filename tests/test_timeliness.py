"""The timeliness figures: a hand-counted store, every edge case, periods and quarters."""

from __future__ import annotations

from datetime import date

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import CaseStatus
from safeguarding.partnerships import Partnership, load_partnerships
from safeguarding.timeline import MilestoneKey
from safeguarding.timeliness import (
    DeadlineOutcome,
    Timeliness,
    TimelinessInputError,
    chart_period,
    check_period,
    count_timeliness,
    first_working_day_of_month,
    month_before,
    quarters,
)
from tests.support.timeliness import END, START, TODAY, hand_counted_cases

ON, LATE, OPEN, NOT_DUE, NOT_RECORDED = (
    DeadlineOutcome.ON_TIME,
    DeadlineOutcome.LATE,
    DeadlineOutcome.OVERDUE,
    DeadlineOutcome.NOT_DUE_YET,
    DeadlineOutcome.NOT_RECORDED,
)


def coventry() -> Partnership:
    found = load_partnerships(EXAMPLE_PARTNERSHIPS).get("coventry")
    assert found is not None
    return found


def counted(**kwargs: date) -> Timeliness:
    return count_timeliness(
        hand_counted_cases(),
        coventry(),
        WorkingDayCalendar.for_england(),
        start=kwargs.get("start", START),
        end=kwargs.get("end", END),
        today=kwargs.get("today", TODAY),
    )


def refs(report: Timeliness, key: MilestoneKey, *outcomes: DeadlineOutcome) -> list[str]:
    return [d.reference for d in report.figures(key).with_outcome(*outcomes)]


def test_the_figures_match_the_hand_count() -> None:
    """tests/support/timeliness.py counts every figure by hand; the report must agree."""
    report = counted()
    assert report.referrals == (
        "COV-2027-001",
        "COV-2027-002",
        "COV-2027-003",
        "COV-2027-004",
        "COV-2027-005",
        "COV-2027-006",
        "COV-2027-007",
    )
    assert report.led_elsewhere == ("COV-2027-004",)
    expected = {
        MilestoneKey.SIN: {
            ON: ["COV-2027-001", "COV-2027-007"],
            LATE: ["COV-2027-002"],
            OPEN: [],
            NOT_DUE: ["COV-2027-006"],
            NOT_RECORDED: [],
        },
        MilestoneKey.NOTIFY_PARTNERS: {
            ON: ["COV-2027-001", "COV-2027-007"],
            LATE: [],
            OPEN: ["COV-2027-002"],
            NOT_DUE: ["COV-2027-006"],
            NOT_RECORDED: [],
        },
        MilestoneKey.RR_IAS_RETURNS: {
            ON: ["COV-2027-001"],
            LATE: ["COV-2027-002"],
            OPEN: [],
            NOT_DUE: [],
            NOT_RECORDED: ["COV-2027-007"],
        },
        MilestoneKey.RAPID_REVIEW: {
            ON: ["COV-2027-001", "COV-2027-007"],
            LATE: [],
            OPEN: ["COV-2027-002"],
            NOT_DUE: [],
            NOT_RECORDED: [],
        },
        MilestoneKey.CSPR_FINAL_REPORT: {
            ON: [],
            LATE: ["COV-2026-050"],
            OPEN: [],
            NOT_DUE: [],
            NOT_RECORDED: [],
        },
    }
    for key, by_outcome in expected.items():
        for outcome, references in by_outcome.items():
            assert refs(report, key, outcome) == references, (key, outcome)
    percents = {key: report.figures(key).percent(ON) for key in expected}
    assert percents == {
        MilestoneKey.SIN: 67,
        MilestoneKey.NOTIFY_PARTNERS: 67,
        MilestoneKey.RR_IAS_RETURNS: 50,
        MilestoneKey.RAPID_REVIEW: 67,
        MilestoneKey.CSPR_FINAL_REPORT: 0,
    }
    assert [(s.reference, s.milestone, s.recorded_on) for s in report.slips] == [
        ("COV-2026-050", MilestoneKey.CSPR_FINAL_REPORT, date(2027, 1, 10)),
        ("COV-2027-002", MilestoneKey.RAPID_REVIEW, date(2027, 3, 1)),
    ]
    assert {
        kind: [s.reference for s in slips] for kind, slips in report.slips_by_kind().items()
    } == {
        "agency_information": ["COV-2027-002"],
        None: ["COV-2026-050"],
    }
    assert {s.status: s.references for s in report.open_by_stage} == {
        CaseStatus.REFERRED: ("COV-2027-004", "COV-2027-005", "COV-2027-006"),
        CaseStatus.RAPID_REVIEW: ("COV-2027-002",),
        CaseStatus.NO_SERIOUS_INCIDENT: ("COV-2027-003",),
        CaseStatus.LOCAL_REVIEW: ("COV-2027-001",),
        CaseStatus.NO_FURTHER_REVIEW: ("COV-2027-007",),
    }
    assert report.open_cases == 7
    assert report.not_counted == ()


def test_a_moved_deadline_is_measured_against_its_first_date() -> None:
    report = counted()
    rapid = report.figures(MilestoneKey.RAPID_REVIEW).with_outcome(OPEN)[0]
    assert (rapid.due, rapid.moved_to) == (date(2027, 3, 5), date(2027, 3, 19))
    cspr = report.figures(MilestoneKey.CSPR_FINAL_REPORT).deadlines[0]
    assert cspr.due == date(2027, 1, 15)
    assert (cspr.outcome, cspr.met_moved_date, cspr.moved_to) == (
        LATE,
        True,
        date(2027, 1, 29),
    )
    assert cspr.completed_on == date(2027, 1, 20)


def test_a_deadline_due_later_in_the_period_is_not_due_yet_then_late() -> None:
    """COV-2027-006's SIN falls due on 30 March: not due yet that day, late the next."""
    assert refs(counted(today=date(2027, 3, 30)), MilestoneKey.SIN, NOT_DUE) == ["COV-2027-006"]
    assert refs(counted(today=date(2027, 3, 31)), MilestoneKey.SIN, OPEN) == ["COV-2027-006"]


def test_bank_holidays_put_a_deadline_in_the_next_period() -> None:
    """Aware Thu 25 Mar 2027: Good Friday and Easter Monday carry the SIN to Mon 5 Apr."""
    april = counted(start=date(2027, 4, 1), end=date(2027, 4, 30), today=date(2027, 4, 6))
    assert [(d.reference, d.due) for d in april.figures(MilestoneKey.SIN).deadlines] == [
        ("COV-2027-005", date(2027, 4, 5))
    ]
    assert april.referrals == ()  # filed in March


def test_every_deadline_is_counted_once_across_the_quarters() -> None:
    year = counted(start=date(2026, 4, 1), end=date(2027, 3, 31))
    by_quarter = [counted(start=a, end=b) for a, b in quarters(date(2026, 4, 1), END)]
    for key in (MilestoneKey.SIN, MilestoneKey.CSPR_FINAL_REPORT):
        assert sum(len(q.figures(key).deadlines) for q in by_quarter) == len(
            year.figures(key).deadlines
        )
    # COV-2026-050's SIN (due June 2026) is in the year but not in the first quarter of 2027.
    assert "COV-2026-050" in refs(year, MilestoneKey.SIN, ON)


def test_a_case_led_elsewhere_counts_as_a_referral_and_an_open_case_only() -> None:
    report = counted()
    led = "COV-2027-004"
    assert led in report.referrals
    assert led in report.open_by_stage[0].references
    assert all(d.reference != led for f in report.milestones for d in f.deadlines)


def test_another_partnerships_cases_are_left_out() -> None:
    others = load_partnerships(EXAMPLE_PARTNERSHIPS).get("warwickshire")
    assert others is not None
    report = count_timeliness(
        hand_counted_cases(),
        others,
        WorkingDayCalendar.for_england(),
        start=START,
        end=END,
        today=TODAY,
    )
    assert report.referrals == ()
    assert all(not f.deadlines for f in report.milestones)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(TimelinessInputError):
        counted(start=END, end=START)


def test_a_period_beyond_what_a_report_can_mean_is_refused() -> None:
    check_period(date(2004, 1, 1), date(2004, 1, 1))
    check_period(date(2020, 1, 1), date(2029, 12, 31))  # ten years exactly
    check_period(date(2020, 2, 29), date(2030, 2, 28))
    for start, end, says in [
        (date(1, 1, 1), date(9999, 12, 31), "outside the years"),
        (date(2003, 12, 31), date(2004, 3, 31), "2003-12-31 is outside"),
        (date(2100, 1, 1), date(2101, 1, 1), "2101-01-01 is outside"),
        (date(2020, 1, 1), date(2030, 1, 1), "longer than 10 years"),
        (date(2020, 2, 29), date(2030, 3, 1), "longer than 10 years"),
        (date(2027, 2, 1), date(2027, 1, 31), "before it starts"),
    ]:
        with pytest.raises(TimelinessInputError, match=says):
            check_period(start, end)


def test_quarters_reach_the_last_day_python_has() -> None:
    assert quarters(date(9999, 11, 1), date(9999, 12, 31)) == (
        (date(9999, 11, 1), date(9999, 12, 31)),
    )


def test_quarters_are_calendar_quarters_cut_to_the_period() -> None:
    assert quarters(date(2026, 11, 15), date(2027, 4, 30)) == (
        (date(2026, 11, 15), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 4, 30)),
    )
    assert chart_period(date(2027, 1, 31)) == (date(2026, 4, 1), date(2027, 1, 31))
    assert chart_period(date(2027, 3, 31)) == (date(2026, 4, 1), date(2027, 3, 31))
    assert chart_period(date(2027, 4, 30)) == (date(2026, 7, 1), date(2027, 4, 30))


def test_the_month_before_and_its_first_working_day() -> None:
    calendar = WorkingDayCalendar.for_england()
    assert month_before(date(2027, 1, 4)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_before(date(2027, 3, 1)) == (date(2027, 2, 1), date(2027, 2, 28))
    # New Year's Day 2027 is a Friday: the first working day is Monday 4 January.
    assert first_working_day_of_month(date(2027, 1, 20), calendar) == date(2027, 1, 4)
    # 1 June 2026 is a Monday and a working day.
    assert first_working_day_of_month(date(2026, 6, 30), calendar) == date(2026, 6, 1)


def test_the_chart_refuses_more_quarters_than_it_can_label() -> None:
    from usecases.timeliness_chart import MAX_QUARTERS, ChartTooLongError, render_chart

    quarter = counted(start=START, end=END)
    assert render_chart([quarter] * MAX_QUARTERS, partnership_name="Coventry").startswith(
        b"\x89PNG"
    )
    with pytest.raises(ChartTooLongError, match="at most 12 quarters"):
        render_chart([quarter] * (MAX_QUARTERS + 1), partnership_name="Coventry")
