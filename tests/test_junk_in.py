"""Junk in, never a 5xx: thousands of mutated activities, and each failure the fuzzing found.

The real app runs over HTTP against the fake connector. The mutated bodies come from a seeded
mutator (`tests/support/junk.py`): the same seed gives the same bodies, so a failure names the
body that caused it. Before these fixes the same run gave hundreds of 5xx and tracebacks.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

from bot.app import adapter_config, create_app
from bot.connectors import CachedConnectors
from bot.settings import Settings
from cards import wording
from storage.base import Collection, StoreError
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cases import file_case
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, FakeTime, shared_screen
from tests.support.junk import Mutator, special_bodies
from tests.support.stores import ForwardingStore

Client = TestClient[Any, Any]

SEED = 20261124
MUTATED = 2500


class BreakableStore(ForwardingStore):
    """The embedded store, until `broken` is set: then every call fails as a store outage."""

    def __init__(self, inner: TinyDBStore) -> None:
        super().__init__(inner)
        self.broken = False
        self.single_process = True

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        if self.broken:
            raise StoreError("injected outage")
        yield

    async def is_ready(self) -> bool:
        return not self.broken


@pytest.fixture
async def breakable(store: TinyDBStore) -> BreakableStore:
    return BreakableStore(store)


@pytest.fixture
async def app_client(
    settings: Settings, breakable: BreakableStore, clock: FakeClock
) -> AsyncIterator[Client]:
    """The app with connector retries that wait on a fake clock (junk may name a closed port)."""
    authentication = CachedConnectors(
        ConfigurationBotFrameworkAuthentication(adapter_config(settings)), sleep=FakeTime().sleep
    )
    app = create_app(
        settings, store=breakable, clock=clock, connector=authentication, screen=shared_screen()
    )
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


async def _post(client: Client, body: Any) -> tuple[int, Any]:
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    # As bytes, a large body warns that it may hold the loop up (an error in this suite).
    data = io.BytesIO(text.encode() if isinstance(text, str) else text)
    response = await client.post(
        "/api/messages", data=data, headers={"Content-Type": "application/json"}
    )
    text = await response.text()
    return response.status, json.loads(text) if text else None


def _failures(records: list[logging.LogRecord]) -> list[str]:
    """Log records that show a fault: a traceback, or anything at ERROR."""
    return [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in records
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]


def _summaries(connector: FakeConnector) -> list[str | None]:
    return [s.body.get("summary") for s in connector.sent]


def _no_recipient_emergency(url: str) -> dict[str, Any]:
    body = activities.message(url, "he is not breathing, call an ambulance")
    del body["recipient"]
    return body


def _mention_without_mentioned(url: str) -> dict[str, Any]:
    body = activities.channel_message(url, "the baby is not breathing")
    del body["entities"][0]["mentioned"]
    return body


async def test_thousands_of_mutated_activities_give_no_5xx_and_no_traceback(
    app_client: Client,
    connector: FakeConnector,
    store: TinyDBStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A team, a case for clicks to find, and a referral under way for submits to land in.
    await _post(app_client, activities.team_install(connector.url))
    await file_case(store, activities.USER["id"])
    await _post(app_client, activities.card_submit(connector.url, {"action": "start_referral"}))
    caplog.set_level(logging.INFO)
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    mutator = Mutator(connector.url, SEED)
    bodies: list[tuple[str, str | bytes]] = list(special_bodies(connector.url))
    bodies += [(f"mutated #{i}", body) for i, body in enumerate(mutator.bodies(MUTATED))]
    for name, body in bodies:
        status, _ = await _post(app_client, body)
        statuses[status] += 1
        if status >= 500:
            server_errors.append(f"{name}: {status}")
    assert server_errors == [], statuses
    assert _failures(caplog.records) == []
    # The junk reached the turn, not only the 400s at the door.
    assert statuses[200] > 500, statuses
    assert statuses[201] > 200, statuses

    # The bot still answers: help, and a safety text with broken fields gets 999 first.
    connector.sent.clear()
    status, _ = await _post(app_client, activities.message(connector.url, "help"))
    assert status == 201
    assert connector.sent[0].cards
    for broken in (_no_recipient_emergency, _mention_without_mentioned):
        connector.sent.clear()
        status, _ = await _post(app_client, broken(connector.url))
        assert status == 201
        assert _summaries(connector)[0] == wording.EMERGENCY_SUMMARY


@pytest.mark.parametrize("broken", [_no_recipient_emergency, _mention_without_mentioned])
async def test_an_emergency_with_broken_fields_gets_999(
    bot: Client, connector: FakeConnector, broken: Any
) -> None:
    status, _ = await _post(bot, broken(connector.url))
    assert status == 201
    assert _summaries(connector)[0] == wording.EMERGENCY_SUMMARY


async def test_a_mention_without_mentioned_still_reads_the_words(
    bot: Client, connector: FakeConnector
) -> None:
    body = activities.channel_message(connector.url, "help")
    del body["entities"][0]["mentioned"]
    assert (await _post(bot, body))[0] == 201
    assert connector.sent[0].cards, "the mention was not removed, so 'help' was not read"


async def test_a_mention_whose_name_is_a_pattern_is_removed_as_text(
    bot: Client, connector: FakeConnector
) -> None:
    # The SDK escaped the name for its regular expression; the literal removal must match it.
    body = activities.channel_message(connector.url, "help")
    body["text"] = "<at>Bot (test)</at> help"
    body["entities"] = [{"type": "mention", "mentioned": activities.BOT, "text": body["text"][:19]}]
    assert (await _post(bot, body))[0] == 201
    assert connector.sent[0].cards


async def test_when_the_store_fails_a_broken_emergency_still_gets_999_then_the_apology(
    app_client: Client, connector: FakeConnector, breakable: BreakableStore
) -> None:
    breakable.broken = True  # the turn fails before anything is said
    for broken in (_no_recipient_emergency, _mention_without_mentioned):
        connector.sent.clear()
        status, _ = await _post(app_client, broken(connector.url))
        assert status == 201
        assert _summaries(connector)[0] == wording.EMERGENCY_SUMMARY
        assert connector.sent[-1].text == wording.TURN_FAILED


async def test_when_the_connector_refuses_everything_the_turn_still_ends_without_5xx(
    app_client: Client, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    # The signpost, the failure notice: every post answers 500. Nothing is left to say it.
    connector.script = ["500"] * 10
    status, _ = await _post(app_client, _no_recipient_emergency(connector.url))
    assert status == 201
    assert _failures(caplog.records) == []


async def test_50000_deep_json_is_400(bot: Client) -> None:
    status, body = await _post(bot, b"[" * 50_000 + b"]" * 50_000)
    assert status == 400
    assert "nested" in body["error"]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ('"value": {"x": NaN}', "NaN"),
        ('"value": {"x": 1e999}', "too large"),
        ('"value": {"x": "\\ud800"}', "not valid Unicode"),
        ('"value": {"x": "a\\u0000b"}', "NUL"),
        ('"from": {"id": 5}', "from.id"),
        ('"channelData": {"tenant": {"id": []}}', "channelData.tenant.id"),
        ('"entities": [{"type": "mention", "mentioned": "bot"}]', "entities.0.mentioned"),
        ('"conversation": {"id": "a\\nb"}', "conversation.id"),
    ],
)
async def test_values_no_store_or_turn_can_hold_are_400(
    bot: Client, connector: FakeConnector, store: TinyDBStore, raw: str, why: str
) -> None:
    base = json.dumps(activities.message(connector.url, "help"))[:-1]
    status, body = await _post(bot, f"{base}, {raw}}}")
    assert status == 400
    assert why in body["error"]
    assert connector.sent == []
    assert await store.list(Collection.CONVERSATIONS) == []


@pytest.mark.parametrize("reference", ["COV 2026 001", "COV-2026-001\n", "cov-2026-001", 7, ""])
async def test_a_click_whose_reference_is_no_reference_is_told_the_card_is_not_active(
    bot: Client, connector: FakeConnector, reference: Any
) -> None:
    body = activities.action_execute(connector.url, "sin_made", {"reference": reference})
    status, answer = await _post(bot, body)
    assert status == 200
    assert answer == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": wording.CARD_NOT_RECOGNISED,
    }
    assert connector.sent == []  # no apology posted


@pytest.mark.parametrize(
    "name",
    ["task/fetch", "composeExtension/query", "signin/verifyState", "fileConsent/invoke", "x\ny"],
)
async def test_an_invoke_the_bot_does_not_handle_gets_a_bare_200_and_nothing_posted(
    bot: Client, connector: FakeConnector, name: str
) -> None:
    body = activities.message(connector.url, None)
    body.update(type="invoke", name=name, value={"commandId": 5, "queryOptions": "junk"})
    response = await bot.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 200
    assert await response.read() == b""
    assert connector.sent == []


async def test_an_invoke_delivered_twice_is_answered_200_both_times(
    bot: Client, connector: FakeConnector
) -> None:
    body = activities.action_execute(connector.url, "sin_made", {"reference": "COV-2026-001"})
    first, _ = await _post(bot, body)
    again, answer = await _post(bot, body)
    assert (first, again) == (200, 200)
    assert answer is None


async def test_an_action_that_fails_mid_turn_says_so_in_place_with_200(
    app_client: Client,
    connector: FakeConnector,
    store: TinyDBStore,
    breakable: BreakableStore,
) -> None:
    await file_case(store, activities.USER["id"])
    breakable.broken = True
    body = activities.action_execute(connector.url, "sin_made", {"reference": "COV-2026-001"})
    status, answer = await _post(app_client, body)
    assert status == 200  # the adapter's own answer would be 501
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"] == wording.TURN_FAILED
    assert connector.sent == []  # said in place of the card, not posted into the chat


def test_the_mutator_is_seeded() -> None:
    first = list(Mutator("http://127.0.0.1:1/", 7).bodies(50))
    assert first == list(Mutator("http://127.0.0.1:1/", 7).bodies(50))
    assert first != list(Mutator("http://127.0.0.1:1/", 8).bodies(50))


def test_no_mutated_body_points_beyond_loopback() -> None:
    for raw in Mutator("http://127.0.0.1:1/", SEED).bodies(2000):
        try:
            body = json.loads(raw)
        except ValueError:
            continue
        url = body.get("serviceUrl") if isinstance(body, dict) else None
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            assert url.startswith("http://127.0.0.1:"), url
