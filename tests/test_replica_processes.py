"""Two real `review-bot serve` processes on one PostgreSQL database, one killed with SIGKILL.

The fake Bot Connector runs in the test process; each bot runs in test mode (its clock and its
reminder tick are driven over HTTP, the scheduler is off). Skipped only when no PostgreSQL
server answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cards import wording
from storage.cases import CaseRepository
from storage.encrypted import EncryptedStore
from storage.postgres_store import PostgresStore
from tests.support import activities
from tests.support.cases import make_case, make_referral
from tests.support.connector import FakeConnector
from tests.support.keys import TEST_KEYS, keyring
from tests.support.postgres import free_port
from tests.support.referral import STEPS_TO_REVIEW

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class Replica:
    """One bot process and where it listens."""

    process: asyncio.subprocess.Process
    url: str
    http: aiohttp.ClientSession

    async def post(self, body: dict[str, Any]) -> int:
        async with self.http.post(f"{self.url}/api/messages", json=body) as response:
            return response.status

    async def set_clock(self, moment: datetime) -> None:
        async with self.http.post(
            f"{self.url}/_test/clock", json={"now": moment.isoformat()}
        ) as response:
            assert response.status == 200, await response.text()

    async def tick(self) -> dict[str, Any]:
        async with self.http.post(f"{self.url}/_test/tick") as response:
            assert response.status == 200, await response.text()
            report: dict[str, Any] = await response.json()
            return report

    async def kill(self) -> None:
        """kill -9: no shutdown, no last writes."""
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


async def _start(url: str, data_dir: Path, http: aiohttp.ClientSession) -> Replica:
    port = free_port()
    env = {
        **os.environ,
        "REVIEW_BOT_HOST": "127.0.0.1",
        "REVIEW_BOT_PORT": str(port),
        "REVIEW_BOT_DATA_DIR": str(data_dir),
        "REVIEW_BOT_DATABASE_URL": url,
        # Replicas of one deployment share their data keys (each its own dev key would not do).
        "REVIEW_BOT_DATA_KEYS": TEST_KEYS,
        "REVIEW_BOT_TEST_MODE": "true",
        "REVIEW_BOT_REMINDERS": "false",
        "MicrosoftAppId": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    # A bounded wait for the child to come up (not a timing assertion); fails if it exits.
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError("a bot process exited during start-up")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.get(f"{base}/readyz", timeout=aiohttp.ClientTimeout(total=1)) as r:
                if r.status == 200:
                    break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("a bot process did not become ready")
    replica = Replica(process=process, url=base, http=http)
    await replica.set_clock(START)
    return replica


@pytest.fixture
async def replicas(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[Replica, Replica]]:
    """Two bot processes on one database."""
    http = aiohttp.ClientSession()
    started: list[Replica] = []
    try:
        for n in range(2):
            started.append(await _start(postgres_url, tmp_path / f"data-{n}", http))
        yield started[0], started[1]
    finally:
        for replica in started:
            if replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
                await replica.process.wait()
        await http.close()


def _submit(url: str) -> dict[str, Any]:
    return activities.card_submit(url, {"action": "referral", "step": "review", "submit": True})


def _personal(connector: FakeConnector) -> list[str]:
    return [
        json.dumps(s.cards) if s.cards else (s.text or "")
        for s in connector.to("a:personal-29:user-1")
    ]


async def test_a_replica_killed_mid_filing_the_other_finishes_it_and_sends_the_reference(
    replicas: tuple[Replica, Replica], connector: FakeConnector, postgres_url: str
) -> None:
    first, second = replicas
    url = connector.url
    assert await first.post(activities.team_install(url, team_id="team-id")) in (200, 201)
    await second.post(activities.personal_install(url))
    await first.post(activities.card_submit(url, {"action": "start_referral"}))
    for n, (step, inputs) in enumerate(STEPS_TO_REVIEW):
        # Each step reaches whichever process: the state is in the database.
        replica = replicas[n % 2]
        value = {"action": "referral", "step": step, **inputs}
        assert await replica.post(activities.card_submit(url, value)) in (200, 201)

    # Submit reaches the first process; its acknowledgement is slow to go out, and while the
    # case is filed and the referrer not yet told, the process is killed.
    connector.script = ["hold"]
    body = _submit(url)
    turn = asyncio.create_task(first.post(body))
    await connector.holding.wait()
    await first.kill()
    with contextlib.suppress(aiohttp.ClientError):
        await turn

    # Teams retries the same activity at once, on the other process: the killed turn's record
    # is still in flight, so it is dropped, not run twice.
    before = len(_personal(connector))
    assert await second.post(body) in (200, 201)
    assert len(_personal(connector)) == before
    # The referrer presses Submit again: the filing is under way, the reference will follow.
    await second.post(_submit(url))
    assert _personal(connector)[-1] == wording.REFERRAL_BEING_FILED

    # The claim goes stale; the surviving process's tick finishes it and sends the reference.
    await second.set_clock(START + timedelta(minutes=3))
    report = await second.tick()
    assert report["filed"] == ["COV-2026-001"]
    assert "COV-2026-001" in _personal(connector)[-1]
    cards = [c for s in connector.to("team-id") for c in s.cards]
    assert sum("New referral COV-2026-001" in json.dumps(c) for c in cards) == 1

    # Through the replicas' own keys: they refuse a document written in clear beside them.
    store = await EncryptedStore.open(await PostgresStore.open(postgres_url), keyring())
    try:
        [case] = await CaseRepository(store).for_partnership("coventry")
    finally:
        await store.close()
    assert case.reference == "COV-2026-001"
    assert case.submitted_by.user_id == "29:user-1"


async def test_the_same_activity_and_two_ticks_on_two_processes_each_happen_once(
    replicas: tuple[Replica, Replica], connector: FakeConnector, postgres_url: str
) -> None:
    first, second = replicas
    url = connector.url
    await first.post(activities.team_install(url, team_id="team-id"))
    await first.post(activities.personal_install(url))
    connector.sent.clear()
    body = activities.message(url, "refer")
    await asyncio.gather(first.post(body), second.post(body))
    assert len(connector.to("a:personal-29:user-1")) == 1

    # A case with reminders due on Wed 30 Dec 2026 (its SIN is due Mon 4 Jan 2027).
    # Through the replicas' own keys: they refuse a document written in clear beside them.
    store = await EncryptedStore.open(await PostgresStore.open(postgres_url), keyring())
    try:
        case = make_case(
            make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23)),
            submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC),
        )
        await CaseRepository(store).create(case.model_copy(update={"channel_activity_id": "x"}))
    finally:
        await store.close()
    due = datetime(2026, 12, 30, 9, 30, tzinfo=UTC)
    await asyncio.gather(first.set_clock(due), second.set_clock(due))
    connector.sent.clear()
    reports = await asyncio.gather(first.tick(), second.tick())
    sent = [key for report in reports for key in report["sent"]]
    assert sent, "nothing was due"
    assert len(sent) == len(set(sent))  # no reminder posted by both processes
    assert len(connector.to("team-id")) == len(sent)
    again = await asyncio.gather(first.tick(), second.tick())
    assert [key for report in again for key in report["sent"]] == []
