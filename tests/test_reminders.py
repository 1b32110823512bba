"""Milestone reminders end to end on the fake clock: on time, exactly once, never lost."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES, create_app
from bot.settings import load_settings
from cards import wording
from cards.text import escape_markdown
from cli.main import run
from cli.reminders import plan_line
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.leading import LeadRule
from safeguarding.referral import Area
from scheduler.plan import Reminder
from scheduler.runner import ReminderRunner
from storage.cases import CaseRepository
from storage.deliveries import Claim, DeliveryLog, DeliveryState
from storage.tinydb_store import TinyDBStore
from tests.support import activities, clicks
from tests.support.cases import make_case, make_referral
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, FakeTime
from tests.support.runners import paced_notifier
from tests.test_decisions_http import LA, STRANGER

Client = TestClient[Any, Any]


def _case() -> Case:
    # LA aware Wed 23 Dec 2026: the SIN is due Mon 4 Jan 2027 (Christmas, the Boxing Day
    # substitute and New Year's Day are not working days).
    return make_case(
        make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23)),
        submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC),
    )


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Winter dates: London is UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def setup(
    bot: Client, connector: FakeConnector, store: TinyDBStore, clock: FakeClock
) -> tuple[ReminderRunner, FakeTime]:
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    connector.sent.clear()
    await CaseRepository(store).create(_case())
    return runner_for(bot, store, clock)


def runner_for(
    bot: Client, store: TinyDBStore, clock: FakeClock
) -> tuple[ReminderRunner, FakeTime]:
    """A runner on the app's adapter whose notifier sleeps on fake time."""
    services = bot.server.app[SERVICES]
    notifier, fake = paced_notifier(bot)
    runner = ReminderRunner(
        partnerships=services.partnerships,
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=DeliveryLog(store),
        notifier=notifier,
        clock=clock,
        owner=f"test-{id(notifier)}",
    )
    return runner, fake


def posted(connector: FakeConnector) -> list[str]:
    """The titles of the cards posted to the channel, in order."""
    titles = []
    for sent in connector.to("team-id"):
        for card in sent.cards:
            titles.append(card["body"][0]["text"])
    return titles


async def test_a_lead_time_reminder_is_posted_once(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))  # 2 working days before Mon 4 Jan
    report = await runner.tick()
    assert "Due in 2 working days: Serious incident notification (COV-2026-001)" in posted(
        connector
    )
    assert report.sent
    count = len(connector.sent)
    again = await runner.tick()
    assert again.sent == []
    assert len(connector.sent) == count


async def test_posting_waits_for_working_hours(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 7, 0))
    await runner.tick()
    assert posted(connector) == []
    clock.set(london(2026, 12, 30, 9, 0))
    await runner.tick()
    assert posted(connector)


async def test_a_reminder_missed_during_downtime_is_sent_once_marked_late(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 31, 10, 0))  # the bot was down all of Wed 30 Dec
    await runner.tick()
    cards = [c for s in connector.to("team-id") for c in s.cards]
    sin = [c for c in cards if "Serious incident notification" in c["body"][0]["text"]]
    assert len(sin) == 1
    assert "Posted late" in json.dumps(sin[0])
    await runner.tick()
    assert len([c for s in connector.to("team-id") for c in s.cards]) == len(cards)


async def test_on_the_day_after_downtime_only_the_due_today_reminder(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2027, 1, 4, 11, 0))
    await runner.tick()
    titles = [t for t in posted(connector) if "Serious incident notification" in t]
    assert titles == ["Due today: Serious incident notification (COV-2026-001)"]


