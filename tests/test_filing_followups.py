"""A filing's follow-up work runs after its turn has answered, and is never lost or doubled.

The acknowledgement goes out inside the Submit turn; the trail's first entry, the filed marker
and the case card follow once the turn has answered (bot/followups.py). Over HTTP with the
real app and the fake connector: the turn answers while the case card's post is still held, a
clean stop waits for it, a follow-up that stops part way is finished by the tick, and a real
`review-bot serve` killed with SIGKILL while the card is going out never posts it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES, STARTUP_RECOVERY, create_app, open_store
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.base import Collection, Store
from storage.cases import CaseRepository, DraftRepository
from storage.deliveries import DeliveryLog, DeliveryState
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.postgres import free_port
from tests.support.referral import STEPS_TO_REVIEW
from tests.support.runners import settled
from tests.support.stores import CrashingStore

Client = TestClient[Any, Any]
ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PERSONAL = "a:personal-29:user-1"
USER_KEY = str(activities.USER["aadObjectId"])  # whose draft it is


async def _client(settings: Settings, store: Store, clock: FakeClock) -> Client:
    app = create_app(settings, store=store, clock=clock, screen=shared_screen())
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    await app[STARTUP_RECOVERY]
    return client


async def _post(client: Client, body: dict[str, Any]) -> None:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status in (200, 201), await response.text()


def _steps(url: str) -> list[dict[str, Any]]:
    """Install in the team and the personal chat, then every card up to the review."""
    return [
        activities.team_install(url, team_id="team-id"),
        activities.personal_install(url),
        activities.card_submit(url, {"action": "start_referral"}),
        *(
            activities.card_submit(url, {"action": "referral", "step": step, **inputs})
            for step, inputs in STEPS_TO_REVIEW
        ),
    ]


def _submit(url: str) -> dict[str, Any]:
    return activities.card_submit(url, {"action": "referral", "step": "review", "submit": True})


def _case_cards(connector: FakeConnector) -> int:
    return sum(
        "New referral COV-2026-001" in json.dumps(card)
        for sent in connector.to("team-id")
        for card in sent.cards
    )


def _told(connector: FakeConnector) -> int:
    """How many messages gave the referrer the reference."""
    return sum("COV-2026-001" in json.dumps(s.cards) for s in connector.to(PERSONAL))


async def test_the_filing_turn_answers_while_its_case_card_is_still_going_out(
    bot: Client, connector: FakeConnector, store: Store
) -> None:
    for body in _steps(connector.url):
        await _post(bot, body)
    # The acknowledgement goes out; the case card's post is held by the connector.
    connector.script = ["ok", "hold"]
    await _post(bot, _submit(connector.url))

    follow_ups = bot.server.app[SERVICES].follow_ups
    assert _told(connector) == 1
    assert follow_ups.outstanding == 1  # the card, still going out after the turn answered
    await connector.holding.wait()
    assert _case_cards(connector) == 0
    # By then the claim has given way to the marker and the trail has its first entry.
    marker = await DraftRepository(store, ttl=timedelta(days=14)).load(USER_KEY, START)
    assert marker is not None
    assert marker[0].filed_reference == "COV-2026-001"
    trail = await CaseRepository(store).audit_trail("COV-2026-001")
    assert [e["what"] for e in trail] == ["referral submitted"]

    connector.proceed.set()
    await settled(bot)
    assert follow_ups.outstanding == 0
    assert _case_cards(connector) == 1
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].channel_activity_id


async def test_a_clean_stop_waits_for_the_case_card_still_going_out(
    settings: Settings, tmp_path: Path, clock: FakeClock, connector: FakeConnector
) -> None:
    # The app opens and closes its own store here: a follow-up not waited for would meet it
    # closed, and the card's id would never be noted on the case.
    own = settings.model_copy(update={"data_dir": tmp_path / "own"})
    app = create_app(own, clock=clock, screen=shared_screen())

    async def let_go(app: Any) -> None:
        # The card's post is let go only once the stop has begun.
        connector.proceed.set()

    app.on_shutdown.append(let_go)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    for body in _steps(connector.url):
        await _post(client, body)
    connector.script = ["ok", "hold"]
    await _post(client, _submit(connector.url))
    await connector.holding.wait()
    await client.close()
    assert _case_cards(connector) == 1
    reopened = await open_store(own)  # as the app opened it (encrypted at rest)
    try:
        loaded = await CaseRepository(reopened).get("COV-2026-001")
    finally:
        await reopened.close()
    assert loaded is not None
    assert loaded[0].channel_activity_id  # noted on the case before the store was closed


async def test_a_follow_up_stopped_part_way_is_finished_by_the_tick_with_the_same_reference(
    settings: Settings, store: Store, clock: FakeClock, connector: FakeConnector
) -> None:
    crashing = CrashingStore(store)
    client = await _client(settings, crashing, clock)
    for body in _steps(connector.url):
        await _post(client, body)
    # The follow-up's write of the trail's first entry fails, as if the process died there.
    crashing.crash_on_put(1, collection=Collection.AUDIT)
    await _post(client, _submit(connector.url))
    await settled(client)
    await client.close()
    assert _told(connector) == 1
    assert _case_cards(connector) == 0
    held = await DraftRepository(store, ttl=timedelta(days=14)).load(USER_KEY, START)
    assert held is not None
    assert held[0].claimed  # the claim still holds the referral: nothing is lost

    restarted = await _client(settings, store, clock)
    try:
        clock.advance(minutes=3)  # the claim is stale now
        report = await restarted.server.app[SERVICES].reminders.tick()
        await settled(restarted)
    finally:
        await restarted.close()
    assert report.filed == ["COV-2026-001"]
    # The referrer is told again, of the same case; the card goes once; the trail has it once.
    assert _told(connector) == 2
    assert _case_cards(connector) == 1
    [case] = await CaseRepository(store).for_partnership("coventry")
    assert case.reference == "COV-2026-001"
    trail = await CaseRepository(store).audit_trail("COV-2026-001")
    assert [e["what"] for e in trail].count("referral submitted") == 1
    marker = await DraftRepository(store, ttl=timedelta(days=14)).load(USER_KEY, clock.now())
    assert marker is not None
    assert marker[0].filed_reference == "COV-2026-001"


class _Serve:
    """One `review-bot serve` process on the embedded store, in test mode."""

    def __init__(self, data_dir: Path, http: aiohttp.ClientSession) -> None:
        self.data_dir = data_dir
        self.http = http
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, now: datetime) -> None:
        env = {
            **os.environ,
            "REVIEW_BOT_HOST": "127.0.0.1",
            "REVIEW_BOT_PORT": str(self.port),
            "REVIEW_BOT_DATA_DIR": str(self.data_dir),
            "REVIEW_BOT_TEST_MODE": "true",
            "REVIEW_BOT_REMINDERS": "false",
            "MicrosoftAppId": "",
        }
        env.pop("REVIEW_BOT_DATABASE_URL", None)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            "serve",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        # A bounded wait for the child to come up (not a timing assertion); fails if it exits.
        for _ in range(300):
            if self.process.returncode is not None:
                raise AssertionError("the bot process exited during start-up")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.http.get(
                    f"{self.url}/readyz", timeout=aiohttp.ClientTimeout(total=1)
                ) as r:
                    if r.status == 200:
                        break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the bot process did not become ready")
        await self.call("/_test/clock", {"now": now.isoformat()})

    async def call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        async with self.http.post(f"{self.url}{path}", json=body or {}) as response:
            assert response.status == 200, await response.text()
            found: dict[str, Any] = await response.json()
            return found

    async def post(self, body: dict[str, Any]) -> int:
        async with self.http.post(f"{self.url}/api/messages", json=body) as response:
            return response.status

    async def kill(self) -> None:
        """kill -9: no shutdown, no last writes."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()


