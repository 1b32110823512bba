"""The monthly report card: once a month per partnership, on its first working day, chart by URL."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.reports import MAX_LISTED, monthly_report_card
from safeguarding.calendar import PartnershipCalendars, WorkingDayCalendar
from safeguarding.partnerships import Partnership, load_partnerships
from safeguarding.timeliness import count_timeliness
from scheduler.monthly import MonthlyReports, monthly_report_key
from storage.base import Collection, Document
from storage.cases import CaseRepository
from storage.deliveries import DeliveryLog, DeliveryState
from storage.reports import ChartStore
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cards import assert_valid_card
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock
from tests.support.timeliness import END, START, TODAY, hand_counted_cases
from usecases.delivery import OnceSender, Outcome

Client = TestClient[Any, Any]
PARTNERSHIPS = load_partnerships(EXAMPLE_PARTNERSHIPS)
# Names in the stored cases: none may reach a card, a chart or a report.
NAMES = (
    "Jane Doe",
    "Sam",
    "Example LA Lead",
    "Example Business Manager",
    "sam@school.example",
    "Dr Smith",  # a lead's reason for moving a deadline
)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Winter dates: London is UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class RecordingNotifier:
    """A channel notifier that keeps what it was asked to post (a fake, not a mock)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any], str | None]] = []

    async def post_to_review_channel(
        self, partnership: Partnership, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        self.posts.append((partnership.id, card, summary))
        await asyncio.sleep(0)  # another replica's tick may run meanwhile
        return f"activity-{len(self.posts)}"

    async def update_in_review_channel(
        self, partnership: Partnership, activity_id: str, card: dict[str, Any]
    ) -> None:
        raise AssertionError("the monthly report never updates a post")

    async def send_to_user_id(
        self, user_id: str, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        raise AssertionError("the monthly report goes to the channel only")


def replica(
    store: TinyDBStore, clock: FakeClock, notifier: RecordingNotifier, owner: str
) -> tuple[MonthlyReports, OnceSender]:
    """One replica's monthly job and sender, on the shared store."""
    log = DeliveryLog(store)
    job = MonthlyReports(
        partnerships=PARTNERSHIPS,
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=log,
        charts=ChartStore(store),
        notifier=notifier,
        clock=clock,
        chart_base_url="https://bot.example.org",
    )
    return job, OnceSender(log=log, clock=clock, owner=owner)


async def _fill(store: TinyDBStore) -> None:
    cases = CaseRepository(store)
    for case in hand_counted_cases():
        await cases.create(case)


async def test_posted_once_on_the_first_working_day_after_new_years_day(
    store: TinyDBStore, clock: FakeClock
) -> None:
    """1 Jan 2027 is a Friday and a bank holiday: December's report goes on Mon 4 Jan, once."""
    await _fill(store)
    notifier = RecordingNotifier()
    one = replica(store, clock, notifier, "replica-1")
    two = replica(store, clock, notifier, "replica-2")

    async def both_tick() -> list[Outcome]:
        done = await asyncio.gather(*(job.run(clock.now(), sender) for job, sender in (one, two)))
        return [d.outcome for ds in done for d in ds]

    clock.set(london(2026, 12, 31, 10))
    await both_tick()  # the bot is new: November's report, missed on 1 Dec, goes now
    assert [p[0] for p in notifier.posts] == ["coventry"]
    assert "November 2026" in notifier.posts[0][2]  # type: ignore[operator]
    # New Year's Day, the weekend, and Monday before working hours: nothing.
    for moment in (
        london(2027, 1, 1, 10),
        london(2027, 1, 2, 10),
        london(2027, 1, 3, 10),
        london(2027, 1, 4, 8, 59),
    ):
        clock.set(moment)
        assert await both_tick() == [], moment
    clock.set(london(2027, 1, 4, 9, 0))
    outcomes = await both_tick()
    assert sorted(outcomes) == [Outcome.SENT, Outcome.SKIPPED]
    assert len(notifier.posts) == 2
    _partnership, card, summary = notifier.posts[1]
    assert summary == "Monthly report for December 2026: Coventry Safeguarding Children Partnership"
    assert_valid_card(card)
    # The rest of January: never again.
    for moment in (london(2027, 1, 4, 15), london(2027, 1, 5, 10), london(2027, 1, 29, 16)):
        clock.set(moment)
        assert await both_tick() == []
    assert len(notifier.posts) == 2
    delivery = await DeliveryLog(store).get(monthly_report_key("coventry", date(2026, 12, 1)))
    assert delivery is not None
    assert delivery.state is DeliveryState.SENT
    # February's first working day (Mon 1 Feb 2027): January's report.
    clock.set(london(2027, 2, 1, 9, 30))
    assert sorted(await both_tick()) == [Outcome.SENT, Outcome.SKIPPED]
    assert "January 2027" in str(notifier.posts[2][2])


async def test_a_partnership_closure_day_on_the_first_moves_the_report(
    store: TinyDBStore, clock: FakeClock
) -> None:
    """The partnership's calendar: closed Mon 1 Mar 2027, its report waits for Tue 2 Mar."""
    coventry = PARTNERSHIPS.partnerships["coventry"]
    closed = coventry.model_copy(
        update={
            "clock": coventry.clock.model_copy(update={"extra_closure_days": (date(2027, 3, 1),)})
        }
    )
    partnerships = PARTNERSHIPS.model_copy(
        update={"partnerships": {**PARTNERSHIPS.partnerships, "coventry": closed}}
    )
    notifier = RecordingNotifier()
    log = DeliveryLog(store)
    job = MonthlyReports(
        partnerships=partnerships,
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=log,
        charts=ChartStore(store),
        notifier=notifier,
        clock=clock,
        chart_base_url=None,
    )
    sender = OnceSender(log=log, clock=clock, owner="one")
    await log.claim(
        monthly_report_key("coventry", date(2027, 1, 1)),
        owner="earlier",
        now=london(2027, 2, 1, 9),
        details={
            "reference": "r",
            "partnership_id": "coventry",
            "kind": "k",
            "milestone": "m",
            "due": "d",
        },
    )
    clock.set(london(2027, 3, 1, 10))
    assert await job.run(clock.now(), sender) == []
    clock.set(london(2027, 3, 2, 10))
    assert [d.outcome for d in await job.run(clock.now(), sender)] == [Outcome.SENT]
    # No chart URL configured: the card goes without an image.
    assert all(item["type"] != "Image" for item in notifier.posts[0][1]["body"])


async def test_a_claim_left_by_a_crashed_replica_is_taken_over(
    store: TinyDBStore, clock: FakeClock
) -> None:
    """Claimed at 09:00 by a replica that died before posting: posted once the claim is stale."""
    notifier = RecordingNotifier()
    job, sender = replica(store, clock, notifier, "survivor")
    key = monthly_report_key("coventry", date(2027, 1, 1))
    details = {"reference": "r", "partnership_id": "coventry", "kind": "k", "milestone": "m"}
    await DeliveryLog(store).claim(
        key, owner="crashed", now=london(2027, 2, 1, 9), details={**details, "due": "d"}
    )
    clock.set(london(2027, 2, 1, 9, 5))
    assert [d.outcome for d in await job.run(clock.now(), sender)] == [Outcome.SKIPPED]
    assert notifier.posts == []
    clock.set(london(2027, 2, 1, 9, 11))  # the claim is over ten minutes old
    assert [d.outcome for d in await job.run(clock.now(), sender)] == [Outcome.SENT]
    assert len(notifier.posts) == 1


def test_the_card_holds_the_months_figures_and_the_chart() -> None:
    figures = count_timeliness(
        hand_counted_cases(),
        PARTNERSHIPS.partnerships["coventry"],
        WorkingDayCalendar.for_england(),
        start=date(2027, 3, 1),
        end=END,
        today=TODAY,
    )
    card = monthly_report_card(
        partnership_name="Coventry Safeguarding Children Partnership",
        figures=figures,
        chart_url="https://bot.example.org/reports/charts/coventry/2027-03/x.png",
        chart_start=date(2026, 4, 1),
        chart_end=END,
    )
    assert_valid_card(card)
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    # March 2027 alone: 4 referrals (003, 004, 005, 006); the rapid review of 002 was due
    # on 5 Mar and is late and open; 006's SIN is not due yet (30 Mar, today).
    assert facts[wording.REPORT_REFERRALS] == "4 (1 led by another council)"
    assert facts["Rapid review sent (15 working days)"] == (
        "0 of 1 on time (0%). Late and still open: COV-2027-002."
    )
    assert facts["Panel told (5 working days)"] == "None due. Not due yet: 1."
    assert facts[wording.REPORT_SLIPS] == "Rapid review sent to the Panel: 1"
    assert facts[wording.REPORT_SLIPS_WHY] == "Waiting for an agency: 1"
    image = next(item for item in card["body"] if item["type"] == "Image")
    assert image["url"].endswith("/x.png")
    assert "April 2026" in image["altText"]
    assert "March 2027" in image["altText"]
    text = json.dumps(card)
    assert not any(name in text for name in NAMES)


def test_a_long_list_of_cases_is_clipped_on_the_card() -> None:
    many = [
        case.model_copy(update={"reference": f"COV-2027-{100 + n:03d}"})
        for n in range(MAX_LISTED + 3)
        for case in hand_counted_cases()
        if case.reference == "COV-2027-002"
    ]
    figures = count_timeliness(
        many,
        PARTNERSHIPS.partnerships["coventry"],
        WorkingDayCalendar.for_england(),
        start=START,
        end=END,
        today=TODAY,
    )
    card = monthly_report_card(
        partnership_name="Coventry",
        figures=figures,
        chart_url=None,
        chart_start=START,
        chart_end=END,
    )
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert "and 3 more" in facts["Panel told (5 working days)"]


async def test_the_posted_cards_chart_is_served_by_the_bot(
    bot: Client,
    connector: FakeConnector,
    store: TinyDBStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through the real app: the tick posts the card; its image URL serves the PNG."""
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    connector.sent.clear()
    await _fill(store)
    clock.set(london(2027, 2, 1, 9, 30))  # January's report (Mon 1 Feb is a working day)
    report = await bot.server.app[SERVICES].reminders.tick()
    key = monthly_report_key("coventry", date(2027, 1, 1))
    assert key in report.sent
    cards = [c for s in connector.to("team-id") for c in s.cards]
    monthly = [c for c in cards if c["body"][0]["text"].startswith("Monthly report")]
    assert len(monthly) == 1
    assert_valid_card(monthly[0])
    image = next(item for item in monthly[0]["body"] if item["type"] == "Image")
    path = "/" + image["url"].split("/", 3)[3]
    assert path.startswith("/reports/charts/coventry/2027-01/")
    served = await bot.get(path)
    assert served.status == 200
    assert served.content_type == "image/png"
    png = await served.read()
    _assert_chart_png(png)
    # A wrong token, month or partnership: nothing, and no hint which was wrong.
    wrong = path.rsplit("/", 1)[0] + "/" + "A" * 22 + ".png"
    guesses = (
        wrong,
        path.replace("2027-01", "2026-12"),
        path.replace("coventry", "warwickshire"),
        path.replace("coventry", "nowhere"),
        "/reports/charts/coventry/2027-01/short.png",
    )
    caplog.clear()
    caplog.set_level("DEBUG")
    answers = [await bot.get(guess) for guess in guesses]
    assert [a.status for a in answers] == [404] * len(guesses)
    assert len({json.loads(await a.text())["error"] for a in answers}) == 1  # no hint which
    # Anyone may ask: a flood of guesses is not a flood of warnings.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    misses = [r for r in caplog.records if r.name == "bot.report_charts"]
    assert [r.levelno for r in misses] == [logging.DEBUG] * len(guesses)
    # The tick again: not posted twice.
    again = await bot.server.app[SERVICES].reminders.tick()
    assert key not in again.sent
    assert len([c for s in connector.to("team-id") for c in s.cards]) == len(cards)


class _Reads(TinyDBStore):
    """The embedded store, noting every document read."""

    reads: list[tuple[str, str]]

    async def get(self, collection: Collection, key: str) -> Document | None:
        self.reads.append((collection, key))
        return await super().get(collection, key)


async def test_a_miss_is_one_read_by_the_whole_key_whichever_part_is_wrong(
    tmp_path: Path,
) -> None:
    """A known partnership or month costs what an unknown one does: one read, never a hit."""
    store = _Reads(tmp_path)
    store.reads = []
    charts = ChartStore(store)
    now = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
    token = await charts.keep("coventry", "2027-01", b"png one", now=now)
    assert await charts.find("coventry", "2027-01", token) == b"png one"
    for guess in (
        ("coventry", "2027-01", "A" * 22),
        ("coventry", "2026-12", token),
        ("warwickshire", "2027-01", token),
        ("no such place", "not a month", "\u202e short"),
    ):
        store.reads = []
        assert await charts.find(*guess) is None, guess
        assert len(store.reads) == 1
        assert store.reads[0][0] == Collection.REPORTS
        assert store.reads[0][1].startswith("chart-image:")
        assert await store.get(*store.reads[0]) is None  # the read found nothing at all
    # A retry replaces the month's chart: the old URL goes, one image is kept.
    again = await charts.keep("coventry", "2027-01", b"png two", now=now)
    assert await charts.find("coventry", "2027-01", token) is None
    assert await charts.find("coventry", "2027-01", again) == b"png two"
    images = [d for d in await store.list(Collection.REPORTS) if d.key.startswith("chart-image:")]
    assert len(images) == 1
    await store.close()


def _assert_chart_png(png: bytes) -> None:
    """A 1000 x 700 PNG whose pixels are not all one colour."""
    from matplotlib import image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (700, 1000)
    colours = {tuple(pixel) for pixel in pixels.reshape(-1, pixels.shape[2])[::97]}
    assert len(colours) > 10


def test_the_chart_url_is_the_public_host_or_loopback() -> None:
    from bot.report_charts import chart_base_url
    from bot.settings import Settings
    from tests.support.keys import TEST_KEYS

    keys = {"data_keys": TEST_KEYS}  # credentials on: the data keys are required
    public = Settings(
        public_host="bot.example.org", app_id="a", app_password="p", app_tenant_id="t", **keys
    )
    assert chart_base_url(public) == "https://bot.example.org"
    assert chart_base_url(Settings(host="127.0.0.1", port=3978)) == "http://127.0.0.1:3978"
    everywhere = Settings(host="0.0.0.0", app_id="a", app_password="p", app_tenant_id="t", **keys)
    assert chart_base_url(everywhere) is None
