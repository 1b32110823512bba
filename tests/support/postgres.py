"""A fresh PostgreSQL database per test on the loopback server; skipped only when none answers.

CI starts the server (.ci/run). Each test gets a database of its own, dropped afterwards, so
tests never see each other's documents, and runs beside other checkouts' tests never clash.
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
MAINTENANCE_DATABASES = ("postgres", "test")
TEST_DATABASE_PREFIX = "review_bot_test_"


def server_url(database: str) -> str:
    """The URL of a database on the test server."""
    return f"postgresql://{USER}@{HOST}:{PORT}/{database}"


def server_answers() -> bool:
    """Whether anything answers on the test server's port."""
    try:
        with socket.create_connection((HOST, PORT), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a maintenance database on the loopback server; skips when no server answers."""
    if not server_answers():
        pytest.skip(f"no PostgreSQL server answers on {HOST}:{PORT} (.ci/run starts one)")
    problems = []
    for database in MAINTENANCE_DATABASES:
        url = server_url(database)
        try:
            with psycopg.connect(url, connect_timeout=5):
                return url
        except psycopg.OperationalError as exc:
            problems.append(f"{database}: {str(exc).strip()}")
    # A server that answers but refuses us is a broken set-up, not a reason to skip.
    pytest.fail("PostgreSQL answers but refuses the tests: " + "; ".join(problems))


@contextlib.contextmanager
def fresh_database(maintenance_url: str) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it (and its connections) after."""
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(maintenance_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server_url(name)
    finally:
        with psycopg.connect(maintenance_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of an empty database made for this test alone."""
    with fresh_database(postgres_server) as url:
        yield url


def free_port() -> int:
    """A loopback port nothing listens on (for a server that does not answer)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
