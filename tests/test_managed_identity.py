"""A user-assigned managed identity (the Toolkit's `UserAssignedMsi`): the bot starts and replies
with the identity's token, Graph group checks ask for theirs and still fail closed, and
`review-bot package` needs only the app id. Tokens come from a loopback fake of App Service's
identity endpoint; Graph and the Bot Connector are loopback fakes too.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import create_app, graph_groups, open_store
from bot.graph import GraphGroups
from bot.identity import (
    GRAPH_RESOURCE,
    POSTGRES_RESOURCE,
    IdentityTokenError,
    ManagedIdentityTokens,
    postgres_password,
)
from bot.settings import EXAMPLE_PARTNERSHIPS, SettingsError, load_settings
from cli.main import run as cli
from safeguarding.partnerships import load_partnerships
from storage.base import StoreError
from storage.postgres_store import PostgresUnavailableError
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock
from tests.support.identity import FakeIdentityEndpoint, identity_endpoint, token_for
from tests.support.keys import TEST_KEYS
from tests.support.openid import channel_token
from tests.test_leads_graph import GROUP, MEMBER, FakeGraph
from usecases.errors import LeadCheckUnavailableError
from usecases.leads import LeadDirectory
from usecases.people import Person

# Each test its own identity: msal's token caches are per client, some of them per process.
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
Client = TestClient[Any, Any]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [
        "MicrosoftAppId",
        "MicrosoftAppPassword",
        "MicrosoftAppType",
        "MicrosoftAppTenantId",
        "REVIEW_BOT_PUBLIC_HOST",
        "REVIEW_BOT_IDENTITY_CLIENT_ID",
        "REVIEW_BOT_DATABASE_AUTH",
        "REVIEW_BOT_DATABASE_URL",
    ]:
        monkeypatch.delenv(name, raising=False)
    # Credentials are on in these tests: the data keys are then required (a Key Vault
    # reference in Azure).
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", TEST_KEYS)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _msi_environment(monkeypatch: pytest.MonkeyPatch, client_id: str, spelling: str) -> None:
    # What the Toolkit's Bicep (and ours) put in the app's settings: no password anywhere.
    monkeypatch.setenv("MicrosoftAppId", client_id)
    monkeypatch.setenv("MicrosoftAppType", spelling)
    monkeypatch.setenv("MicrosoftAppTenantId", TENANT)


@pytest.mark.parametrize(
    ("spelling", "read_as"),
    [
        ("UserAssignedMsi", "UserAssignedMSI"),
        ("userassignedmsi", "UserAssignedMSI"),
        (" USERASSIGNEDMSI ", "UserAssignedMSI"),
        ("singletenant", "SingleTenant"),
        ("multiTenant", "MultiTenant"),
    ],
)
def test_the_app_type_is_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch, spelling: str, read_as: str
) -> None:
    monkeypatch.setenv("MicrosoftAppType", spelling)
    assert load_settings().app_type == read_as


def test_user_assigned_msi_needs_no_password_and_names_its_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_id = "10000000-0000-0000-0000-000000000001"
    _msi_environment(monkeypatch, client_id, "UserAssignedMsi")
    settings = load_settings(host="0.0.0.0")
    assert settings.authentication_enabled
    assert settings.managed_identity_client_id == client_id
    # A SingleTenant bot has no identity unless one is named.
    monkeypatch.setenv("MicrosoftAppType", "SingleTenant")
    monkeypatch.setenv("MicrosoftAppPassword", "secret")
    assert load_settings().managed_identity_client_id is None
    monkeypatch.setenv("REVIEW_BOT_IDENTITY_CLIENT_ID", "10000000-0000-0000-0000-0000000000ff")
    assert load_settings().managed_identity_client_id == "10000000-0000-0000-0000-0000000000ff"


def test_entra_database_auth_needs_an_identity_and_a_url_without_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEW_BOT_DATABASE_AUTH", "entra")
    monkeypatch.setenv("REVIEW_BOT_DATABASE_URL", "postgresql://bot:hunter2@db.example/reviews")
    with pytest.raises(SettingsError) as info:
        load_settings()
    problems = "\n".join(info.value.problems)
    assert "REVIEW_BOT_IDENTITY_CLIENT_ID" in problems
    assert "holds a password" in problems
    assert "hunter2" not in problems


# --- the bot itself, over HTTP, as UserAssignedMsi -----------------------------------------


@pytest.fixture
def msi(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdentityEndpoint]:
    with identity_endpoint(monkeypatch, "10000000-0000-0000-0000-000000000002") as fake:
        yield fake


async def test_user_assigned_msi_starts_the_bot_and_replies_with_the_identitys_token(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    msi: FakeIdentityEndpoint,
    openid: str,
    signing_key: rsa.RSAPrivateKey,
    connector: FakeConnector,
) -> None:
    (client_id,) = msi.client_ids
    _msi_environment(monkeypatch, client_id, "UserAssignedMsi")
    monkeypatch.setenv("REVIEW_BOT_OPENID_METADATA_URL", openid)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REVIEW_BOT_REMINDERS", "false")
    client: Client = TestClient(TestServer(create_app(load_settings())))
    await client.start_server()
    try:
        ready = await client.get("/readyz")
        assert ready.status == 200
        body = activities.message(connector.url, "help")
        # From the bot's own tenant: the one served when no allow-list is given.
        body["channelData"]["tenant"]["id"] = TENANT
        body["conversation"]["tenantId"] = TENANT
        token = channel_token(signing_key, client_id, connector.url)
        response = await client.post(
            "/api/messages",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        assert response.status in (200, 201)
        # An unsigned request is still refused: the identity turned authentication on.
        unsigned = await client.post(
            "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert unsigned.status == 401
    finally:
        await client.close()
    assert connector.sent, "the bot did not reply"
    bearers = {r[2].get("Authorization") for r in connector.requests}
    ((resource, asked_as, _),) = set(msi.asked)
    assert asked_as == client_id
    assert "api.botframework.com" in resource
    assert bearers == {f"Bearer {token_for(client_id, resource)}"}


# --- Graph under the managed identity ---------------------------------------------------------


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


def _partnerships_with_group(tmp_path: Path) -> Path:
    text = EXAMPLE_PARTNERSHIPS.read_text().replace(
        'faq_file = "faq/coventry.toml"\n', f'leads_group_id = "{GROUP}"\n'
    )
    path = tmp_path / "partnerships.toml"
    path.write_text(text)
    return path


async def test_graph_group_checks_use_the_managed_identity_and_fail_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, graph: tuple[FakeGraph, str]
) -> None:
    fake_graph, url = graph
    client_id = "10000000-0000-0000-0000-000000000003"
    _msi_environment(monkeypatch, client_id, "UserAssignedMsi")
    monkeypatch.setenv("REVIEW_BOT_GRAPH_URL", url)
    settings = load_settings(partnerships=_partnerships_with_group(tmp_path))
    partnerships = load_partnerships(settings.partnerships)
    coventry = partnerships.partnerships["coventry"]
    member = Person(teams_id="29:m", aad_object_id=MEMBER, upn=None, name="Member")
    clock = FakeClock(datetime(2026, 11, 24, 10, tzinfo=UTC))
    with identity_endpoint(monkeypatch, client_id) as endpoint:
        groups = graph_groups(settings, partnerships, clock)
        assert isinstance(groups, GraphGroups)  # not turned off for want of a secret
        assert await LeadDirectory(groups=groups).lead_for(coventry, member) is not None
        assert fake_graph.tokens == [f"Bearer {token_for(client_id, GRAPH_RESOURCE)}"]
        assert endpoint.asked == [(GRAPH_RESOURCE, client_id, endpoint.asked[0][2])]
        # The identity endpoint refuses: the check fails closed, it never says "not a lead".
        endpoint.status = 500
        refused = graph_groups(settings, partnerships, clock)
        with pytest.raises(LeadCheckUnavailableError):
            await LeadDirectory(groups=refused).lead_for(coventry, member)
    # No identity endpoint at all (not on Azure): closed too, and Graph was never asked.
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")
    unreachable = graph_groups(settings, partnerships, clock)
    with pytest.raises(LeadCheckUnavailableError):
        await LeadDirectory(groups=unreachable).lead_for(coventry, member)
    assert len(fake_graph.tokens) == 1


def test_an_unknown_identity_gets_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    with identity_endpoint(monkeypatch, "10000000-0000-0000-0000-000000000004"):
        tokens = ManagedIdentityTokens("10000000-0000-0000-0000-0000000000aa")
        with pytest.raises(IdentityTokenError) as info:
            tokens.token(GRAPH_RESOURCE)
    assert info.value.resource == GRAPH_RESOURCE


# --- the app package from the app id alone -----------------------------------------------------


def test_package_builds_from_the_app_id_setting_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client_id = "10000000-0000-0000-0000-000000000005"
    # The app type says a tenant is needed, and there is none: packaging does not care.
    monkeypatch.setenv("MicrosoftAppId", client_id)
    monkeypatch.setenv("MicrosoftAppType", "SingleTenant")
    monkeypatch.setenv("REVIEW_BOT_PUBLIC_HOST", "reviewbot.scp.example.org")
    out = tmp_path / "app.zip"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli(["package", "--out", str(out)], stdout=stdout, stderr=stderr)
    assert code == 0, stderr.getvalue()
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == client_id
    assert manifest["id"] == client_id
    assert manifest["validDomains"] == ["reviewbot.scp.example.org"]


def test_package_takes_the_toolkits_teams_app_id(tmp_path: Path) -> None:
    teams_app_id = "20000000-0000-0000-0000-000000000001"
    bot_id = "10000000-0000-0000-0000-000000000006"
    out = tmp_path / "app.zip"
    stderr = io.StringIO()
    code = cli(
        ["package", "--out", str(out), "--app-id", bot_id, "--teams-app-id", teams_app_id],
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert code == 0, stderr.getvalue()
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (teams_app_id, bot_id)
    bad = cli(
        ["package", "--out", str(out), "--teams-app-id", "not-a-guid"],
        stdout=io.StringIO(),
        stderr=(problems := io.StringIO()),
    )
    assert bad == 1
    assert "id: 'not-a-guid' is not a GUID" in problems.getvalue()


# --- PostgreSQL signs in with the identity's Entra token ------------------------------------


async def test_the_postgres_password_is_the_identitys_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_id = "10000000-0000-0000-0000-000000000007"
    with identity_endpoint(monkeypatch, client_id) as endpoint:
        password = postgres_password(ManagedIdentityTokens(client_id), 'database "x" on h:5432')
        assert await password() == token_for(client_id, POSTGRES_RESOURCE)
        assert endpoint.asked[0][:2] == (POSTGRES_RESOURCE, client_id)
        endpoint.status = 503
        refused = postgres_password(ManagedIdentityTokens(client_id), 'database "x" on h:5432')
        with pytest.raises(PostgresUnavailableError) as info:
            await refused()
    assert "no Entra token for the managed identity" in str(info.value)


@pytest.mark.postgres
async def test_every_connection_signs_in_with_the_identitys_token(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    # The loopback server trusts every local connection, so it never checks the password; what
    # is tested is that every connection is opened with the token as its password.
    client_id = "10000000-0000-0000-0000-000000000008"
    _msi_environment(monkeypatch, client_id, "UserAssignedMsi")
    settings = load_settings(
        database_url=postgres_url,
        database_auth="entra",
        database_pool_min=2,
        database_pool_max=2,
    )
    with identity_endpoint(monkeypatch, client_id) as endpoint:
        store = await open_store(settings)
        try:
            assert await store.is_ready()
            # Encrypted at rest: the PostgreSQL store is the wrapper's inner one.
            pool = store.inner._pool  # type: ignore[attr-defined]
            async with pool.connection() as first, pool.connection() as second:
                passwords = {first.info.password, second.info.password}
        finally:
            await store.close()
        assert passwords == {token_for(client_id, POSTGRES_RESOURCE)}
        # msal keeps the token until shortly before it expires: the endpoint was asked once.
        assert [a[:2] for a in endpoint.asked] == [(POSTGRES_RESOURCE, client_id)]
        endpoint.status = 500
        with pytest.raises(StoreError, match="no Entra token for the managed identity"):
            await open_store(settings)
