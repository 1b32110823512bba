"""Authentication on: no token, a garbage token and a forged token are 401; a signed one passes.

Tokens are checked against a loopback fake of the Bot Framework's OpenID metadata, so no test
reaches the internet.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.keys import TEST_KEYS
from tests.support.openid import channel_token

APP_ID = "11111111-2222-3333-4444-555555555555"

Client = TestClient[Any, Any]


@pytest.fixture
async def secured(
    tmp_path: Path, openid: str, connector: FakeConnector
) -> AsyncIterator[tuple[Client, TinyDBStore]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        partnerships=EXAMPLE_PARTNERSHIPS,
        app_id=APP_ID,
        app_password="not-used-offline",
        app_type="MultiTenant",
        openid_metadata_url=openid,
        data_keys=TEST_KEYS,  # credentials on: the data keys are required
    )
    store = TinyDBStore(settings.data_dir)
    client: Client = TestClient(TestServer(create_app(settings, store=store)))
    await client.start_server()
    yield client, store
    await client.close()
    await store.close()


def _token(key: rsa.RSAPrivateKey, service_url: str, **claims: Any) -> str:
    return channel_token(key, APP_ID, service_url, **claims)


async def _post(client: Client, body: dict[str, Any], token: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    response = await client.post("/api/messages", data=json.dumps(body), headers=headers)
    return response.status


def _typing(service_url: str) -> dict[str, Any]:
    # A typing activity needs no reply, so an accepted request sends nothing outbound.
    activity = activities.message(service_url, None)
    activity["type"] = "typing"
    return activity


async def test_missing_token_is_401(
    secured: tuple[Client, TinyDBStore], connector: FakeConnector
) -> None:
    client, store = secured
    assert await _post(client, _typing(connector.url), None) == 401
    assert await store.list(Collection.CONVERSATIONS) == []


async def test_garbage_token_is_401(
    secured: tuple[Client, TinyDBStore], connector: FakeConnector
) -> None:
    client, _ = secured
    assert await _post(client, _typing(connector.url), "Bearer abc.def.ghi") == 401
    assert await _post(client, _typing(connector.url), "Basic dXNlcjpwYXNz") == 401


async def test_token_signed_by_another_key_is_401(
    secured: tuple[Client, TinyDBStore], connector: FakeConnector
) -> None:
    client, store = secured
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = _token(forger, connector.url)
    assert await _post(client, _typing(connector.url), f"Bearer {token}") == 401
    assert await store.list(Collection.CONVERSATIONS) == []


async def test_token_for_another_bot_is_401(
    secured: tuple[Client, TinyDBStore],
    connector: FakeConnector,
    signing_key: rsa.RSAPrivateKey,
) -> None:
    client, _ = secured
    token = _token(signing_key, connector.url, aud="99999999-0000-0000-0000-000000000000")
    assert await _post(client, _typing(connector.url), f"Bearer {token}") == 401


async def test_expired_token_is_401(
    secured: tuple[Client, TinyDBStore],
    connector: FakeConnector,
    signing_key: rsa.RSAPrivateKey,
) -> None:
    client, _ = secured
    token = _token(signing_key, connector.url, exp=int(time.time()) - 3600)
    assert await _post(client, _typing(connector.url), f"Bearer {token}") == 401


async def test_properly_signed_token_is_accepted(
    secured: tuple[Client, TinyDBStore],
    connector: FakeConnector,
    signing_key: rsa.RSAPrivateKey,
) -> None:
    client, store = secured
    token = _token(signing_key, connector.url)
    assert await _post(client, _typing(connector.url), f"Bearer {token}") == 201
    assert len(await store.list(Collection.CONVERSATIONS)) == 1


def _junk(service_url: str) -> dict[str, Any]:
    """A body the strict check refuses, naming fields: the type is a number, the id has a space."""
    body = _typing(service_url)
    body.update(type=5, id="not an id")
    return body


async def _answer(client: Client, data: str, token: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    response = await client.post("/api/messages", data=data, headers=headers)
    return response.status, (await response.json())["error"] if response.status >= 400 else ""


@pytest.mark.parametrize("token", [None, "Bearer abc.def.ghi"])
async def test_a_client_not_signed_in_learns_nothing_of_what_a_body_must_hold(
    secured: tuple[Client, TinyDBStore], connector: FakeConnector, token: str | None
) -> None:
    """Unsigned junk is 401, not a 400 naming the field that was wrong: no probing."""
    client, store = secured
    for data in (json.dumps(_junk(connector.url)), "{not json", "[]", "{" * 100 + "}" * 100):
        status, error = await _answer(client, data, token)
        assert (status, error) == (401, "missing or invalid bearer token"), data[:20]
    assert await store.list(Collection.CONVERSATIONS) == []


async def test_a_signed_client_is_still_told_what_is_wrong_with_its_body(
    secured: tuple[Client, TinyDBStore],
    connector: FakeConnector,
    signing_key: rsa.RSAPrivateKey,
) -> None:
    """Once the token is good, junk is 400 as before; the token binds the body's serviceUrl."""
    client, store = secured
    token = f"Bearer {_token(signing_key, connector.url)}"
    status, error = await _answer(client, json.dumps(_junk(connector.url)), token)
    assert status == 400
    assert "type" in error
    other = _junk("http://127.0.0.1:1/elsewhere")
    assert (await _answer(client, json.dumps(other), token))[0] == 401
    assert await store.list(Collection.CONVERSATIONS) == []
