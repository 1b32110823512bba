"""The timeliness report use case: read a partnership's cases, count them, by period and quarter.

The CLI (`review-bot report timeliness`), the monthly report card and, later, the Cases tab's
API all call `report_timeliness`; each presents the result its own way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.partnerships import Partnership
from safeguarding.timeliness import Timeliness, TimelinessCounter, quarters
from storage.cases import CaseRepository


@dataclass(frozen=True, slots=True)
class PartnershipReport:
    """One partnership's figures for the period, and the same counted per quarter for a chart."""

    partnership: Partnership
    figures: Timeliness
    by_quarter: tuple[Timeliness, ...]


# The cases read and counted at once: a partnership's thousands are never all in memory.
_PAGE = 200


def count_partnership(
    cases: Sequence[Case],
    partnership: Partnership,
    calendars: PartnershipCalendars,
    *,
    start: date,
    end: date,
    today: date,
    chart_start: date | None = None,
) -> PartnershipReport:
    """Pure: the period's figures and the quarters from `chart_start` (default `start`) to `end`."""
    counter = TimelinessCounter(
        cases, partnership, calendars.for_partnership(partnership), today=today
    )
    return _report(counter, start=start, end=end, chart_start=chart_start)


def _report(
    counter: TimelinessCounter, *, start: date, end: date, chart_start: date | None
) -> PartnershipReport:
    return PartnershipReport(
        partnership=counter.partnership,
        figures=counter.count(start, end),
        by_quarter=tuple(counter.count(a, b) for a, b in quarters(chart_start or start, end)),
    )


async def report_timeliness(
    cases: CaseRepository,
    partnerships: Sequence[Partnership],
    calendars: PartnershipCalendars,
    *,
    start: date,
    end: date,
    today: date,
    chart_start: date | None = None,
) -> list[PartnershipReport]:
    """Each partnership's timeliness report, read from the store a page of cases at a time."""
    reports: list[PartnershipReport] = []
    for partnership in partnerships:
        counter = TimelinessCounter(
            (), partnership, calendars.for_partnership(partnership), today=today
        )
        # Finished cases count too (a report published in the period): every case is read,
        # a page at a time; thousands of timelines take a second or two, so each page is
        # counted in a thread, off the event loop.
        page: list[Case] = []
        async for case, _ in cases.each_version(await cases.references_of(partnership.id)):
            page.append(case)
            if len(page) == _PAGE:
                await asyncio.to_thread(counter.add, page)
                page = []
        await asyncio.to_thread(counter.add, page)
        del page
        reports.append(
            await asyncio.to_thread(_report, counter, start=start, end=end, chart_start=chart_start)
        )
    return reports
