"""Refused decision clicks are counted in the audit trail: one entry per person, case, action,
reason and London day, with how often and when last; a decision is still one entry each."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from cli.main import run
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cases import file_case
from tests.support.clicks import click
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock

Client = TestClient[Any, Any]
STRANGER = {"id": "29:x", "name": "Someone", "aadObjectId": "00000000-0000-0000-0000-0000000000ff"}
OTHER = {"id": "29:y", "name": "Another", "aadObjectId": "00000000-0000-0000-0000-0000000000fe"}
POLICE = {
    "id": "29:police",
    "name": "Police Lead",
    "aadObjectId": "00000000-0000-0000-0000-0000000000a3",
}
LA = {"id": "29:la", "name": "LA Lead", "aadObjectId": "00000000-0000-0000-0000-0000000000a1"}


@pytest.fixture
async def repo(bot: Client, connector: FakeConnector, store: TinyDBStore) -> CaseRepository:
    await file_case(store, activities.USER["id"])
    return CaseRepository(store)


def _refusals(trail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in trail if str(e["what"]).startswith("refused:")]


async def test_a_hundred_forged_clicks_are_one_entry_with_their_count(
    bot: Client, connector: FakeConnector, repo: CaseRepository, clock: FakeClock
) -> None:
    first = clock.now()
    for _ in range(100):
        last = clock.now()
        card = await click(bot, connector, STRANGER, "sin_made", on="2026-11-23")
        clock.advance(seconds=30)
    assert "Only the partnership's leads" in json.dumps(card)  # each is still refused
    [entry] = _refusals(await repo.audit_trail("COV-2026-001"))
    assert entry["what"] == "refused: sin_made"
    assert (entry["actor"], entry["role"], entry["reason"]) == (
        STRANGER["aadObjectId"],
        "not a lead",
        "not a lead",
    )
    assert entry["count"] == 100
    assert entry["at"] == first.isoformat()  # when it was first refused
    assert entry["last_at"] == last.isoformat()
    assert entry["day"] == "2026-11-24"


async def test_another_day_person_or_action_is_an_entry_of_its_own(
    bot: Client, connector: FakeConnector, repo: CaseRepository, clock: FakeClock
) -> None:
    await click(bot, connector, STRANGER, "sin_made", on="2026-11-23")
    await click(bot, connector, STRANGER, "sin_made", on="2026-11-23")
    await click(bot, connector, STRANGER, "not_notifiable", reason="x")
    await click(bot, connector, OTHER, "sin_made", on="2026-11-23")
    clock.advance(hours=14)  # 00:00 in London the next day (GMT in November)
    await click(bot, connector, STRANGER, "sin_made", on="2026-11-23")
    entries = _refusals(await repo.audit_trail("COV-2026-001"))
    assert [(e["actor"][-2:], e["what"], e["day"], e["count"]) for e in entries] == [
        ("ff", "refused: sin_made", "2026-11-24", 2),
        ("ff", "refused: not_notifiable", "2026-11-24", 1),
        ("fe", "refused: sin_made", "2026-11-24", 1),
        ("ff", "refused: sin_made", "2026-11-25", 1),
    ]
    assert [e["sequence"] for e in entries] == sorted(e["sequence"] for e in entries)


async def test_a_leads_repeated_refusal_for_who_they_are_is_counted_too(
    bot: Client, connector: FakeConnector, repo: CaseRepository
) -> None:
    for _ in range(3):
        refused = await click(bot, connector, POLICE, "not_notifiable", reason="No abuse")
    assert "is for the local authority to decide" in json.dumps(refused)
    [entry] = _refusals(await repo.audit_trail("COV-2026-001"))
    assert (entry["refusal"], entry["partner"], entry["count"]) == (
        "local_authority_only",
        "police",
        3,
    )


async def test_decisions_are_never_counted_together(
    bot: Client, connector: FakeConnector, repo: CaseRepository
) -> None:
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    await click(bot, connector, LA, "rapid_review_sent", on="2026-11-24")  # refused: no proposal
    proposal = {"outcome": "local_cspr", "criteria": "agencies_working_together", "reasons": "r"}
    await click(bot, connector, LA, "propose_recommendation", **proposal)
    await click(bot, connector, LA, "propose_recommendation", **{**proposal, "reasons": "s"})
    trail = await repo.audit_trail("COV-2026-001")
    recorded = [e for e in trail if e["actor"] == LA["aadObjectId"]]
    assert [e["what"] for e in recorded] == ["SIN made", *["Propose the recommendation"] * 2]
    assert all("count" not in e for e in recorded)


async def test_clicks_at_the_same_moment_are_all_counted(
    bot: Client, connector: FakeConnector, repo: CaseRepository
) -> None:
    await asyncio.gather(
        *(click(bot, connector, STRANGER, "sin_made", on="2026-11-23") for _ in range(12))
    )
    [entry] = _refusals(await repo.audit_trail("COV-2026-001"))
    assert entry["count"] == 12


async def test_case_show_says_how_often_a_refusal_was_repeated(
    bot: Client,
    connector: FakeConnector,
    repo: CaseRepository,
    clock: FakeClock,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(4):
        await click(bot, connector, STRANGER, "sin_made", on="2026-11-23")
        clock.advance(minutes=5)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(settings.data_dir))
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(run, ["case", "show", "COV-2026-001"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    [line] = [line for line in out.getvalue().splitlines() if "refused: sin_made" in line]
    assert "4 times that day, the last at 10:15" in line
