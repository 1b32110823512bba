"""A whole referral over HTTP, the app opening its own store: then the child's name, date of
birth and the free text are nowhere at rest, not in any file under the data directory nor in
any row of the PostgreSQL database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from psycopg import sql

from bot.app import SERVICES, create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.base import Collection
from storage.cases import CaseRepository
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.referral import ACTIONS, CHILD, CRITERIA, INCIDENT, REFERRER, STEPS

Client = TestClient[Any, Any]

# What the practitioner typed that identifies or describes the child, and the referrer.
SECRETS = [
    CHILD["name"],
    "Jane",
    CHILD["date_of_birth"],
    INCIDENT["description"],
    "unexplained fractures",
    CRITERIA["reasons"],
    ACTIONS["safety_actions"],
    REFERRER["name"],
    REFERRER["contact"],
]


@pytest.fixture(params=["tinydb", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_rest(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Loopback settings without data keys (so the development key file), on each backend."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        partnerships=EXAMPLE_PARTNERSHIPS,
        reminders_enabled=False,
    )


@pytest.fixture
async def app_client(
    at_rest: Settings, clock: FakeClock, connector: FakeConnector
) -> AsyncIterator[Client]:
    """The real app, opening the store its settings choose (no store handed in)."""
    client: Client = TestClient(
        TestServer(create_app(at_rest, clock=clock, screen=shared_screen()))
    )
    await client.start_server()
    yield client
    await client.close()


async def _post(client: Client, body: dict[str, Any]) -> None:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()


def _files_holding(directory: Path, needles: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in directory.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            found += [(str(path), n) for n in needles if n.encode() in raw]
    return found


def _rows_holding(url: str, needles: list[str]) -> tuple[int, list[tuple[str, str]]]:
    rows, found = 0, []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL("SELECT t::text FROM {}.{} AS t").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            for (text,) in conn.execute(query):
                rows += 1
                found += [(f"{schema}.{table}", n) for n in needles if n in text]
    return rows, found


async def test_after_a_referral_nothing_personal_is_readable_at_rest(
    app_client: Client, connector: FakeConnector, at_rest: Settings
) -> None:
    url = connector.url
    await _post(app_client, activities.team_install(url, team_id="team-id"))
    await _post(app_client, activities.personal_install(url))
    await _post(app_client, activities.card_submit(url, {"action": "start_referral"}))
    for step, inputs in STEPS:
        await _post(
            app_client, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )
    # Filed, and readable through the app's own store.
    store = app_client.server.app[SERVICES].store
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].referral.children[0].name == CHILD["name"]
    assert loaded[0].referral.incident.description == INCIDENT["description"]
    # A draft's last state and the dialog's are kept too (what the secrets would be in).
    assert await store.list(Collection.STATE, prefix="bot:")

    if at_rest.database_url is None:
        files = [p for p in at_rest.data_dir.rglob("*") if p.is_file()]
        assert len(files) > 10  # the case, its index, trail, dialog state, conversations
        assert _files_holding(at_rest.data_dir, SECRETS) == []
        # The test itself can see them: the case file holds the reference in clear.
        assert _files_holding(at_rest.data_dir, ["COV-2026-001"])
    else:
        rows, found = _rows_holding(at_rest.database_url, SECRETS)
        assert rows > 10
        assert found == []
        assert _rows_holding(at_rest.database_url, ["COV-2026-001"])[1]
    # The key that opens it all is not among the data.
    assert at_rest.key_file_path.exists()
    assert not at_rest.key_file_path.resolve().is_relative_to(at_rest.data_dir.resolve())
