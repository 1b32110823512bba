"""Telemetry to a loopback fake of Application Insights: request spans, logs and a duration
metric carry ids only; an endpoint that does not answer never holds a turn; unset, nothing is
exported and the OpenTelemetry packages are not even imported.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import TELEMETRY, create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.collector import FakeCollector, connection_string
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen

Client = TestClient[Any, Any]
# What a practitioner might type: a child's name and details. None of it may leave the bot.
CHILD = "Zebedee Quartermaine"
TYPED = f"I need to refer {CHILD}, aged 4, who was found injured at home"


@pytest.fixture
async def collector() -> AsyncIterator[tuple[FakeCollector, str]]:
    fake = FakeCollector()
    server = TestServer(fake.app)
    await server.start_server()
    yield fake, str(server.make_url("/"))
    fake.release.set()
    await server.close()


@pytest.fixture
async def monitored(
    tmp_path: Path,
    collector: tuple[FakeCollector, str],
    store: TinyDBStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Client]:
    caplog.set_level(logging.INFO)  # the app's INFO lines, as `serve` configures them
    _, url = collector
    settings = Settings(
        data_dir=tmp_path / "data",
        partnerships=EXAMPLE_PARTNERSHIPS,
        reminders_enabled=False,
        appinsights_connection_string=connection_string(url),
    )
    client: Client = TestClient(
        TestServer(create_app(settings, store=store, clock=clock, screen=shared_screen()))
    )
    await client.start_server()
    yield client
    await client.close()


async def _post(client: Client, body: dict[str, Any]) -> int:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    return response.status


async def _flush(client: Client) -> None:
    # Off the loop: the exporter posts to the fake collector, which answers on this loop.
    await asyncio.to_thread(client.app[TELEMETRY].flush)


async def test_requests_logs_and_durations_are_exported_with_ids_only(
    monitored: Client, collector: tuple[FakeCollector, str], connector: FakeConnector
) -> None:
    fake, _ = collector
    user = {**activities.USER, "name": "Imogen Practitioner-Smith"}
    assert await _post(monitored, activities.message(connector.url, TYPED, **{"from": user})) in (
        200,
        201,
    )
    assert connector.sent, "the bot did not answer"
    assert (await monitored.get("/readyz")).status == 200
    assert (await monitored.get("/no/such/page")).status == 404
    await _flush(monitored)

    requests = fake.of_type("RequestData")
    names = sorted(r["data"]["baseData"]["name"] for r in requests)
    assert names == ["GET (unmatched)", "GET /readyz", "POST /api/messages"]
    message_request = next(r for r in requests if r["data"]["baseData"]["name"].startswith("POST"))
    assert message_request["data"]["baseData"]["responseCode"] in ("200", "201")
    properties = message_request["data"]["baseData"].get("properties", {})
    assert len(properties["review_bot.request_id"]) == 16
    # The request's log lines are exported in its trace (App Insights' operation id).
    operation = message_request["tags"]["ai.operation.id"]
    logs = [m for m in fake.of_type("MessageData") if m["tags"].get("ai.operation.id") == operation]
    assert any(re.search(r'type "?message"?$', m["data"]["baseData"]["message"]) for m in logs)
    metrics = [m["data"]["baseData"]["metrics"][0]["name"] for m in fake.of_type("MetricData")]
    assert "http.server.request.duration" in metrics

    # Nothing a person typed or is called leaves the bot: not the child, not the practitioner.
    everything = fake.text
    for secret in (CHILD, "found injured", user["name"], "Imogen", "Practitioner-Smith"):
        assert secret not in everything
    # A path that matched no route is not in any span (bot/http.py's own log line of the
    # refused request still names it, and is exported as that line is written).
    assert "/no/such" not in json.dumps(requests)


async def test_an_endpoint_that_never_answers_holds_no_turn(
    monitored: Client, collector: tuple[FakeCollector, str], connector: FakeConnector
) -> None:
    fake, _ = collector
    fake.hang = True
    assert await _post(monitored, activities.message(connector.url, "help")) in (200, 201)
    # An export is under way, and its answer never comes...
    flushing = asyncio.create_task(_flush(monitored))
    await asyncio.wait_for(fake.arrived.wait(), timeout=30)
    answered = len(connector.sent)
    # ... while the next turns are answered as usual.
    for text in ("help", "status"):
        assert await _post(monitored, activities.message(connector.url, text)) in (200, 201)
    assert len(connector.sent) > answered
    assert not flushing.done()
    fake.release.set()
    await flushing


def test_without_a_connection_string_nothing_is_exported_or_even_imported(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", partnerships=EXAMPLE_PARTNERSHIPS)
    app = create_app(settings)
    assert TELEMETRY not in app
    assert len(app.middlewares) == 1  # our error middleware alone
    # A fresh interpreter: building the app imports no OpenTelemetry or Azure Monitor module.
    probe = (
        "import sys; from pathlib import Path; from bot.app import create_app;"
        "from bot.settings import Settings;"
        f"create_app(Settings(data_dir=Path({str(tmp_path / 'd')!r})));"
        "print(sorted({m.split('.')[0] for m in sys.modules"
        " if m.startswith(('opentelemetry', 'azure.monitor'))}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
