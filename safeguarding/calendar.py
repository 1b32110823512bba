"""Working days in England: weekends, bank holidays (substitute days included) and local closures.

The pure part (`WorkingDayCalendar`, `add_calendar_months`, `parse_bank_holidays`) never reads a
file or the clock; the loaders at the bottom are the only I/O.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import holidays

from safeguarding.partnerships import Partnership

ENGLAND_AND_WALES = "england-and-wales"
CLOSURE_DAY_NAME = "Partnership closure day"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_month_year(day: date) -> str:
    """'25 November 2026', whatever the server's locale."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


class HolidayFileError(ValueError):
    """A bank-holidays file that cannot be read or is not in the gov.uk format."""


class BankHoliday(NamedTuple):
    """One bank holiday: its date and its title as gov.uk writes it."""

    date: date
    title: str


@lru_cache(maxsize=512)
def _library_bank_holidays(year: int) -> Mapping[date, str]:
    """England and Wales bank holidays for one year, substitute days included, from `holidays`."""
    # This is holidays.UnitedKingdom(subdiv="ENG"), the England and Wales list, through the typed
    # factory; observed=True (the default) adds the substitute days.
    found = holidays.country_holidays("GB", subdiv="ENG", years=year, observed=True)
    return MappingProxyType(dict(found.items()))


# Ordinals make weekday arithmetic exact: ordinal 1 (0001-01-01) is a Monday.
def _weekdays_up_to(ordinal: int) -> int:
    """How many Mondays-to-Fridays have an ordinal in 1..ordinal."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _weekday_with_count(count: int) -> int:
    """The ordinal of the weekday (Mon-Fri) that is the `count`-th one since ordinal 1."""
    weeks, rest = divmod(count, 5)
    return weeks * 7 - 2 if rest == 0 else weeks * 7 + rest


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar:
    """Which days are working days: Mon-Fri except bank holidays, additions and closure days."""

    extra_holidays: Mapping[date, str] = field(default_factory=dict)
    closure_days: frozenset[date] = frozenset()
    # Lazily filled per year: the sorted non-working weekdays. Not part of the value.
    _closed: dict[int, tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    # Lazily set: the same calendar without its closure days (see `statutory`).
    _statutory: WorkingDayCalendar | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Freeze the caller's mapping so the calendar cannot change under a cached year.
        object.__setattr__(self, "extra_holidays", MappingProxyType(dict(self.extra_holidays)))
        object.__setattr__(self, "closure_days", frozenset(self.closure_days))

    def __hash__(self) -> int:
        return hash((frozenset(self.extra_holidays.items()), self.closure_days))

    @classmethod
    def for_england(
        cls,
        extra_holidays: Iterable[date | BankHoliday] | Mapping[date, str] = (),
        closure_days: Iterable[date] = (),
    ) -> WorkingDayCalendar:
        """England and Wales bank holidays, plus proclaimed additions and partnership closures."""
        extras: dict[date, str] = {}
        if isinstance(extra_holidays, Mapping):
            extras.update(extra_holidays)
        else:
            for item in extra_holidays:
                if isinstance(item, BankHoliday):
                    extras[item.date] = item.title
                else:
                    extras[item] = "Bank holiday"
        return cls(extra_holidays=extras, closure_days=frozenset(closure_days))

    def statutory(self) -> WorkingDayCalendar:
        """Without closure days: statutory clocks' calendar (CA 2004 s16C, WT2023 chapter 5)."""
        # Working Together 2023 chapter 5 (the SIN and telling the partners: 5 working days of
        # the LA becoming aware) and the Panel's guidance (the rapid review: 15 working days)
        # count England and Wales working days; nothing lets a partnership's office closure
        # lengthen them. Closure days move only its own internal steps.
        if not self.closure_days:
            return self
        if self._statutory is None:
            # Frozen, as in __post_init__: the cache is not part of the value.
            object.__setattr__(
                self, "_statutory", WorkingDayCalendar(extra_holidays=self.extra_holidays)
            )
        assert self._statutory is not None
        return self._statutory

    def _closed_weekdays(self, year: int) -> tuple[int, ...]:
        cached = self._closed.get(year)
        if cached is None:
            days = set(_library_bank_holidays(year))
            days.update(d for d in self.extra_holidays if d.year == year)
            days.update(d for d in self.closure_days if d.year == year)
            cached = tuple(sorted(d.toordinal() for d in days if d.weekday() < 5))
            self._closed[year] = cached
        return cached

    def _closed_between(self, low: int, high: int) -> int:
        """Closed weekdays with an ordinal in (low, high]."""
        if high <= low:
            return 0
        first, last = date.fromordinal(low + 1).year, date.fromordinal(high).year
        total = 0
        for year in range(first, last + 1):
            closed = self._closed_weekdays(year)
            total += bisect_right(closed, high) - bisect_right(closed, low)
        return total

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a Monday to Friday that is neither a bank holiday nor a closure day."""
        if d.weekday() >= 5:
            return False
        closed = self._closed_weekdays(d.year)
        ordinal = d.toordinal()
        index = bisect_left(closed, ordinal)
        return not (index < len(closed) and closed[index] == ordinal)

    def holiday_name(self, d: date) -> str | None:
        """The bank holiday or closure falling on `d` (weekend or not), or None."""
        name = _library_bank_holidays(d.year).get(d)
        if name is None:
            name = self.extra_holidays.get(d)
        if name is None and d in self.closure_days:
            name = CLOSURE_DAY_NAME
        return name

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`, where `d` itself is day 0; n=0 returns `d`."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}; use subtract_working_days")
        ordinal, remaining = d.toordinal(), n
        # Jump over `remaining` weekdays, then again over as many as the jump hit closures.
        while remaining:
            target = _weekday_with_count(_weekdays_up_to(ordinal) + remaining)
            remaining = self._closed_between(ordinal, target)
            ordinal = target
        return date.fromordinal(ordinal)

    def subtract_working_days(self, d: date, n: int) -> date:
        """The working day n working days before `d` (day 0): 7 before publication, say."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}; use add_working_days")
        ordinal, remaining = d.toordinal(), n
        while remaining:
            # The weekday x with exactly `remaining` weekdays in [x, ordinal).
            target = _weekday_with_count(_weekdays_up_to(ordinal - 1) - remaining + 1)
            remaining = self._closed_between(target - 1, ordinal - 1)
            ordinal = target
        return date.fromordinal(ordinal)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.working_days_between(b, a)
        low, high = a.toordinal(), b.toordinal()
        return _weekdays_up_to(high) - _weekdays_up_to(low) - self._closed_between(low, high)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)


