"""Answers outside a referral: process questions, case status with permissions, other services."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from cli.main import run
from safeguarding.faq import NATIONAL_FAQ_FILE, FaqFileError, load_faq_file, match, merged
from storage.base import Collection
from storage.stats import RedirectCounter
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cases import file_case
from tests.support.connector import FakeConnector

NATIONAL_FAQ = load_faq_file(NATIONAL_FAQ_FILE)

Client = TestClient[Any, Any]
LEAD_AAD = "00000000-0000-0000-0000-0000000000a1"  # Coventry's LA lead in the example file


async def _say(
    client: Client, connector: FakeConnector, text: str, user: dict[str, Any] | None = None
) -> str:
    body = activities.message(connector.url, text)
    if user is not None:
        body["from"] = user
        body["conversation"] = activities.personal(connector.url, user)
    before = len(connector.sent)
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201
    return json.dumps([s.body for s in connector.sent[before:]])


def test_national_faq_matches_typical_questions() -> None:
    timescales = match("what are the timescales for a rapid review", NATIONAL_FAQ)
    assert timescales is not None
    assert timescales.id == "timescales"
    found = match("who decides if theres a cspr", NATIONAL_FAQ)
    assert found is not None
    assert found.id == "who-decides"
    assert match("what's the weather like", NATIONAL_FAQ) is None


def test_a_partnership_entry_replaces_the_national_one(tmp_path: Path) -> None:
    path = tmp_path / "faq.toml"
    path.write_text(
        '[[faq]]\nid = "how-to-refer"\nquestion = "How do I refer here?"\n'
        'keywords = ["refer", "form"]\nanswer = "Local answer."\n'
    )
    entries = merged(load_faq_file(path), NATIONAL_FAQ)
    assert [e.id for e in entries].count("how-to-refer") == 1
    found = match("how do i refer a case, is there a form", entries)
    assert found is not None
    assert found.answer == "Local answer."
    path.write_text('[[faq]]\nid = "local-x"\n')
    with pytest.raises(FaqFileError, match="question"):
        load_faq_file(path)


async def test_a_process_question_is_answered(bot: Client, connector: FakeConnector) -> None:
    said = await _say(bot, connector, "what are the timescales for a rapid review?")
    assert "15 working days" in said


async def test_case_status_for_the_referrer(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    await file_case(store, activities.USER["id"])
    said = await _say(bot, connector, "any update on COV-2026-001 please")
    assert "COV-2026-001" in said
    assert "review subgroup will consider it" in said


async def test_case_status_for_a_lead(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    await file_case(store, "29:someone-else")
    lead = {"id": "29:lead", "name": "Lead", "aadObjectId": LEAD_AAD}
    said = await _say(bot, connector, "where has cov-2026-001 got to", user=lead)
    assert "review subgroup will consider it" in said


async def test_case_status_never_reveals_a_case_to_anyone_else(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    await file_case(store, "29:someone-else")
    stranger = {
        "id": "29:stranger",
        "name": "S",
        "aadObjectId": "00000000-0000-0000-0000-0000000000ff",
    }
    existing = await _say(bot, connector, "any update on COV-2026-001", user=stranger)
    missing = await _say(bot, connector, "any update on COV-2026-099", user=stranger)
    assert "review subgroup" not in existing
    # The same answer for a case that exists and one that does not.
    assert json.loads(existing)[0]["text"] == json.loads(missing)[0]["text"]


async def test_other_services_and_the_redirect_count(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    said = await _say(bot, connector, "we have an allegation against a teacher at our school")
    assert "LADO" in said
    said = await _say(bot, connector, "im worried about a boy in my class, his mum hits him")
    assert "front door" in said
    counters = await store.list(Collection.COUNTERS, where={"kind": "redirects"})
    labels = {d.data["label"] for d in counters}
    assert {"individual_concern", "other_service:lado"} <= labels
    assert labels <= {"individual_concern", "other_service:lado", "front_door_signpost"}
    assert all("boy" not in json.dumps(d.data) for d in counters)


def test_redirects_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def record() -> None:
        store = TinyDBStore(tmp_path)
        counter = RedirectCounter(store)
        at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        await counter.count(label="emergency", partnership_id="coventry", at=at)
        await counter.count(label="emergency", partnership_id="coventry", at=at)
        await store.close()

    asyncio.run(record())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    assert run(["redirects", "--month", "2026-11"], stdout=out, stderr=err) == 0, err.getvalue()
    assert "coventry" in out.getvalue()
    assert out.getvalue().rstrip().endswith("2")


async def test_case_status_for_a_lead_known_only_by_upn(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    from bot.app import SERVICES

    await file_case(store, "29:someone-else")
    services = bot.server.app[SERVICES]
    coventry = services.partnerships.partnerships["coventry"]
    leads = tuple(
        lead.model_copy(update={"aad_object_id": None}) if lead.partner is not None else lead
        for lead in coventry.leads
    )
    services.partnerships.partnerships["coventry"] = coventry.model_copy(update={"leads": leads})
    lead = {
        "id": "29:upn-lead",
        "name": "Lead",
        "aadObjectId": "00000000-0000-0000-0000-0000000000e1",
    }
    connector.members["29:upn-lead"] = {"userPrincipalName": "la.lead@coventry.example"}
    said = await _say(bot, connector, "where has cov-2026-001 got to", user=lead)
    assert "review subgroup will consider it" in said


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("what are the criteria for a rapid review", "criteria"),
        ("does this case meet the threshold for a rapid review?", "criteria"),
        ("what are the cspr criteria", "cspr-criteria"),
        ("when do you do a local cspr?", "cspr-criteria"),
        ("what is an IAS?", "agency-summary"),
        ("when is the individual agency summary due", "agency-summary"),
        ("how long until a cspr report is published", "publication"),
        ("how long does a rapid review take?", "rapid-review"),
    ],
)
def test_the_process_questions_practitioners_ask_get_their_answer(
    question: str, entry: str
) -> None:
    found = match(question, NATIONAL_FAQ)
    assert found is not None
    assert found.id == entry


def test_the_national_answers_say_the_statutory_times() -> None:
    answers = {entry.id: entry.answer for entry in NATIONAL_FAQ}
    assert "15 working days" in answers["rapid-review"]
    assert "day 10" in answers["agency-summary"]
    assert "six months of the decision" in answers["publication"]
    assert "CDOP" in answers["criteria"]
