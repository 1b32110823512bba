"""Hand-run benchmark (`make bench`): what one turn and one timeline cost. Never run by pytest.

First the product beside the stock echo bot and a raw aiohttp bot (`tests/bench_side.py`),
then one turn in process with 10 and 10,000 cases stored, reminder planning and timelines.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, date, datetime, timedelta

from bot.settings import EXAMPLE_PARTNERSHIPS
from safeguarding.calendar import PartnershipCalendars, WorkingDayCalendar
from safeguarding.cases import Case
from safeguarding.partnerships import ClockOptions, load_partnerships
from safeguarding.timeline import CaseDates, compute_timeline
from scheduler.plan import FactsPass, reminders_from_facts
from tests.bench_side import side_by_side
from tests.bench_store import store_table
from tests.support.cases import make_case, make_referral


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _timelines(count: int) -> float:
    calendar = WorkingDayCalendar.for_england()
    options = ClockOptions()
    today = date(2026, 11, 26)
    started = time.perf_counter()
    for n in range(count):
        aware = date(2026, 1, 5) + timedelta(days=n % 300)
        compute_timeline(CaseDates(la_aware=aware, incident=aware), options, calendar, today)
    return time.perf_counter() - started


def _plan_cases(count: int) -> list[Case]:
    cases = []
    for n in range(count):
        aware = date(2026, 1, 5) + timedelta(days=n % 330)
        # Nearly every case gets its own pair of dates, as real cases would.
        incident = aware - timedelta(days=n // 330 % 31)
        cases.append(
            make_case(
                make_referral(incident=incident, la_aware=aware),
                reference=f"COV-2026-{n + 1:05d}",
                submitted_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
        )
    return cases


def _planning(count: int) -> tuple[float, float, float, int]:
    """As the runner plans: each case's facts once, then a plan from them at every tick."""
    cases = _plan_cases(count)
    partnerships = load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships
    calendars = PartnershipCalendars()
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    started = time.perf_counter()
    learning = FactsPass(partnerships=partnerships, calendars=calendars, now=now)
    kept = [learning.facts(case) for case in cases]
    learnt = time.perf_counter() - started
    started = time.perf_counter()
    plan = reminders_from_facts(kept, partnerships=partnerships, calendars=calendars, now=now)
    planned = time.perf_counter() - started
    # A steady tick: every reminder due was posted by an earlier one.
    settled: dict[str, set[str]] = {}
    for reminder in plan:
        settled.setdefault(reminder.reference, set()).add(reminder.key)
    started = time.perf_counter()
    reminders_from_facts(
        kept, partnerships=partnerships, calendars=calendars, now=now, settled=settled
    )
    steady = time.perf_counter() - started
    return learnt, planned, steady, len(plan)


def main() -> None:
    """Print the figures the README records."""
    logging.disable(logging.CRITICAL)
    side_by_side(_out)
    _out("")
    # Cost against stored cases, written by demo-data's code through the store, on each backend.
    store_table(_out)
    _out("")
    learnt, planned, steady, due = _planning(10_000)
    _out(
        f"reminder planning, 10,000 open cases: each case's facts {learnt:.2f} s (once per"
        f" version of a case), a plan from them {planned:.2f} s ({due} reminders due),"
        f" {steady:.2f} s once every one of them was posted"
    )
    seconds = _timelines(10_000)
    _out(f"timeline: 10,000 cases in {seconds:.2f} s ({seconds / 10_000 * 1000:.3f} ms per case)")


if __name__ == "__main__":
    main()
