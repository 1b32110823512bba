"""Shared fixtures: no network, a fake clock, a fake Bot Connector and the real app over HTTP."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.tinydb_store import TinyDBStore
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.openid import openid_server
from tests.support.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]  # fixtures for every test: a fresh database

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address: Any) -> bool:
    if isinstance(address, str | bytes):  # unix sockets
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkBlockedError(OSError):
    """A test tried to reach beyond this machine."""


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _allowed(address):
        raise NetworkBlockedError(f"tests may not reach {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _allowed(address):
        raise NetworkBlockedError(f"tests may not reach {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def clock() -> FakeClock:
    """A clock at a Tuesday morning in term time, moved only by the test."""
    return FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Loopback settings with authentication off and data in a temporary directory."""
    # Tests drive the reminder runner themselves, on the fake clock.
    return Settings(
        data_dir=tmp_path / "data", partnerships=EXAMPLE_PARTNERSHIPS, reminders_enabled=False
    )


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    """The key the fake Bot Framework channel signs tokens with."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def openid(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A loopback OpenID metadata document and JWKS holding the signing key."""
    with openid_server(signing_key) as url:
        yield url


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """A running fake Bot Connector on a loopback port."""
    fake = FakeConnector()
    server = TestServer(fake.app)
    await server.start_server()
    fake.url = str(server.make_url("/")).rstrip("/") + "/"
    yield fake
    fake.release.set()  # let any hanging request finish before the server closes
    fake.proceed.set()
    await server.close()


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[TinyDBStore]:
    """The embedded store in the test's data directory."""
    active = TinyDBStore(settings.data_dir)
    yield active
    await active.close()


@pytest.fixture
async def bot(
    settings: Settings, store: TinyDBStore, clock: FakeClock, connector: FakeConnector
) -> AsyncIterator[TestClient[Any, Any]]:
    """The real app over HTTP, replying to the fake connector."""
    app = create_app(settings, store=store, clock=clock, screen=shared_screen())
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()
