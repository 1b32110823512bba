"""Leads from an Entra ID group through a loopback fake of Microsoft Graph: reachable or not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.graph import GraphGroups
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from safeguarding.partnerships import load_partnerships
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cases import file_case
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock
from usecases.errors import LeadCheckUnavailableError
from usecases.leads import LeadDirectory
from usecases.people import Person

GROUP = "11111111-2222-3333-4444-000000000001"
MEMBER = "00000000-0000-0000-0000-0000000000c1"  # in the group, not in the file's lead list


@dataclass
class FakeGraph:
    """checkMemberGroups for one group; can be switched to failing."""

    members: set[str] = field(default_factory=lambda: {MEMBER})
    status: int = 200
    calls: int = 0
    tokens: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1.0/users/{user}/checkMemberGroups", self._check)
        return app

    async def _check(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.tokens.append(request.headers.get("Authorization", ""))
        if self.status != 200:
            return web.json_response({"error": "unavailable"}, status=self.status)
        body = await request.json()
        user = request.match_info["user"]
        groups = [g for g in body["groupIds"] if user in self.members]
        return web.json_response({"value": groups})


async def _token() -> str:
    return "test-token"


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def partnerships_file(tmp_path: Path) -> Path:
    text = EXAMPLE_PARTNERSHIPS.read_text().replace(
        'faq_file = "faq/coventry.toml"\n', f'leads_group_id = "{GROUP}"\n'
    )
    path = tmp_path / "partnerships.toml"
    path.write_text(text)
    return path


async def test_group_membership_is_checked_and_cached(
    graph: tuple[FakeGraph, str], partnerships_file: Path
) -> None:
    fake, url = graph
    clock = FakeClock(datetime(2026, 11, 24, 10, tzinfo=UTC))
    directory = LeadDirectory(groups=GraphGroups(token=_token, clock=clock, base_url=url))
    coventry = load_partnerships(partnerships_file).partnerships["coventry"]
    member = Person(teams_id="29:m", aad_object_id=MEMBER, upn=None, name="Member")
    other = Person(
        teams_id="29:o", aad_object_id="00000000-0000-0000-0000-0000000000c2", upn=None, name=None
    )
    assert await directory.lead_for(coventry, member) is not None
    assert await directory.lead_for(coventry, other) is None
    assert fake.tokens == ["Bearer test-token", "Bearer test-token"]
    await directory.lead_for(coventry, member)
    assert fake.calls == 2  # cached
    clock.advance(minutes=6)
    await directory.lead_for(coventry, member)
    assert fake.calls == 3


async def test_graph_down_fails_closed(
    graph: tuple[FakeGraph, str], partnerships_file: Path
) -> None:
    fake, url = graph
    fake.status = 503
    clock = FakeClock(datetime(2026, 11, 24, 10, tzinfo=UTC))
    directory = LeadDirectory(groups=GraphGroups(token=_token, clock=clock, base_url=url))
    coventry = load_partnerships(partnerships_file).partnerships["coventry"]
    member = Person(teams_id="29:m", aad_object_id=MEMBER, upn=None, name="Member")
    with pytest.raises(LeadCheckUnavailableError):
        await directory.lead_for(coventry, member)
    unreachable = LeadDirectory(
        groups=GraphGroups(token=_token, clock=clock, base_url="http://127.0.0.1:9")
    )
    with pytest.raises(LeadCheckUnavailableError):
        await unreachable.lead_for(coventry, member)


async def _app(
    tmp_path: Path, partnerships_file: Path, url: str, clock: FakeClock
) -> tuple[TestClient[Any, Any], TinyDBStore]:
    settings = Settings(data_dir=tmp_path / "data", partnerships=partnerships_file)
    store = TinyDBStore(settings.data_dir)
    groups = GraphGroups(token=_token, clock=clock, base_url=url)
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, store=store, clock=clock, graph=groups))
    )
    await client.start_server()
    return client, store


async def _click(
    client: TestClient[Any, Any],
    connector: FakeConnector,
    aad: str,
    verb: str = "partners_notified",
    data: dict[str, Any] | None = None,
) -> str:
    body = activities.action_execute(
        connector.url, verb, {"reference": "COV-2026-001", **(data or {"on": "2026-11-23"})}
    )
    body["from"] = {"id": "29:member", "name": "Group Member", "aadObjectId": aad}
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 200
    return json.dumps(await response.json())


@pytest.mark.parametrize(("status", "recorded"), [(200, True), (503, False)])
async def test_a_group_member_decides_only_while_graph_answers(
    tmp_path: Path,
    partnerships_file: Path,
    graph: tuple[FakeGraph, str],
    connector: FakeConnector,
    status: int,
    recorded: bool,
) -> None:
    fake, url = graph
    fake.status = status
    clock = FakeClock(datetime(2026, 11, 24, 10, tzinfo=UTC))
    client, store = await _app(tmp_path, partnerships_file, url, clock)
    try:
        await file_case(store, "29:referrer")
        said = await _click(client, connector, MEMBER)
        loaded = await CaseRepository(store).get("COV-2026-001")
        assert loaded is not None
        kinds = [d.kind for d in loaded[0].decisions]
        assert ("partners_notified" in kinds) is recorded
        if not recorded:
            assert "can't check who is a lead" in said
    finally:
        await client.close()
        await store.close()


async def test_a_group_member_cannot_record_the_las_notification_decision(
    tmp_path: Path,
    partnerships_file: Path,
    graph: tuple[FakeGraph, str],
    connector: FakeConnector,
) -> None:
    # A leads-group member is not the business unit: ticking "for the local authority" on a
    # forged card does not let a police or health delegate in the group record it.
    _, url = graph
    clock = FakeClock(datetime(2026, 11, 24, 10, tzinfo=UTC))
    client, store = await _app(tmp_path, partnerships_file, url, clock)
    try:
        await file_case(store, "29:referrer")
        forged = {"reason": "No suspicion", "on_behalf_of_la": "true"}
        said = await _click(client, connector, MEMBER, "not_notifiable", forged)
        loaded = await CaseRepository(store).get("COV-2026-001")
        assert loaded is not None
        assert loaded[0].status.value == "referred"
        assert "local authority" in said
    finally:
        await client.close()
        await store.close()
