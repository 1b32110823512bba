"""A minimum period never ends early: a report published on 29 February is kept to 1 March."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from safeguarding.calendar import WorkingDayCalendar, add_years, add_years_at_least
from safeguarding.partnerships import ClockOptions
from safeguarding.timeline import CaseDates, MilestoneKey, MilestoneStatus, compute_timeline

ENGLAND = WorkingDayCalendar.for_england()


def _whole_years(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def test_29_february_plus_a_year_is_1_march() -> None:
    assert add_years_at_least(date(2028, 2, 29), 1) == date(2029, 3, 1)
    assert add_years_at_least(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years_at_least(date(2027, 2, 28), 1) == date(2028, 2, 28)
    assert add_years_at_least(date(2028, 3, 1), 1) == date(2029, 3, 1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=1, max_value=5),
)
@example(date(2028, 2, 29), 1)
def test_the_minimum_period_is_the_first_day_with_the_whole_years_passed(
    start: date, years: int
) -> None:
    until = add_years_at_least(start, years)
    assert _whole_years(start, until) >= years
    assert _whole_years(start, until - timedelta(days=1)) < years
    assert until >= add_years(start, years)


def test_a_report_published_on_29_february_is_kept_public_until_1_march() -> None:
    dates = CaseDates(
        la_aware=date(2027, 8, 2), decision_to_review=date(2027, 8, 31), published=date(2028, 2, 29)
    )
    on_28_february = compute_timeline(dates, ClockOptions(), ENGLAND, date(2029, 2, 28))
    keep = on_28_february.get(MilestoneKey.REPORT_AVAILABLE_UNTIL)
    assert keep.due == date(2029, 3, 1)
    # Not yet passed on 28 February 2029: the report must still be up that day.
    assert keep.status is MilestoneStatus.NOT_DUE_YET
    on_1_march = compute_timeline(dates, ClockOptions(), ENGLAND, date(2029, 3, 1))
    assert on_1_march.get(MilestoneKey.REPORT_AVAILABLE_UNTIL).status is MilestoneStatus.DONE
