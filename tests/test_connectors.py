"""Connector clients kept between turns (`bot/connectors.py`) send what the stock SDK sends.

Each comparison runs the same activities through the product twice over HTTP, once on the
SDK's own authentication (a new connector client and new credentials every turn) and once on
ours, against the same fake connector, and compares every request it received: method, path,
headers (the bearer token among them) and body, failed attempts and transport retries too.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import BotFrameworkAuthentication, MicrosoftAppCredentials
from cryptography.hazmat.primitives.asymmetric import rsa
from msrest.exceptions import ClientRequestError, HttpOperationError
from msrest.universal_http.async_requests import AsyncRequestsHTTPSender
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bot.app import adapter_config, create_app
from bot.connectors import (
    AioRequestsDriver,
    BoundedCache,
    CachedConnectors,
    ConnectorHttp,
    cached_authentication,
)
from bot.notifier import _never_sent
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.credentials import FakeTokenIssuer
from tests.support.fakes import FakeClock, FakeTime, shared_screen
from tests.support.keys import TEST_KEYS
from tests.support.openid import channel_token
from tests.support.referral import STEPS
from tests.support.runners import settled

APP_ID = "11111111-2222-3333-4444-555555555555"
Client = TestClient[Any, Any]
Request = tuple[str, str, dict[str, str], Any]


def _settings(tmp_path: Path, name: str, openid: str | None = None) -> Settings:
    secured = {
        "app_id": APP_ID,
        "app_password": "not-used-offline",
        "app_type": "MultiTenant",
        "data_keys": TEST_KEYS,  # credentials on: the data keys are required
    }
    return Settings(
        data_dir=tmp_path / name,
        partnerships=EXAMPLE_PARTNERSHIPS,
        reminders_enabled=False,
        **({**secured, "openid_metadata_url": openid} if openid else {}),
    )


def _journey(url: str) -> list[dict[str, Any]]:
    """A team install, a greeting, help, and a whole referral to its channel post."""
    return [
        activities.team_install(url, team_id="team-id"),
        activities.personal_install(url),
        activities.message(url, "help"),
        activities.card_submit(url, {"action": "start_referral"}),
        *(
            activities.card_submit(url, {"action": "referral", "step": step, **inputs})
            for step, inputs in STEPS
        ),
        activities.message(url, "What happens next?"),
    ]


async def _replay(
    app: web.Application,
    connector: FakeConnector,
    journey: list[dict[str, Any]],
    *,
    token: str | None = None,
    between: Any = None,
) -> list[Request]:
    """Post the journey to the app; every request the connector received meanwhile."""
    connector.requests.clear()
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    try:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        for n, body in enumerate(journey):
            if between is not None:
                between(n)
            response = await client.post("/api/messages", data=json.dumps(body), headers=headers)
            assert response.status == 201, await response.text()
            # A filing's case card goes out after its turn answered: before the next turn, so
            # both runs see the same order.
            await settled(client)
    finally:
        await client.close()
    return list(connector.requests)


def _stock(settings: Settings, credentials: Any = None) -> BotFrameworkAuthentication:
    # The SDK as it ships: a new connector client and new credentials on every turn.
    return ConfigurationBotFrameworkAuthentication(
        adapter_config(settings), credentials_factory=credentials
    )


def _app(settings: Settings, **kwargs: Any) -> web.Application:
    clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    return create_app(
        settings,
        store=TinyDBStore(settings.data_dir),
        clock=clock,
        screen=shared_screen(),
        **kwargs,
    )


async def test_without_credentials_the_product_sends_what_the_stock_sdk_sends(
    tmp_path: Path, connector: FakeConnector
) -> None:
    journey = _journey(connector.url)
    stock_settings = _settings(tmp_path, "stock")
    stock = await _replay(
        _app(stock_settings, connector=_stock(stock_settings)), connector, journey
    )
    ours = await _replay(_app(_settings(tmp_path, "ours")), connector, journey)

    assert ours == stock
    posts = [r for r in ours if r[0] == "POST"]
    assert len(posts) >= len(journey)  # every turn answered, and the case card posted
    assert any(r[1] == "/v3/conversations/team-id/activities" for r in posts)
    assert all("Authorization" not in r[2] for r in ours)


async def test_with_credentials_each_request_carries_the_current_bearer_token(
    tmp_path: Path, connector: FakeConnector, openid: str, signing_key: rsa.RSAPrivateKey
) -> None:
    journey = _journey(connector.url)
    token = channel_token(signing_key, APP_ID, connector.url)
    refresh_at = 6  # the token expires mid-referral and the next one is used from then on
    stock_issuer, our_issuer = FakeTokenIssuer(APP_ID), FakeTokenIssuer(APP_ID)
    stock_settings = _settings(tmp_path, "stock", openid)
    stock = await _replay(
        _app(stock_settings, connector=_stock(stock_settings, stock_issuer)),
        connector,
        journey,
        token=token,
        between=lambda n: stock_issuer.refresh() if n == refresh_at else None,
    )
    ours = await _replay(
        _app(_settings(tmp_path, "ours", openid), credentials=our_issuer),
        connector,
        journey,
        token=token,
        between=lambda n: our_issuer.refresh() if n == refresh_at else None,
    )

    assert ours == stock
    bearers = [r[2].get("Authorization") for r in ours]
    assert set(bearers) == {"Bearer token-1", "Bearer token-2"}
    first_refreshed = bearers.index("Bearer token-2")
    assert set(bearers[first_refreshed:]) == {"Bearer token-2"}
    # The SDK built credentials for every turn; ours were built once and asked each time.
    assert len(stock_issuer.built) > len(journey)
    assert our_issuer.built == [(APP_ID, None)]


def _reference(url: str) -> ConversationReference:
    return ConversationReference(
        channel_id="msteams",
        service_url=url,
        bot=ChannelAccount(id="28:bot-id"),
        conversation=ConversationAccount(id="team-id", conversation_type="channel"),
    )


async def _proactive(authentication: BotFrameworkAuthentication, connector: FakeConnector) -> Any:
    """Send, fail and update through continue_conversation; what each call came to."""
    adapter = CloudAdapter(authentication)
    outcomes: list[str] = []

    async def callback(context: TurnContext) -> None:
        context.activity.id = None
        for answer in ("ok", "500", "429:7", "drop"):
            connector.script = [answer]
            try:
                sent = await context.send_activity(Activity(type="message", text=answer))
                outcomes.append("sent" if sent.id else "sent without an id")
            except HttpOperationError as exc:
                outcomes.append(f"HTTP {exc.response.status_code}")
            except ClientRequestError as exc:
                # What the Notifier reads to decide whether a post may be sent again.
                outcomes.append(f"failed, never sent: {_never_sent(exc.inner_exception)}")
        update = Activity(type="message", text="updated", id="activity-1")
        update.conversation = context.activity.conversation
        # Each once: the SDK's transport tries the PUT again (after Retry-After, on 429).
        for answer in ("500", "429:0", "drop", "307"):
            connector.put_script = [answer]
            await context.update_activity(update)
            outcomes.append(f"updated after {answer}")

    connector.requests.clear()
    try:
        await adapter.continue_conversation(_reference(connector.url), callback, APP_ID)
    finally:
        if isinstance(authentication, CachedConnectors):
            await authentication.close()
    return outcomes, [(m, path, headers, body) for m, path, headers, body in connector.requests]


async def test_failed_sends_and_transport_retries_are_the_stock_sdks(
    connector: FakeConnector, tmp_path: Path
) -> None:
    config = adapter_config(_settings(tmp_path, "x", "http://127.0.0.1:9/openid"))
    stock = await _proactive(
        ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=FakeTokenIssuer(APP_ID)
        ),
        connector,
    )
    ours = await _proactive(
        cached_authentication(config, credentials=FakeTokenIssuer(APP_ID)), connector
    )

    assert ours == stock
    outcomes, requests = ours
    assert outcomes == [
        "sent",
        "HTTP 500",
        "HTTP 429",
        "failed, never sent: False",
        "updated after 500",
        "updated after 429:0",
        "updated after drop",
        "updated after 307",
    ]
    # POSTs are never sent twice; each PUT is, by the transport (the last to where it moved).
    assert [r[0] for r in requests] == ["POST"] * 4 + ["PUT"] * 8
    assert requests[-1][1].endswith("/activities/activity-1?moved=1")
    assert all(r[2]["Authorization"] == "Bearer token-1" for r in requests)


async def test_a_proactive_send_as_another_app_is_refused_as_before(
    tmp_path: Path, connector: FakeConnector
) -> None:
    config = adapter_config(_settings(tmp_path, "x", "http://127.0.0.1:9/openid"))

    async def callback(context: TurnContext) -> None:
        await context.send_activity("never sent")

    for authentication in (
        ConfigurationBotFrameworkAuthentication(config),
        cached_authentication(config),
    ):
        adapter = CloudAdapter(authentication)
        with pytest.raises(Exception, match="Invalid app_id"):
            await adapter.continue_conversation(_reference(connector.url), callback, "another-app")
    assert connector.requests == []


async def test_replies_go_to_the_service_url_each_activity_came_from(
    bot: Client, connector: FakeConnector
) -> None:
    other = FakeConnector()
    server = TestServer(other.app)
    await server.start_server()
    other.url = str(server.make_url("/")).rstrip("/") + "/"
    try:
        for _ in range(3):
            for fake in (connector, other):
                body = activities.message(fake.url, "help")
                response = await bot.post(
                    "/api/messages",
                    data=json.dumps(body),
                    headers={"Content-Type": "application/json"},
                )
                assert response.status == 201
                assert fake.sent[-1].activity_id == body["id"]
                assert fake.sent[-1].body["serviceUrl"] == fake.url
        assert len(connector.sent) == len(other.sent) == 3
    finally:
        await server.close()


async def test_a_cookie_the_connector_sets_is_never_sent_back(
    bot: Client, connector: FakeConnector
) -> None:
    connector.set_cookie = "affinity=conversation-a"
    for _ in range(2):
        response = await bot.post(
            "/api/messages",
            data=json.dumps(activities.message(connector.url, "help")),
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 201
    assert len(connector.requests) == 2
    assert all("Cookie" not in headers for _, _, headers, _ in connector.requests)


def test_the_caches_keep_only_the_most_recently_used() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("emea", 1)
    cache.put("uk", 2)
    assert cache.get("emea") == 1  # now the most recently used
    cache.put("amer", 3)
    assert len(cache) == 2
    assert cache.get("uk") is None
    assert (cache.get("emea"), cache.get("amer")) == (1, 3)
    with pytest.raises(ValueError, match="at least one"):
        BoundedCache[str, int](0)


async def test_beyond_the_bound_a_service_url_gets_a_new_client_and_still_its_replies(
    connector: FakeConnector,
) -> None:
    authentication = CachedConnectors(
        ConfigurationBotFrameworkAuthentication(
            adapter_config(Settings(partnerships=EXAMPLE_PARTNERSHIPS))
        ),
        max_clients=1,
    )
    adapter = CloudAdapter(authentication)
    urls = [connector.url, connector.url.replace("127.0.0.1", "localhost")]

    async def callback(context: TurnContext) -> None:
        context.activity.id = None
        await context.send_activity("posted")

    for url in (*urls, *urls):
        await adapter.continue_conversation(_reference(url), callback, "")
    await authentication.close()
    hosts = [headers["Host"].split(":")[0] for _, _, headers, _ in connector.requests]
    assert hosts == ["127.0.0.1", "localhost", "127.0.0.1", "localhost"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens here once the probe is closed


async def test_a_refused_connection_is_tried_again_as_urllib3_would_and_never_sent() -> None:
    fake = FakeTime()
    authentication = CachedConnectors(
        ConfigurationBotFrameworkAuthentication(
            adapter_config(Settings(partnerships=EXAMPLE_PARTNERSHIPS))
        ),
        sleep=fake.sleep,
    )
    failures: list[ClientRequestError] = []

    async def callback(context: TurnContext) -> None:
        context.activity.id = None
        try:
            await context.send_activity("posted")
        except ClientRequestError as exc:
            failures.append(exc)

    url = f"http://127.0.0.1:{_closed_port()}/"
    await CloudAdapter(authentication).continue_conversation(_reference(url), callback, "")
    await authentication.close()

    [failure] = failures
    inner = failure.inner_exception
    assert isinstance(inner, requests.ConnectionError)
    assert isinstance(inner.args[0], MaxRetryError)
    assert isinstance(inner.args[0].reason, NewConnectionError)
    assert _never_sent(inner)  # so the Notifier may send it again
    # msrest's policy: 3 connection retries, backing off 0, 1.6 and 3.2 seconds (0 is no wait).
    assert fake.slept == [1.6, 3.2]


async def test_a_retry_after_on_an_update_is_waited_out_on_the_event_loop(
    connector: FakeConnector,
) -> None:
    fake = FakeTime()
    authentication = CachedConnectors(
        ConfigurationBotFrameworkAuthentication(
            adapter_config(Settings(partnerships=EXAMPLE_PARTNERSHIPS))
        ),
        sleep=fake.sleep,
    )

    async def callback(context: TurnContext) -> None:
        update = Activity(type="message", text="updated", id="activity-1")
        update.conversation = context.activity.conversation
        connector.put_script = ["429:3"]
        await context.update_activity(update)

    await CloudAdapter(authentication).continue_conversation(
        _reference(connector.url), callback, ""
    )
    await authentication.close()
    assert [r[0] for r in connector.requests] == ["PUT", "PUT"]
    assert fake.slept == [3.0]


class _Colour(StrEnum):
    GOOD = "good"


async def test_card_content_that_is_not_plain_json_is_sent_as_msrest_sends_it(
    connector: FakeConnector,
) -> None:
    content = {
        "type": "AdaptiveCard",
        "body": [{"type": "TextBlock", "text": "Å ✓", "wrap": True, "size": 1.5, "n": None}],
        "odd": [("a", 1), _Colour.GOOD, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), 10**20],
    }

    async def callback(context: TurnContext) -> None:
        context.activity.id = None
        card = Attachment(content_type="application/vnd.microsoft.card.adaptive", content=content)
        await context.send_activity(Activity(type="message", attachments=[card]))

    bodies = []
    config = adapter_config(Settings(partnerships=EXAMPLE_PARTNERSHIPS))
    for authentication in (
        ConfigurationBotFrameworkAuthentication(config),
        cached_authentication(config),
    ):
        connector.requests.clear()
        await CloudAdapter(authentication).continue_conversation(
            _reference(connector.url), callback, ""
        )
        if isinstance(authentication, CachedConnectors):
            await authentication.close()
        [(_, _, _, body)] = connector.requests
        bodies.append(body)
    stock, ours = bodies
    assert ours == stock
    assert ours["attachments"][0]["content"]["odd"][0] == "('a', 1)"  # msrest's own rule


def test_the_environments_proxies_and_ca_bundle_are_requests_own_read_once_per_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "smba.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    config = ConnectorClient(MicrosoftAppCredentials("", ""), "https://smba.example/").config
    driver = AioRequestsDriver(config, ConnectorHttp())
    session = AsyncRequestsHTTPSender(config).session
    options: dict[str, Any] = {"proxies": {}, "stream": False, "verify": True, "cert": None}
    for url in ("https://smba.example/v3/conversations/a/activities", "https://other.example/x"):
        expected = session.merge_environment_settings(url, {}, False, True, None)
        assert driver._environment(session, url, options) == expected
    proxied = driver._environment(session, "https://other.example/y", options)
    assert proxied["proxies"]["https"] == "http://proxy.example:3128"
    assert proxied["verify"] == "/etc/ssl/bundle.pem"
    # Read once per host, as the settings are read once: a change is seen after a restart.
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.example:3128")
    again = driver._environment(session, "https://other.example/z", options)
    assert again["proxies"]["https"] == "http://proxy.example:3128"
