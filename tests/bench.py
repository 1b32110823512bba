"""Hand-run benchmark (`make bench`): what one turn and one timeline cost. Never run by pytest.

First the product beside the stock echo bot and a raw aiohttp bot (`tests/bench_side.py`),
then one turn in process with 10 and 10,000 cases stored, reminder planning and timelines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from safeguarding.calendar import PartnershipCalendars, WorkingDayCalendar
from safeguarding.cases import Case
from safeguarding.partnerships import ClockOptions, load_partnerships
from safeguarding.timeline import CaseDates, compute_timeline
from scheduler.plan import OpenMilestonesCache, plan_reminders
from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.bench_side import side_by_side
from tests.support import activities
from tests.support.cases import make_case, make_referral
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock

TURNS = 200


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _seed_cases(directory: Path, count: int) -> None:
    # One bulk file write: seeding through put() would rewrite the file once per case.
    case = {"partnership": "coventry", "summary": "x" * 1500, "children": [{"i": "AB"}]}
    documents = {
        str(n + 1): {"key": f"COV-2026-{n:05}", "etag": f"e{n}", "data": case} for n in range(count)
    }
    directory.mkdir(parents=True)
    (directory / "cases.json").write_text(json.dumps({"documents": documents}))


async def _turns(stored_cases: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", partnerships=EXAMPLE_PARTNERSHIPS)
        _seed_cases(settings.data_dir, stored_cases)
        store = TinyDBStore(settings.data_dir)
        assert len(await store.list(Collection.CASES)) == stored_cases
        fake = FakeConnector()
        connector_server = TestServer(fake.app)
        await connector_server.start_server()
        fake.url = str(connector_server.make_url("/")).rstrip("/") + "/"
        app = create_app(settings, store=store, clock=FakeClock(datetime(2026, 11, 24, tzinfo=UTC)))
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        timings = []
        for n in range(TURNS):
            body = json.dumps(activities.message(fake.url, "help" if n % 2 else "hello there"))
            started = time.perf_counter()
            response = await client.post(
                "/api/messages", data=body, headers={"Content-Type": "application/json"}
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status == 201
        await client.close()
        await connector_server.close()
        await store.close()
        return timings


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


def _planning(count: int) -> tuple[float, float, int]:
    cases = _plan_cases(count)
    partnerships = load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships
    calendars = PartnershipCalendars()
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    started = time.perf_counter()
    # The runner keeps one cache of open milestones across ticks; so does this.
    cache = OpenMilestonesCache()
    plan = plan_reminders(
        cases, partnerships=partnerships, calendars=calendars, now=now, cache=cache
    )
    cold = time.perf_counter() - started
    started = time.perf_counter()
    plan_reminders(cases, partnerships=partnerships, calendars=calendars, now=now, cache=cache)
    warm = time.perf_counter() - started
    return cold, warm, len(plan)


def main() -> None:
    """Print the figures the README records."""
    logging.disable(logging.CRITICAL)
    side_by_side(_out)
    _out("")
    asyncio.run(_turns(10))  # warm-up: first connections, imports, caches
    for cases in (10, 10_000):
        timings = asyncio.run(_turns(cases))[10:]  # skip warm-up
        p95 = sorted(timings)[int(len(timings) * 0.95)]
        _out(
            f"turn over HTTP (TinyDB, {cases:>6} cases stored): median"
            f" {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms"
        )
    cold, warm, planned = _planning(10_000)
    _out(
        f"reminder planning, 10,000 open cases: first pass {cold:.2f} s,"
        f" later passes {warm:.2f} s ({planned} reminders due)"
    )
    seconds = _timelines(10_000)
    _out(f"timeline: 10,000 cases in {seconds:.2f} s ({seconds / 10_000 * 1000:.3f} ms per case)")


if __name__ == "__main__":
    main()
