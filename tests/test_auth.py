"""Authentication on: no token, a garbage token and a forged token are 401; a signed one passes.

Tokens are checked against a loopback fake of the Bot Framework's OpenID metadata, so no test
reaches the internet.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.app import BOT_FRAMEWORK_ISSUER, create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector

APP_ID = "11111111-2222-3333-4444-555555555555"
KID = "test-key"

Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def openid(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A loopback OpenID metadata document and JWKS holding the test key.

    The SDK fetches keys with blocking `requests` calls from inside the event loop, so this
    server runs in its own thread rather than on the test's loop (which would deadlock).
    """
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update({"kid": KID, "use": "sig", "endorsements": ["msteams"]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/openid":
                payload = {"jwks_uri": f"{base}/keys"}
            elif self.path == "/keys":
                payload = {"keys": [jwk]}
            else:
                self.send_error(404)
                return
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Each test serves on a new port, so the SDK's per-URL key cache never carries over.
    yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    server.shutdown()
    server.server_close()
    thread.join()


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
    )
    store = TinyDBStore(settings.data_dir)
    client: Client = TestClient(TestServer(create_app(settings, store=store)))
    await client.start_server()
    yield client, store
    await client.close()
    await store.close()


def _token(key: rsa.RSAPrivateKey, service_url: str, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 10,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})


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