@pytest.mark.parametrize(
    ("tick_at", "late"),
    [
        # Filed Tue 1 Dec 2026 at 10:00, after the SIN's date (Fri 27 Nov): the first tick.
        (datetime(2026, 12, 1, 10, 5, tzinfo=UTC), False),
        # The bot was down from the filing until Thu 3 Dec: it did miss Tuesday and Wednesday.
        (datetime(2026, 12, 3, 10, 0, tzinfo=UTC), True),
    ],
)
async def test_a_case_filed_after_its_sin_date_is_escalated_late_only_after_an_outage(
    bot: Client,
    connector: FakeConnector,
    store: TinyDBStore,
    clock: FakeClock,
    tick_at: datetime,
    late: bool,
) -> None:
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    connector.sent.clear()
    case = make_case(
        make_referral(incident=date(2026, 11, 19), la_aware=date(2026, 11, 20)),
        submitted_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )
    await CaseRepository(store).create(case)
    runner, _ = runner_for(bot, store, clock)
    clock.set(tick_at)
    await runner.tick()
    cards = [c for s in connector.to("team-id") for c in s.cards]
    [sin] = [c for c in cards if "Serious incident notification" in c["body"][0]["text"]]
    text = json.dumps(sin)
    assert sin["body"][0]["text"] == "Overdue: Serious incident notification (COV-2026-001)"
    assert "27 November 2026" in text
    assert wording.REMINDER_FILED_AFTER_DUE in text
    assert (wording.REMINDER_LATE in text) is late


async def test_overdue_escalation_mentions_the_leads_once(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2027, 1, 5, 10, 0))
    await runner.tick()
    clock.set(london(2027, 1, 6, 10, 0))
    await runner.tick()
    cards = [c for s in connector.to("team-id") for c in s.cards]
    overdue = [c for c in cards if c["body"][0]["text"].startswith("Overdue: Serious incident")]
    assert len(overdue) == 1
    mentioned = {e["mentioned"]["id"] for e in overdue[0]["msteams"]["entities"]}
    assert "00000000-0000-0000-0000-0000000000a1" in mentioned  # the LA lead


async def test_two_scheduler_instances_send_each_reminder_once(
    setup: tuple[ReminderRunner, FakeTime],
    bot: Client,
    connector: FakeConnector,
    store: TinyDBStore,
    clock: FakeClock,
) -> None:
    first, _ = setup
    second, _ = runner_for(bot, store, clock)
    clock.set(london(2026, 12, 30, 9, 30))
    reports = await asyncio.gather(first.tick(), second.tick())
    sent = reports[0].sent + reports[1].sent
    assert len(sent) == len(set(sent))  # no key sent by both
    reminders = [key for key in sent if not key.startswith("digest|")]
    assert len(reminders) == reports[0].planned == reports[1].planned
    assert len(connector.to("team-id")) == len(sent)


