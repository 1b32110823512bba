"""Which children's front-door number applies at a given moment: office hours or out of hours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from safeguarding.calendar import WorkingDayCalendar
from safeguarding.clocks import london_time
from safeguarding.partnerships import Partnership, Weekday

EMERGENCY_NUMBER = "999"


@dataclass(frozen=True, slots=True)
class FrontDoorLine:
    """One of a front door's two lines: its name and number, and when it is staffed."""

    kind: Literal["office_hours", "out_of_hours"]
    name: str
    number: str


@dataclass(frozen=True, slots=True)
class FrontDoorContact:
    """The line to call now about a child in one partnership's area."""

    partnership_id: str
    areas: tuple[str, ...]
    kind: Literal["office_hours", "out_of_hours"]
    name: str
    number: str
    web_page: str | None
    # Set while the partnership's hours are not confirmed: the office-hours line above and
    # this out-of-hours line are shown together, and the caller chooses.
    also: FrontDoorLine | None = None


def front_door_now(
    partnership: Partnership, moment: datetime, calendar: WorkingDayCalendar
) -> FrontDoorContact:
    """The number in force at `moment` (Europe/London); bank holidays are out of hours.

    While the partnership's hours are not confirmed, no line is chosen: both are given, the
    office-hours line first.
    """
    local = london_time(moment)
    door = partnership.front_door
    office = FrontDoorContact(
        partnership.id,
        partnership.areas,
        "office_hours",
        door.name,
        door.office_hours_number,
        door.web_page,
    )
    if not door.hours_confirmed:
        also = FrontDoorLine("out_of_hours", door.out_of_hours_name, door.out_of_hours_number)
        return replace(office, also=also)
    hours = door.office_hours.get(Weekday.of(local.date()))
    open_now = (
        hours is not None
        and calendar.is_working_day(local.date())
        and hours.covers(local.time().replace(tzinfo=None))
    )
    if open_now:
        return office
    return replace(
        office, kind="out_of_hours", name=door.out_of_hours_name, number=door.out_of_hours_number
    )


def front_doors_now(
    partnerships: Iterable[Partnership],
    calendar: WorkingDayCalendar,
    now: datetime,
    first: str | None = None,
) -> list[FrontDoorContact]:
    """Every front door's number in force now, the partnership `first` (if known) at the top.

    Every partnership's is listed, because a worry may be about a child in another area. The
    caller passes the national calendar: a partnership's own closure days close its business
    unit, not the local authority's front door.
    """
    ordered = sorted(partnerships, key=lambda p: p.id != first)
    return [front_door_now(p, now, calendar) for p in ordered]
