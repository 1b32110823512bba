"""The tenant allow-list: activities from organisations not served get 403 and leave nothing."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings, SettingsError, load_settings
from storage.base import Collection
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.keys import TEST_KEYS
from tests.support.openid import channel_token
from tests.support.stores import MemoryStore

Client = TestClient[Any, Any]
OTHER = "99999999-aaaa-bbbb-cccc-000000000000"
APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ["REVIEW_BOT_HOST", "REVIEW_BOT_ALLOWED_TENANTS", "MicrosoftAppId"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MicrosoftAppTenantId", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        partnerships=EXAMPLE_PARTNERSHIPS,
        reminders_enabled=False,
        data_keys=TEST_KEYS,  # credentials on in some: the data keys are then required
        **extra,
    )


@pytest.fixture
def memory() -> MemoryStore:
    """A store shared between replicas (so a turn records the activity as seen)."""
    return MemoryStore()


@pytest.fixture
async def allow_listed(
    tmp_path: Path, memory: MemoryStore, clock: FakeClock
) -> AsyncIterator[Client]:
    """The app serving tenant-1 only (and, spelt in capitals, a second tenant)."""
    settings = _settings(tmp_path, allowed_tenants=f" {activities.TENANT} , ABCDEF-0001")
    app = create_app(settings, store=memory, clock=clock, screen=shared_screen())
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


def _stored(store: MemoryStore) -> list[tuple[str, str]]:
    """What activities stored (the child index's start-up marker is the app's own)."""
    return [key for key in store._docs if key[0] != Collection.CASE_INDEX]


def _from(body: dict[str, Any], tenant: str | None, conversation_tenant: str | None = None) -> Any:
    if tenant is None:
        body.pop("channelData", None)
    else:
        body.setdefault("channelData", {})["tenant"] = {"id": tenant}
    if conversation_tenant is None:
        body["conversation"].pop("tenantId", None)
    else:
        body["conversation"]["tenantId"] = conversation_tenant
    return body


async def _post(client: Client, body: dict[str, Any], token: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post("/api/messages", data=json.dumps(body), headers=headers)
    return response.status


def _kinds(url: str) -> list[dict[str, Any]]:
    """One of every kind of activity the bot acts on, each of which would store something."""
    return [
        activities.message(url, "help"),
        activities.message(url, "he is not breathing, call an ambulance"),
        activities.card_submit(url, {"action": "start_referral"}),
        activities.action_execute(url, "sin_made", {"reference": "COV-2026-001"}),
        activities.action_execute(
            url, "refresh", {"reference": "COV-2026-001"}, trigger="automatic"
        ),
        activities.installation_add(url),
        activities.personal_install(url),
        activities.team_install(url),
        activities.channel_message(url, "help"),
    ]


@pytest.mark.parametrize("index", range(9))
async def test_another_tenants_activity_is_403_and_leaves_nothing(
    allow_listed: Client,
    connector: FakeConnector,
    memory: MemoryStore,
    caplog: pytest.LogCaptureFixture,
    index: int,
) -> None:
    caplog.set_level(logging.INFO)
    body = _kinds(connector.url)[index]
    status = await _post(allow_listed, _from(body, OTHER, OTHER))
    assert status == 403
    assert _stored(memory) == []  # no conversation record, no state, no SEEN record
    assert connector.sent == []
    [line] = [r.getMessage() for r in caplog.records if OTHER in r.getMessage()]
    assert f'tenant "{OTHER}" is not served' in line
    assert not [r for r in caplog.records if r.name == "bot.http" and "-> 403" in r.getMessage()]


@pytest.mark.parametrize(
    ("data_tenant", "conversation_tenant"),
    [
        (None, None),  # names no tenant: fail closed
        (activities.TENANT, OTHER),  # two that disagree
        (OTHER, activities.TENANT),
        ("", ""),
    ],
)
async def test_an_activity_that_names_no_served_tenant_is_refused(
    allow_listed: Client,
    connector: FakeConnector,
    memory: MemoryStore,
    data_tenant: str | None,
    conversation_tenant: str | None,
) -> None:
    body = _from(activities.message(connector.url, "help"), data_tenant, conversation_tenant)
    assert await _post(allow_listed, body) == 403
    assert _stored(memory) == []


@pytest.mark.parametrize(
    ("data_tenant", "conversation_tenant"),
    [
        (activities.TENANT, activities.TENANT),
        (activities.TENANT, None),  # Teams' own field alone
        (None, activities.TENANT),
        ("abcdef-0001", None),  # tenant ids are matched whatever their case
    ],
)
async def test_a_served_tenant_is_answered_as_before(
    allow_listed: Client,
    connector: FakeConnector,
    data_tenant: str | None,
    conversation_tenant: str | None,
) -> None:
    body = _from(activities.message(connector.url, "help"), data_tenant, conversation_tenant)
    assert await _post(allow_listed, body) == 201
    assert connector.sent[0].cards  # the welcome card


async def test_a_log_forging_tenant_id_is_quoted_on_one_line(
    allow_listed: Client, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    body = _from(activities.message(connector.url, "help"), "evil\nINFO forged line")
    assert await _post(allow_listed, body) == 403
    [line] = [r.getMessage() for r in caplog.records if "evil" in r.getMessage()]
    assert '"evilINFO forged line"' in line
    assert "\n" not in line


async def test_the_apps_own_tenant_is_the_default_with_signed_tokens(
    tmp_path: Path, openid: str, connector: FakeConnector, signing_key: rsa.RSAPrivateKey
) -> None:
    settings = _settings(
        tmp_path,
        app_id=APP_ID,
        app_password="not-used-offline",
        app_type="SingleTenant",
        app_tenant_id=activities.TENANT,
        openid_metadata_url=openid,
    )
    store = MemoryStore()
    client: Client = TestClient(TestServer(create_app(settings, store=store)))
    await client.start_server()
    try:
        token = channel_token(signing_key, APP_ID, connector.url)
        typing = activities.message(connector.url, None)
        typing["type"] = "typing"  # needs no reply, so nothing goes out to a tenant
        # Authentication first: an unsigned activity is 401, whichever tenant it names.
        assert await _post(client, _from(copy.deepcopy(typing), OTHER)) == 401
        assert await _post(client, _from(copy.deepcopy(typing), OTHER), token) == 403
        assert _stored(store) == []
        assert await _post(client, typing, token) == 201
        assert _stored(store) != []  # the conversation is recorded for the tenant served
    finally:
        await client.close()


def test_settings_default_to_the_apps_own_tenant() -> None:
    settings = load_settings(
        data_keys=TEST_KEYS,
        app_id=APP_ID,
        app_password="x",
        app_tenant_id="72F988BF-86F1-41AF-91AB-2D7CD011DB47",
    )
    assert settings.served_tenants == frozenset({"72f988bf-86f1-41af-91ab-2d7cd011db47"})


def test_a_listed_tenant_replaces_the_default() -> None:
    settings = load_settings(
        app_id=APP_ID,
        app_password="x",
        app_tenant_id="own",
        allowed_tenants="a-1,B-2",
        data_keys=TEST_KEYS,
    )
    assert settings.served_tenants == frozenset({"a-1", "b-2"})


def test_without_authentication_or_a_tenant_every_tenant_is_served() -> None:
    assert load_settings().served_tenants is None


def test_multitenant_credentials_without_a_tenant_refuse_to_start_off_loopback() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(
            host="0.0.0.0",
            app_id=APP_ID,
            app_password="x",
            app_type="MultiTenant",
            data_keys=TEST_KEYS,
        )
    [problem] = info.value.problems
    assert problem.startswith("REVIEW_BOT_ALLOWED_TENANTS: required")
    listed = load_settings(
        host="0.0.0.0",
        app_id=APP_ID,
        app_password="x",
        app_type="MultiTenant",
        allowed_tenants="tenant-1",
        data_keys=TEST_KEYS,
    )
    assert listed.served_tenants == frozenset({"tenant-1"})


def test_multitenant_credentials_on_loopback_serve_every_tenant_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, app_id=APP_ID, app_password="x", app_type="MultiTenant")
    assert settings.served_tenants is None
    create_app(settings, store=MemoryStore())
    assert any("every tenant is served" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("value", ["contoso.onmicrosoft.com", "a b", "tenant;drop"])
def test_a_domain_or_junk_is_no_tenant_id(value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(allowed_tenants=value)
    assert info.value.problems[0].startswith("REVIEW_BOT_ALLOWED_TENANTS:")