def add_calendar_months(d: date, months: int) -> date:
    """`d` plus whole calendar months; a day the target month lacks rolls back to its last day."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def add_years(d: date, years: int) -> date:
    """`d` plus whole years; 29 February rolls back to 28 February."""
    return add_calendar_months(d, 12 * years)


def add_years_at_least(d: date, years: int) -> date:
    """The first day at least `years` whole years after `d`: 29 February moves on to 1 March.

    For minimum periods, which must never end early: a report published on 29 February 2028
    and kept publicly available "for at least one year" (WT2023 ch.5) is kept until 1 March
    2029, not 28 February.
    """
    later = add_years(d, years)
    # Only 29 February lacks its day in the target year; the day after, 1 March, is safe.
    return later if later.day == d.day else later.replace(month=3, day=1)


def _event_problem(index: int, event: Any) -> tuple[str, BankHoliday | None]:
    if not isinstance(event, dict):
        return f"event {index} is not an object", None
    title, raw_date = event.get("title"), event.get("date")
    label = f"event {index} (title {title!r}, date {raw_date!r})"
    if not isinstance(title, str) or not title.strip():
        return f"{label}: title must be a non-empty string", None
    if not isinstance(raw_date, str) or not _ISO_DATE.match(raw_date):
        return f"{label}: date must be a string YYYY-MM-DD", None
    try:
        parsed = date.fromisoformat(raw_date)
    except ValueError:
        return f"{label}: date is not a real calendar date", None
    if "notes" in event and not isinstance(event["notes"], str):
        return f"{label}: notes must be a string", None
    if "bunting" in event and not isinstance(event["bunting"], bool):
        return f"{label}: bunting must be true or false", None
    return "", BankHoliday(parsed, title.strip())


def parse_bank_holidays(data: Any, *, source: str = "bank holidays") -> tuple[BankHoliday, ...]:
    """England and Wales events from parsed gov.uk bank-holidays JSON; other divisions ignored."""
    if not isinstance(data, dict):
        raise HolidayFileError(f"{source}: the top level must be an object of divisions")
    division = data.get(ENGLAND_AND_WALES)
    if not isinstance(division, dict):
        raise HolidayFileError(f"{source}: no '{ENGLAND_AND_WALES}' division object")
    events = division.get("events")
    if not isinstance(events, list):
        raise HolidayFileError(f"{source}: '{ENGLAND_AND_WALES}' has no 'events' list")
    parsed: list[BankHoliday] = []
    for index, event in enumerate(events):
        problem, holiday = _event_problem(index, event)
        if holiday is None:
            raise HolidayFileError(f"{source}: {ENGLAND_AND_WALES} {problem}")
        parsed.append(holiday)
    return tuple(parsed)


# --- I/O: the only functions here that touch the file system. ---


def load_bank_holiday_events(path: Path) -> tuple[BankHoliday, ...]:
    """Read a gov.uk-format bank-holidays JSON file; dates with their titles."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidayFileError(f"{path}: cannot read the file ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HolidayFileError(f"{path}: not valid JSON ({exc})") from None
    return parse_bank_holidays(data, source=str(path))


def load_bank_holidays_file(path: Path) -> tuple[date, ...]:
    """Read a gov.uk-format bank-holidays JSON file; the England and Wales dates only."""
    return tuple(holiday.date for holiday in load_bank_holiday_events(path))


class PartnershipCalendars:
    """One calendar per partnership: national bank holidays, proclaimed additions, its closures."""

    def __init__(self, extra_holidays: Iterable[date | BankHoliday] = ()) -> None:
        self._extra = tuple(extra_holidays)
        self._national = WorkingDayCalendar.for_england(self._extra)
        self._by_partnership: dict[str, WorkingDayCalendar] = {}

    @property
    def national(self) -> WorkingDayCalendar:
        """England and Wales bank holidays plus proclaimed additions."""
        return self._national

    def for_partnership(self, partnership: Partnership) -> WorkingDayCalendar:
        """The calendar a partnership's clocks are counted on."""
        found = self._by_partnership.get(partnership.id)
        if found is None:
            found = WorkingDayCalendar.for_england(
                self._extra, closure_days=partnership.clock.extra_closure_days
            )
            self._by_partnership[partnership.id] = found
        return found