async def test_killed_while_the_case_card_goes_out_it_is_never_posted_twice(
    tmp_path: Path, connector: FakeConnector
) -> None:
    url = connector.url
    http = aiohttp.ClientSession()
    first = _Serve(tmp_path / "data", http)
    second = _Serve(tmp_path / "data", http)
    try:
        await first.start(START)
        for body in _steps(url):
            assert await first.post(body) in (200, 201)
        # The acknowledgement goes out and the turn answers; the case card's post is held,
        # and while it is held the process is killed.
        connector.script = ["ok", "hold"]
        assert await first.post(_submit(url)) == 201
        await connector.holding.wait()
        await first.kill()
        assert _told(connector) == 1

        await second.start(START + timedelta(minutes=11))
        # The card's post had started: it may have landed, so it is never posted again.
        report = await second.call("/_test/tick")
        await second.call("/_test/settled")
        assert "post|COV-2026-001" not in report["sent"]
        await second.stop()
    finally:
        connector.proceed.set()
        await first.stop()
        await second.stop()
        await http.close()

    # As the bot opened it (encrypted at rest, with the development key in the data directory).
    store = await open_store(
        Settings(data_dir=tmp_path / "data", partnerships=EXAMPLE_PARTNERSHIPS)
    )
    try:
        [case] = await CaseRepository(store).for_partnership("coventry")
        record = await DeliveryLog(store).get("post|COV-2026-001")
        marker = await DraftRepository(store, ttl=timedelta(days=14)).load(USER_KEY, START)
        trail = await CaseRepository(store).audit_trail("COV-2026-001")
    finally:
        await store.close()
    assert case.reference == "COV-2026-001"
    assert record is not None
    assert record.state is DeliveryState.UNCERTAIN  # listed for a lead to check, not resent
    assert marker is not None
    assert marker[0].filed_reference == "COV-2026-001"
    assert [e["what"] for e in trail].count("referral submitted") == 1
    assert _told(connector) == 1  # the referrer was told once, of their own case
    assert _case_cards(connector) <= 1  # the held post itself may land when let go
