"""Working days in England: bank holidays, substitute days, proclaimed additions, closures."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.calendar import (
    CLOSURE_DAY_NAME,
    BankHoliday,
    HolidayFileError,
    WorkingDayCalendar,
    add_calendar_months,
    add_years,
    load_bank_holiday_events,
    load_bank_holidays_file,
    parse_bank_holidays,
)

ENGLAND = WorkingDayCalendar.for_england()


def naive_add(calendar: WorkingDayCalendar, d: date, n: int) -> date:
    """Reference implementation: step one day at a time."""
    while n:
        d += timedelta(days=1)
        if calendar.is_working_day(d):
            n -= 1
    return d


# --- known dates, as the holidays library gives them ---


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 25), "Christmas Day"),  # Friday
        (date(2026, 12, 28), "Boxing Day (observed)"),  # Monday: Boxing Day fell on a Saturday
        (date(2027, 12, 27), "Christmas Day (observed)"),  # 25 Dec 2027 is a Saturday
        (date(2027, 12, 28), "Boxing Day (observed)"),  # 26 Dec 2027 is a Sunday
        (date(2028, 1, 3), "New Year's Day (observed)"),  # 1 Jan 2028 is a Saturday
        (date(2027, 3, 26), "Good Friday"),
        (date(2027, 3, 29), "Easter Monday"),
    ],
)
def test_known_bank_holidays_are_not_working_days(day: date, name: str) -> None:
    assert day.weekday() < 5
    assert not ENGLAND.is_working_day(day)
    assert ENGLAND.holiday_name(day) == name


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 24),
        date(2026, 12, 29),
        date(2027, 12, 29),
        date(2028, 1, 4),
        date(2027, 3, 25),
        date(2027, 3, 30),
    ],
)
def test_days_around_holidays_are_working_days(day: date) -> None:
    assert ENGLAND.is_working_day(day)
    assert ENGLAND.holiday_name(day) is None


def test_weekends_are_not_working_days() -> None:
    assert not ENGLAND.is_working_day(date(2026, 12, 5))  # Saturday
    assert not ENGLAND.is_working_day(date(2026, 12, 6))  # Sunday
    assert ENGLAND.holiday_name(date(2026, 12, 5)) is None


def test_worked_example_sin_after_christmas_2026() -> None:
    # The LA becomes aware on Wed 23 Dec 2026 (day 0). Counting working days:
    #   Thu 24 Dec = 1; Fri 25 Dec Christmas; Sat 26, Sun 27 weekend;
    #   Mon 28 Dec substitute for Boxing Day; Tue 29 = 2; Wed 30 = 3; Thu 31 = 4;
    #   Fri 1 Jan 2027 New Year's Day; Sat 2, Sun 3 weekend; Mon 4 Jan 2027 = 5.
    # So the SIN is due on Monday 4 January 2027 (not 31 December: that is only day 4).
    aware = date(2026, 12, 23)
    assert ENGLAND.add_working_days(aware, 4) == date(2026, 12, 31)
    assert ENGLAND.add_working_days(aware, 5) == date(2027, 1, 4)
    assert ENGLAND.working_days_between(aware, date(2027, 1, 4)) == 5


def test_christmas_2027_two_substitute_days() -> None:
    # Fri 24 Dec 2027 is day 0; 25-26 weekend, 27-28 substitutes; Wed 29 Dec is day 1.
    assert ENGLAND.next_working_day(date(2027, 12, 24)) == date(2027, 12, 29)
    assert ENGLAND.add_working_days(date(2027, 12, 24), 3) == date(2027, 12, 31)
    # Fri 31 Dec 2027 -> Mon 3 Jan 2028 is the New Year substitute -> Tue 4 Jan.
    assert ENGLAND.next_working_day(date(2027, 12, 31)) == date(2028, 1, 4)


def test_easter_2027() -> None:
    # Thu 25 Mar 2027 day 0; Good Friday, weekend, Easter Monday; Tue 30 Mar is day 1.
    assert ENGLAND.next_working_day(date(2027, 3, 25)) == date(2027, 3, 30)


def test_add_zero_returns_the_day_itself_even_on_a_holiday() -> None:
    assert ENGLAND.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_counting_from_a_non_working_day() -> None:
    # Sat 26 Dec 2026 day 0: Mon 28 substitute, Tue 29 is day 1.
    assert ENGLAND.add_working_days(date(2026, 12, 26), 1) == date(2026, 12, 29)


def test_negative_n_is_rejected() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        ENGLAND.add_working_days(date(2026, 1, 5), -1)
    with pytest.raises(ValueError, match="0 or more"):
        ENGLAND.subtract_working_days(date(2026, 1, 5), -1)


def test_working_days_between_is_signed_and_zero_for_same_day() -> None:
    a, b = date(2026, 12, 23), date(2027, 1, 4)
    assert ENGLAND.working_days_between(a, a) == 0
    assert ENGLAND.working_days_between(b, a) == -5
    # A weekend after a Friday adds no working day.
    assert ENGLAND.working_days_between(date(2027, 1, 8), date(2027, 1, 10)) == 0


def test_subtract_working_days_counts_back_from_day_zero() -> None:
    # 7 working days before Thu 25 Feb 2027: 24, 23, 22, 19, 18, 17, 16 -> Tue 16 Feb.
    assert ENGLAND.subtract_working_days(date(2027, 2, 25), 7) == date(2027, 2, 16)
    # From Mon 4 Jan 2027 back 5: 31 Dec, 30, 29, (28, 25 holidays) 24, 23 -> Wed 23 Dec 2026.
    assert ENGLAND.subtract_working_days(date(2027, 1, 4), 5) == date(2026, 12, 23)
    # From a Saturday: Fri 12 Mar 2027 is 1 working day before Sat 13 Mar.
    assert ENGLAND.subtract_working_days(date(2027, 3, 13), 1) == date(2027, 3, 12)


# --- properties ---

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31))
COUNTS = st.integers(min_value=1, max_value=400)


@settings(max_examples=200, deadline=None)
@given(d=DAYS, n=COUNTS)
def test_result_is_a_working_day_and_round_trips(d: date, n: int) -> None:
    result = ENGLAND.add_working_days(d, n)
    assert ENGLAND.is_working_day(result)
    assert ENGLAND.working_days_between(d, result) == n
    assert ENGLAND.working_days_between(result, d) == -n


@settings(max_examples=200, deadline=None)
@given(d=DAYS, n=COUNTS)
def test_strictly_monotonic_in_n(d: date, n: int) -> None:
    assert ENGLAND.add_working_days(d, n) < ENGLAND.add_working_days(d, n + 1)
    assert d < ENGLAND.add_working_days(d, 1)


@settings(max_examples=200, deadline=None)
@given(d=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), n=st.integers(0, 60))
def test_matches_day_by_day_reference(d: date, n: int) -> None:
    closures = WorkingDayCalendar.for_england(closure_days=[date(2026, 12, 24), date(2030, 6, 3)])
    assert closures.add_working_days(d, n) == naive_add(closures, d, n)


@settings(max_examples=200, deadline=None)
@given(d=DAYS, n=COUNTS)
def test_subtract_inverts_add_on_working_days(d: date, n: int) -> None:
    start = ENGLAND.add_working_days(d, 1)  # a working day
    assert ENGLAND.subtract_working_days(ENGLAND.add_working_days(start, n), n) == start
    back = ENGLAND.subtract_working_days(d, n)
    assert ENGLAND.is_working_day(back)
    assert back < d


# --- additions: gov.uk file and closure days ---


def govuk(events: list[Any], **other_divisions: Any) -> dict[str, Any]:
    return {
        "england-and-wales": {"division": "england-and-wales", "events": events},
        **other_divisions,
    }


PROCLAIMED = {
    "title": "Made-up Jubilee Bank Holiday",
    "date": "2026-06-15",
    "notes": "Proclaimed",
    "bunting": True,
}


def test_file_adds_a_proclaimed_holiday(tmp_path: Path) -> None:
    path = tmp_path / "bank-holidays.json"
    scotland = {"division": "scotland", "events": [{"title": "St Andrew", "date": "2026-06-16"}]}
    christmas = {"title": "Christmas Day", "date": "2026-12-25", "notes": "", "bunting": True}
    path.write_text(json.dumps(govuk([christmas, PROCLAIMED], scotland=scotland)))

    events = load_bank_holiday_events(path)
    assert events == (
        BankHoliday(date(2026, 12, 25), "Christmas Day"),
        BankHoliday(date(2026, 6, 15), "Made-up Jubilee Bank Holiday"),
    )
    assert load_bank_holidays_file(path) == (date(2026, 12, 25), date(2026, 6, 15))

    calendar = WorkingDayCalendar.for_england(extra_holidays=events)
    monday = date(2026, 6, 15)
    assert ENGLAND.is_working_day(monday)
    assert not calendar.is_working_day(monday)
    assert calendar.holiday_name(monday) == "Made-up Jubilee Bank Holiday"
    assert calendar.is_working_day(date(2026, 6, 16))  # Scotland's division is ignored
    # Fri 12 June day 0: Mon 15 proclaimed, Tue 16 is day 1.
    assert calendar.next_working_day(date(2026, 6, 12)) == date(2026, 6, 16)
    # Plain dates are accepted too.
    plain = WorkingDayCalendar.for_england(extra_holidays=load_bank_holidays_file(path))
    assert not plain.is_working_day(monday)
    assert plain.holiday_name(monday) == "Bank holiday"


@pytest.mark.parametrize(
    ("bad_event", "expected"),
    [
        (
            {"title": "Bad day", "date": "2026-02-30"},
            "event 1 (title 'Bad day', date '2026-02-30')",
        ),
        (
            {"title": "Slashes", "date": "15/06/2026"},
            "event 1 (title 'Slashes', date '15/06/2026')",
        ),
        ({"date": "2026-06-15"}, "event 1 (title None, date '2026-06-15'): title"),
        ({"title": "Bunting", "date": "2026-06-15", "bunting": "yes"}, "event 1 (title 'Bunting'"),
        ("2026-06-15", "event 1 is not an object"),
    ],
)
def test_malformed_event_names_the_entry(bad_event: Any, expected: str) -> None:
    with pytest.raises(HolidayFileError) as caught:
        parse_bank_holidays(govuk([PROCLAIMED, bad_event]), source="extra.json")
    assert str(caught.value).startswith("extra.json: england-and-wales event 1")
    assert expected in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "the top level must be an object"),
        ({"scotland": {"events": []}}, "no 'england-and-wales' division"),
        ({"england-and-wales": {"division": "england-and-wales"}}, "no 'events' list"),
    ],
)
def test_malformed_structure(data: Any, expected: str) -> None:
    with pytest.raises(HolidayFileError, match=expected):
        parse_bank_holidays(data)


def test_unreadable_or_invalid_json_file(tmp_path: Path) -> None:
    with pytest.raises(HolidayFileError, match="cannot read the file"):
        load_bank_holiday_events(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(HolidayFileError, match="not valid JSON"):
        load_bank_holidays_file(broken)


def test_partnership_closure_days() -> None:
    calendar = WorkingDayCalendar.for_england(closure_days=[date(2026, 12, 24)])
    assert not calendar.is_working_day(date(2026, 12, 24))
    assert calendar.holiday_name(date(2026, 12, 24)) == CLOSURE_DAY_NAME
    # Aware Wed 23 Dec 2026: 24 closed, 25 and 28 bank holidays; 29=1, 30=2, 31=3,
    # 1 Jan holiday, Mon 4=4, Tue 5 Jan 2027=5.
    assert calendar.add_working_days(date(2026, 12, 23), 5) == date(2027, 1, 5)
    assert ENGLAND.add_working_days(date(2026, 12, 23), 5) == date(2027, 1, 4)


def test_the_statutory_calendar_keeps_bank_holidays_and_proclamations_not_closures() -> None:
    proclaimed = BankHoliday(date(2027, 1, 6), "Proclaimed")
    local = WorkingDayCalendar.for_england([proclaimed], closure_days=[date(2026, 12, 30)])
    statutory = local.statutory()
    assert statutory.is_working_day(date(2026, 12, 30))  # the partnership's closure
    assert not statutory.is_working_day(date(2027, 1, 6))  # a proclaimed bank holiday
    assert not statutory.is_working_day(date(2026, 12, 28))  # the Boxing Day substitute
    assert statutory == WorkingDayCalendar.for_england([proclaimed])
    assert local.statutory() is statutory
    assert ENGLAND.statutory() is ENGLAND


def test_calendar_is_immutable_value() -> None:
    extras = {date(2026, 6, 15): "Proclaimed"}
    calendar = WorkingDayCalendar.for_england(extra_holidays=extras)
    extras[date(2026, 6, 16)] = "Added later"
    assert calendar.is_working_day(date(2026, 6, 16))
    assert calendar == WorkingDayCalendar.for_england(
        extra_holidays={date(2026, 6, 15): "Proclaimed"}
    )
    assert hash(calendar) == hash(
        WorkingDayCalendar.for_england(extra_holidays={date(2026, 6, 15): "Proclaimed"})
    )
    with pytest.raises(AttributeError):
        calendar.closure_days = frozenset()  # type: ignore[misc]


# --- calendar months ---


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2026, 8, 30), 6, date(2027, 2, 28)),
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 8, 31), 0, date(2026, 8, 31)),
    ],
)
def test_add_calendar_months_rolls_back(start: date, months: int, expected: date) -> None:
    assert add_calendar_months(start, months) == expected


def test_add_years_from_29_february() -> None:
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