async def test_429_then_success_posts_once(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, fake = setup
    clock.set(london(2026, 12, 30, 9, 30))
    connector.script = ["429:2"]
    report = await runner.tick()
    assert report.failed == []
    assert 2.0 in fake.slept
    assert len(connector.to("team-id")) == len(report.sent)  # the 429'd post went once


async def test_500_after_the_post_landed_is_never_posted_again(
    setup: tuple[ReminderRunner, FakeTime],
    connector: FakeConnector,
    clock: FakeClock,
    store: TinyDBStore,
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    connector.script = ["500-landed"]
    first = await runner.tick()
    assert len(first.failed) == 1  # the first post landed, then the connector said 500
    landed = len(connector.to("team-id"))
    await runner.tick()
    await runner.tick()
    assert len(connector.to("team-id")) == landed  # nothing posted twice
    record = await DeliveryLog(store).get(first.failed[0])
    assert record is not None
    assert record.state is DeliveryState.UNCERTAIN


async def test_a_channel_that_is_gone_is_reported_in_the_digest(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    connector.script = ["404"] * 2
    report = await runner.tick()
    assert len(report.failed) == 2

    def digests() -> list[dict[str, Any]]:
        return [
            c
            for sent in connector.to("team-id")
            for c in sent.cards
            if "Weekly digest" in c["body"][0]["text"]
        ]

    before = len(digests())
    clock.set(london(2027, 1, 4, 9, 5))  # Monday: the week's digest
    await runner.tick()
    assert len(digests()) == before + 1
    assert "could not be posted" in json.dumps(digests()[-1])
    assert "HTTP 404" in json.dumps(digests()[-1])
    clock.advance(hours=2)
    await runner.tick()
    assert len(digests()) == before + 1  # once a week


async def test_a_digest_posted_on_a_wednesday_names_the_week_by_its_monday(
    setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    # The bot was down from before Monday 30 November 2026: its first tick is on Wednesday.
    clock.set(london(2026, 12, 2, 9, 30))
    await runner.tick()
    digests = [
        c
        for sent in connector.to("team-id")
        for c in sent.cards
        if "Weekly digest" in c["body"][0]["text"]
    ]
    [digest] = digests
    week = digest["body"][1]["text"]
    assert week == wording.DIGEST_WEEK.format(day="Monday 30 November 2026")
    assert "2 December" not in week


async def _claim_left_by_a_crash(
    runner: ReminderRunner, store: TinyDBStore, clock: FakeClock
) -> tuple[DeliveryLog, str, Claim]:
    """A claim on the first reminder due at 30 Dec 09:30, as a process that then died left it."""
    clock.set(london(2026, 12, 30, 9, 30))
    crashed = runner.plan([_case()], clock.now())[0].key
    log = DeliveryLog(store)
    details = {
        "reference": "COV-2026-001",
        "partnership_id": "coventry",
        "kind": "lead",
        "milestone": "sin",
        "due": "2027-01-04",
    }
    claim = await log.claim(crashed, owner="crashed", now=clock.now(), details=details)
    assert claim is not None
    return log, crashed, claim


async def test_a_claim_left_before_sending_is_sent_after_the_timeout(
    setup: tuple[ReminderRunner, FakeTime],
    connector: FakeConnector,
    clock: FakeClock,
    store: TinyDBStore,
) -> None:
    runner, _ = setup
    log, crashed, _ = await _claim_left_by_a_crash(runner, store, clock)
    await runner.tick()
    record = await log.get(crashed)
    assert record is not None
    assert record.state is DeliveryState.CLAIMED  # still someone else's claim
    clock.advance(minutes=11)
    await runner.tick()
    record = await log.get(crashed)
    assert record is not None
    assert record.state is DeliveryState.SENT


async def test_a_claim_left_mid_send_is_never_sent_again(
    setup: tuple[ReminderRunner, FakeTime],
    connector: FakeConnector,
    clock: FakeClock,
    store: TinyDBStore,
) -> None:
    runner, _ = setup
    log, crashed, claim = await _claim_left_by_a_crash(runner, store, clock)
    await log.sending(claim, clock.now())  # the process died after this, post unknown
    clock.advance(minutes=11)
    before = len(connector.to("team-id"))
    report = await runner.tick()
    assert crashed not in report.sent
    record = await log.get(crashed)
    assert record is not None
    assert record.state is DeliveryState.UNCERTAIN
    assert len(connector.to("team-id")) == before + len(report.sent)


def test_reminders_dry_run_and_log(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def seed() -> None:
        store = TinyDBStore(tmp_path)
        await CaseRepository(store).create(_case())
        await store.close()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    assert run(["reminders", "--at", "2026-12-30 09:30"], stdout=out, stderr=err) == 0, (
        err.getvalue()
    )
    assert "COV-2026-001" in out.getvalue()
    assert "sin" in out.getvalue()
    out = io.StringIO()
    assert run(["reminders", "--log", "COV-2026-001"], stdout=out, stderr=err) == 0
    assert "no deliveries" in out.getvalue()
    bad = io.StringIO()
    assert run(["reminders", "--at", "30/12/2026"], stdout=out, stderr=bad) == 2
    assert "YYYY-MM-DD HH:MM" in bad.getvalue()


def test_the_dry_run_plans_what_the_runner_posts(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Warwickshire has no review channel: the runner posts nothing of its cases. Thursday
    # 31 December 2026 proclaimed a bank holiday moves the SIN from Mon 4 to Tue 5 January.
    warwickshire = make_case(
        make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23)).model_copy(
            update={"area": Area(area="Warwickshire", partnership_id="warwickshire")}
        ),
        reference="WAR-2026-001",
        submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC),
    )
    holidays = tmp_path / "bank-holidays.json"
    proclaimed = {"title": "Proclaimed", "date": "2026-12-31", "notes": "", "bunting": False}
    holidays.write_text(json.dumps({"england-and-wales": {"events": [proclaimed]}}))

    async def seed() -> None:
        store = TinyDBStore(tmp_path / "data")
        for case in (_case(), warwickshire):
            await CaseRepository(store).create(case)
        await store.close()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REVIEW_BOT_BANK_HOLIDAYS", str(holidays))
    out, err = io.StringIO(), io.StringIO()
    assert run(["reminders", "--at", "2026-12-30 09:30"], stdout=out, stderr=err) == 0, (
        err.getvalue()
    )
    now = london(2026, 12, 30, 9, 30)

    async def runner_plan() -> list[Reminder]:
        # The runner exactly as the app builds it, with the app's partnerships and calendars.
        app = create_app(load_settings(reminders_enabled=False))
        client: Client = TestClient(TestServer(app))
        await client.start_server()
        try:
            services = app[SERVICES]
            repo = CaseRepository(services.store)
            cases = [
                c for pid in ("coventry", "warwickshire") for c in await repo.for_partnership(pid)
            ]
            return services.reminders.plan(cases, now)
        finally:
            await client.close()

    planned = asyncio.run(runner_plan())
    assert [r.key for r in planned] == [
        "COV-2026-001|sin|lead:2|2027-01-05",
        "COV-2026-001|notify_partners|lead:2|2027-01-05",
    ]
    assert out.getvalue() == (
        "at 2026-12-30 09:30 (Europe/London): 2 reminder(s)\n"
        + "".join(plan_line(r) for r in planned)
    )
    monkeypatch.setenv("REVIEW_BOT_BANK_HOLIDAYS", str(tmp_path / "none.json"))
    bad = io.StringIO()
    assert run(["reminders", "--at", "2026-12-30 09:30"], stdout=io.StringIO(), stderr=bad) == 2
    assert bad.getvalue().startswith("review-bot reminders: ")
    assert len(bad.getvalue().splitlines()) == 1


async def test_the_app_starts_and_stops_the_scheduler(tmp_path: Any) -> None:
    from bot.app import SCHEDULER
    from bot.settings import EXAMPLE_PARTNERSHIPS, Settings

    settings = Settings(
        data_dir=tmp_path / "data",
        partnerships=EXAMPLE_PARTNERSHIPS,
        reminders_enabled=True,
        reminder_interval_s=60,
    )
    # Ahead of the real time the scheduler keeps, so the retention job does not fire here.
    started = datetime(2036, 11, 24, 10, tzinfo=UTC)
    app = create_app(settings, clock=FakeClock(started))
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    scheduler = app[SCHEDULER]
    assert scheduler.running
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"reminders", "retention"}
    assert jobs["reminders"].trigger.interval.total_seconds() == 60
    # Retention is checked hourly and runs once a London day (tests/test_retention.py).
    assert jobs["retention"].trigger.interval.total_seconds() == 3600
    # First checked a minute after start (by the app's clock), not an hour: a replica restarted
    # more often than hourly still runs it.
    assert jobs["retention"].next_run_time == started + timedelta(seconds=60)
    await client.close()
    await asyncio.sleep(0)  # the scheduler stops on the loop's next turn
    assert not scheduler.running


async def test_a_case_card_that_could_not_be_posted_is_posted_by_the_next_tick(
    bot: Client, connector: FakeConnector, store: TinyDBStore, clock: FakeClock
) -> None:
    # Filed while the bot was not yet in the team: the case has no channel post.
    await CaseRepository(store).create(_case())
    runner = bot.server.app[SERVICES].reminders
    await runner.tick()
    assert connector.to("team-id") == []
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    report = await runner.tick()
    assert "post|COV-2026-001" in report.sent
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].channel_activity_id
    posts = [c for s in connector.to("team-id") for c in s.cards]
    assert any("New referral COV-2026-001" in json.dumps(c) for c in posts)
    again = await runner.tick()
    assert "post|COV-2026-001" not in again.sent


async def test_abandoned_drafts_are_swept(
    bot: Client, store: TinyDBStore, clock: FakeClock
) -> None:
    from safeguarding.referral import Draft
    from storage.base import Collection
    from storage.cases import DraftRepository, StoredDraft

    drafts = DraftRepository(store, ttl=timedelta(days=14))
    old = StoredDraft(draft=Draft(), started=clock.now(), updated=clock.now())
    await drafts.save("someone", old, None)
    clock.advance(days=15)
    await bot.server.app[SERVICES].reminders.tick()
    assert [d.key for d in await store.list(Collection.STATE) if d.key.startswith("draft:")] == []


async def test_a_home_partnership_not_told_at_filing_is_told_by_the_next_tick(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    # Harmed in Warwickshire, living in Coventry: filed with Warwickshire, while the bot was
    # not yet in Coventry's review team, so Coventry was not told.
    area = Area(
        area="Coventry",
        harm_area="Warwickshire",
        partnership_id="warwickshire",
        lead_rule=LeadRule.WHERE_HARMED,
        told_partnership_id="coventry",
    )
    referral = make_referral().model_copy(update={"area": area})
    await CaseRepository(store).create(make_case(referral, reference="WAR-2026-001"))
    runner = bot.server.app[SERVICES].reminders
    await runner.tick()
    assert connector.to("team-id") == []
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    report = await runner.tick()
    assert "told|WAR-2026-001" in report.sent
    told = [c for s in connector.to("team-id") for c in s.cards if "WAR-2026-001" in json.dumps(c)]
    assert len(told) == 1
    assert "Warwickshire Safeguarding" in json.dumps(told[0])
    assert "Jane" not in json.dumps(told[0])
    loaded = await CaseRepository(store).get("WAR-2026-001")
    assert loaded is not None
    assert loaded[0].told_activity_id
    again = await runner.tick()
    assert "told|WAR-2026-001" not in again.sent


# --- a reminder's buttons follow the case card's rule: leads only, by refresh -----------------


def _reminder(connector: FakeConnector) -> dict[str, Any]:
    [card] = [
        c
        for sent in connector.to("team-id")
        for c in sent.cards
        if c["body"][0]["text"].startswith("Due in 2 working days: Serious incident")
    ]
    return card


def _execute(card: dict[str, Any], title: str) -> tuple[str, dict[str, Any]]:
    [form] = [a["card"] for a in card["actions"] if a["title"] == title]
    action = form["actions"][0]
    return action["verb"], dict(action["data"])


async def test_a_reminder_is_posted_read_only_and_a_leads_copy_refreshes_with_buttons(
    bot: Client, setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    await runner.tick()
    posted_card = _reminder(connector)
    assert _forms(posted_card) == set()
    identity = posted_card["refresh"]["action"]["data"]["reminder"]
    assert identity["milestone"] == "sin"
    assert identity["due"] == "2027-01-04"
    lead = await clicks.refresh(bot, connector, LA, posted_card)
    assert {a["title"] for a in lead["actions"]} == {wording.REMINDER_DONE, wording.REMINDER_SLIP}
    assert lead["body"][0]["text"] == posted_card["body"][0]["text"]
    other = await clicks.refresh(bot, connector, STRANGER, posted_card)
    assert _forms(other) == set()
    assert other["body"][0]["text"] == posted_card["body"][0]["text"]


def _forms(card: dict[str, Any]) -> set[str]:
    """The titles of a card's Done / Slip forms (each an Action.ShowCard)."""
    return {a["title"] for a in card.get("actions", []) if a["type"] == "Action.ShowCard"}


def _texts(card: dict[str, Any]) -> list[str]:
    return [str(b.get("text")) for b in card["body"]]


async def test_a_lead_whose_client_never_refreshes_presses_the_reminders_button_for_leads(
    bot: Client,
    setup: tuple[ReminderRunner, FakeTime],
    connector: FakeConnector,
    clock: FakeClock,
    store: TinyDBStore,
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    await runner.tick()
    posted_card = _reminder(connector)
    # The read-only copy has one button: the refresh's own Action.Execute, pressed by hand.
    button = clicks.leads_button(posted_card)
    assert button["title"] == wording.REMINDER_GET_BUTTONS
    assert (button["verb"], button["data"]) == (
        posted_card["refresh"]["action"]["verb"],
        posted_card["refresh"]["action"]["data"],
    )
    trail_before = await CaseRepository(store).audit_trail("COV-2026-001")
    lead = await clicks.press_leads_button(bot, connector, LA, posted_card)
    assert _forms(lead) == {wording.REMINDER_DONE, wording.REMINDER_SLIP}
    # The lead's own copy has the buttons, not the button asking for them.
    assert wording.REMINDER_GET_BUTTONS not in json.dumps(lead)
    other = await clicks.press_leads_button(bot, connector, STRANGER, posted_card)
    assert _forms(other) == set()
    assert wording.REMINDER_LEADS_ONLY_PRESSED in _texts(other)
    assert other["body"][0]["text"] == posted_card["body"][0]["text"]
    # Not an error, and not a refusal: nothing recorded, nothing audited.
    assert "warning" not in json.dumps(other)
    assert await CaseRepository(store).audit_trail("COV-2026-001") == trail_before
    # Teams' own refresh of a non-lead's copy says nothing of the kind.
    refreshed = await clicks.refresh(bot, connector, STRANGER, posted_card)
    assert wording.REMINDER_LEADS_ONLY_PRESSED not in _texts(refreshed)


async def test_a_leads_done_on_a_reminder_shows_what_was_recorded_not_the_case_card(
    bot: Client,
    setup: tuple[ReminderRunner, FakeTime],
    connector: FakeConnector,
    clock: FakeClock,
    store: TinyDBStore,
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    await runner.tick()
    lead = await clicks.refresh(bot, connector, LA, _reminder(connector))
    verb, data = _execute(lead, wording.REMINDER_DONE)
    shown = await clicks.execute(bot, connector, LA, verb, {**data, "on": "2026-12-30"})
    texts = [b.get("text") for b in shown["body"]]
    assert texts[0] == "Due in 2 working days: Serious incident notification (COV-2026-001)"
    # The lead's role, never their name.
    assert "Done: recorded by Director of Children's Services delegate on 30 December 2026." in (
        texts
    )
    assert "actions" not in shown
    assert "refresh" not in shown
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].dates.sin_made == date(2026, 12, 30)
    # Anyone's refresh now: the milestone is done, the reminder read-only.
    again = await clicks.refresh(bot, connector, LA, _reminder(connector))
    assert "actions" not in again
    assert "Done on 30 December 2026. Nothing is left to do for this reminder." in [
        b.get("text") for b in again["body"]
    ]


async def test_a_leads_slip_on_a_reminder_says_where_it_moved(
    bot: Client, setup: tuple[ReminderRunner, FakeTime], connector: FakeConnector, clock: FakeClock
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    await runner.tick()
    lead = await clicks.refresh(bot, connector, LA, _reminder(connector))
    verb, data = _execute(lead, wording.REMINDER_SLIP)
    shown = await clicks.execute(
        bot, connector, LA, verb, {**data, "to": "2027-01-08", "reason": "Awaiting police"}
    )
    assert "Moved to 8 January 2027." in [b.get("text") for b in shown["body"]]
    assert "actions" not in shown


async def test_a_non_leads_click_on_a_reminder_is_refused_and_the_reminder_stays(
    bot: Client,
    setup: tuple[ReminderRunner, FakeTime],
    connector: FakeConnector,
    clock: FakeClock,
    store: TinyDBStore,
) -> None:
    runner, _ = setup
    clock.set(london(2026, 12, 30, 9, 30))
    await runner.tick()
    posted_card = _reminder(connector)
    lead = await clicks.refresh(bot, connector, LA, posted_card)
    verb, data = _execute(lead, wording.REMINDER_DONE)
    shown = await clicks.execute(bot, connector, STRANGER, verb, {**data, "on": "2026-12-30"})
    assert shown["body"][0]["items"][0]["text"] == escape_markdown(
        wording.DECISION_REFUSED_NOT_LEAD
    )
    assert shown["body"][1]["text"] == posted_card["body"][0]["text"]
    assert _forms(shown) == set()
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].dates.sin_made is None
    trail = await CaseRepository(store).audit_trail("COV-2026-001")
    assert trail[-1]["what"] == "refused: sin_made"
    assert trail[-1]["role"] == "not a lead"
