"""Leads' decisions with Action.Execute over HTTP: role checks, double and conflicting clicks,
three-partner agreement, the channel copy updated, the referrer told, everything audited."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from cli.main import run
from safeguarding.partnerships import Partner
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cards import assert_valid_card
from tests.support.cases import file_case
from tests.support.clicks import click, execute, leads_button, post, press_leads_button, verbs
from tests.support.connector import FakeConnector

Client = TestClient[Any, Any]
LA = {"id": "29:la", "name": "LA Lead", "aadObjectId": "00000000-0000-0000-0000-0000000000a1"}
HEALTH = {
    "id": "29:health",
    "name": "Health Lead",
    "aadObjectId": "00000000-0000-0000-0000-0000000000a2",
}
POLICE = {
    "id": "29:police",
    "name": "Police Lead",
    "aadObjectId": "00000000-0000-0000-0000-0000000000a3",
}
BUSINESS_MANAGER = {
    "id": "29:bm",
    "name": "Business Manager",
    "aadObjectId": "00000000-0000-0000-0000-0000000000b1",
}
STRANGER = {"id": "29:x", "name": "Someone", "aadObjectId": "00000000-0000-0000-0000-0000000000ff"}


@pytest.fixture
async def filed(bot: Client, connector: FakeConnector, store: TinyDBStore) -> CaseRepository:
    """A filed Coventry case posted in the review channel, its referrer known to the bot."""
    await post(bot, activities.team_install(connector.url, team_id="team-id"))
    await post(bot, activities.message(connector.url, "hello"))  # the referrer's chat
    await file_case(store, activities.USER["id"])
    repo = CaseRepository(store)
    loaded = await repo.get("COV-2026-001")
    assert loaded is not None
    case, etag = loaded
    services = bot.server.app[SERVICES]
    coventry = services.partnerships.partnerships["coventry"]
    card = await services.notifier.post_to_review_channel(
        coventry, {"type": "AdaptiveCard", "version": "1.5", "body": []}
    )
    await repo.save(case.model_copy(update={"channel_activity_id": card}), etag)
    return repo


async def _status(repo: CaseRepository) -> str:
    loaded = await repo.get("COV-2026-001")
    assert loaded is not None
    return loaded[0].status.value


async def test_a_leads_click_records_updates_the_channel_and_tells_the_referrer(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    before = len(connector.sent)
    card = await click(bot, connector, LA, "sin_made", on="2026-11-23")
    assert "Recorded" in json.dumps(card)
    assert await _status(filed) == "rapid_review"
    assert "propose_recommendation" in verbs(card)
    sent = connector.sent[before:]
    assert any(s.method == "PUT" and s.conversation_id == "team-id" for s in sent)
    to_referrer = [s for s in sent if s.conversation_id.startswith("a:personal-")]
    assert len(to_referrer) == 1
    told = json.dumps(to_referrer[0].body)
    assert "COV-2026-001" in told
    assert "LA Lead" not in told  # no other people's data
    trail = await filed.audit_trail("COV-2026-001")
    assert trail[-1]["actor"] == LA["aadObjectId"]


def _facts(card: dict[str, Any]) -> dict[str, str]:
    return {
        fact["title"]: fact["value"]
        for block in card["body"]
        if block.get("type") == "FactSet"
        for fact in block["facts"]
    }


async def test_the_case_card_says_where_the_case_is_and_a_made_sin_reads_as_done(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    before = await click(bot, connector, LA, "refresh")
    assert _facts(before)["Status"] == "New referral, not yet decided"
    assert "SIN due" in _facts(before)
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    [update] = [s for s in connector.sent if s.method == "PUT"]
    [channel_copy] = update.cards
    facts = _facts(channel_copy)
    assert facts["Status"] == "Rapid review under way"
    # The heading no longer calls a case a lead has moved on "New referral".
    assert "New referral COV-2026-001" in json.dumps(before["body"][0])
    assert channel_copy["body"][0]["text"].endswith("Case COV-2026-001")
    assert "New referral" not in json.dumps(channel_copy)
    assert facts["SIN made"] == "Monday 23 November 2026"
    assert "SIN due" not in facts
    assert "done" not in facts["SIN made"]


async def test_a_non_lead_click_is_refused_and_audited(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    card = await click(bot, connector, STRANGER, "sin_made", on="2026-11-23")
    assert "Only the partnership's leads" in json.dumps(card)
    assert verbs(card) == set()
    assert await _status(filed) == "referred"
    trail = await filed.audit_trail("COV-2026-001")
    assert trail[-1]["what"] == "refused: sin_made"


async def test_refresh_gives_leads_the_buttons_and_others_a_read_only_card(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    lead_view = await click(bot, connector, LA, "refresh")
    other_view = await click(bot, connector, STRANGER, "refresh")
    assert {"sin_made", "not_notifiable"} <= verbs(lead_view)
    assert verbs(other_view) == set()
    assert lead_view["refresh"]["action"]["verb"] == "refresh"
    assert_valid_card(lead_view)
    assert_valid_card(other_view)


async def test_a_lead_whose_client_never_refreshes_presses_the_button_for_leads(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    # The card as posted, and as Teams' own refresh shows it to someone not listed.
    posted = await execute(
        bot, connector, STRANGER, "refresh", {"reference": "COV-2026-001"}, trigger="automatic"
    )
    assert verbs(posted) == set()
    button = leads_button(posted)
    assert button["title"] == "Record a decision (leads)"
    assert (button["verb"], button["data"]) == (
        posted["refresh"]["action"]["verb"],
        posted["refresh"]["action"]["data"],
    )
    texts = json.dumps(posted)
    assert "Decisions on this case are recorded by the partnership's leads." in texts
    assert "your copy stays read-only" not in texts
    trail_before = await filed.audit_trail("COV-2026-001")

    lead_view = await press_leads_button(bot, connector, LA, posted)
    assert {"sin_made", "not_notifiable"} <= verbs(lead_view)
    assert "Record a decision (leads)" not in json.dumps(lead_view)

    other_view = await press_leads_button(bot, connector, STRANGER, posted)
    assert verbs(other_view) == set()
    said = json.dumps(other_view)
    assert "Only the partnership's leads record decisions on this case. Your copy stays" in said
    # Not an error box, not a refusal: a press of the button records and audits nothing.
    assert "warning" not in said
    assert "attention" not in said.casefold()
    assert await filed.audit_trail("COV-2026-001") == trail_before
    assert await _status(filed) == "referred"


async def test_a_double_click_records_one_decision(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    second = await click(bot, connector, LA, "sin_made", on="2026-11-23")
    assert "already recorded" in json.dumps(second)
    loaded = await filed.get("COV-2026-001")
    assert loaded is not None
    assert len(loaded[0].decisions) == 1


async def test_conflicting_decisions_one_wins_and_the_other_is_told(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    late = await click(
        bot,
        connector,
        BUSINESS_MANAGER,
        "not_notifiable",
        reason="No abuse suspected",
        on_behalf_of_la="true",
    )
    assert await _status(filed) == "rapid_review"
    assert "Recorded" not in json.dumps(late)
    assert "has just recorded" in json.dumps(late)


async def test_three_partners_must_agree_before_the_rapid_review_is_sent(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    await click(
        bot,
        connector,
        LA,
        "propose_recommendation",
        outcome="local_cspr",
        criteria="agencies_working_together",
        have_regard="",
        reasons="Several agencies held information that was not shared.",
    )
    early = await click(bot, connector, LA, "rapid_review_sent", on="2026-11-24")
    assert await _status(filed) == "rapid_review"
    assert "Recorded" not in json.dumps(early)
    await click(bot, connector, HEALTH, "agree")
    card = await click(bot, connector, POLICE, "agree")
    assert "agreed by all three partners" in json.dumps(card)
    await click(bot, connector, LA, "rapid_review_sent", on="2026-11-24")
    assert await _status(filed) == "local_review"


async def test_case_show_prints_the_case_timeline_and_audit_without_names(
    bot: Client,
    connector: FakeConnector,
    filed: CaseRepository,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await click(bot, connector, LA, "not_notifiable", reason="Jane fell from a swing")
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(settings.data_dir))
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(run, ["case", "show", "COV-2026-001"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    printed = out.getvalue()
    assert "COV-2026-001" in printed
    assert "no_serious_incident" in printed
    assert "Serious incident notification" in printed  # the timeline
    assert "Not notifiable" in printed  # the audit trail
    assert "lives in: Coventry  harmed in: Coventry  lead rule: same_area" in printed
    assert "Jane" not in printed
    # The audit trail is a table: when (London), who, role, what; no names, no typed reasons.
    trail = printed.split("audit trail:\n", 1)[1].splitlines()
    assert trail[0].split() == ["When", "(London)", "Who", "Role", "What"]
    decided = next(line for line in trail if "Not notifiable" in line)
    assert re.match(r"  \d{4}-\d\d-\d\d \d\d:\d\d  ", decided)
    assert LA["aadObjectId"] in decided
    assert "(local_authority)" in decided
    assert "(+data not shown)" in decided
    assert "{" not in printed.split("audit trail:", 1)[1]  # no raw JSON lines
    missing = io.StringIO()
    assert (
        await asyncio.to_thread(run, ["case", "show", "COV-2026-999"], stdout=out, stderr=missing)
        == 1
    )


async def test_case_show_as_json_is_one_document_for_machines_without_names(
    bot: Client,
    connector: FakeConnector,
    filed: CaseRepository,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await click(bot, connector, LA, "not_notifiable", reason="Jane fell from a swing")
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(settings.data_dir))
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(
        run, ["case", "show", "COV-2026-001", "--format", "json"], stdout=out, stderr=err
    )
    assert code == 0, err.getvalue()
    document = json.loads(out.getvalue())
    assert document["reference"] == "COV-2026-001"
    assert document["status"] == "no_serious_incident"
    assert any(m["milestone"] == "sin" for m in document["timeline"])
    decided = next(e for e in document["audit"] if e.get("kind") == "not_notifiable")
    assert decided["actor"] == LA["aadObjectId"]
    assert decided["not_shown"] == ["data"]
    assert "actor_name" not in decided
    assert "Jane" not in out.getvalue()


async def test_slippage_keeps_the_original_date_and_the_reason(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    card = await click(
        bot,
        connector,
        LA,
        "slip",
        milestone="rapid_review",
        to="2026-12-23",
        reason="Awaiting the police summary",
    )
    assert "Recorded" in json.dumps(card)
    loaded = await filed.get("COV-2026-001")
    assert loaded is not None
    case = loaded[0]
    services = bot.server.app[SERVICES]
    cards = services.case_cards
    coventry = services.partnerships.partnerships["coventry"]
    milestone = cards.timeline(case, coventry).get("rapid_review")
    assert str(milestone.due) == "2026-12-23"
    # 15 working days from the SIN on Mon 23 Nov 2026: 24 Nov ... 11 Dec is 14, Mon 14 Dec is 15.
    assert str(milestone.original_due) == "2026-12-14"
    assert milestone.slips[0].reason == "Awaiting the police summary"
    trail = await filed.audit_trail("COV-2026-001")
    assert trail[-1]["kind"] == "slip"


async def test_two_leads_deciding_differently_at_the_same_moment(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    cards = await asyncio.gather(
        click(bot, connector, LA, "sin_made", on="2026-11-23"),
        click(
            bot,
            connector,
            BUSINESS_MANAGER,
            "not_notifiable",
            reason="No abuse suspected",
            on_behalf_of_la="true",
        ),
    )
    recorded = ["Recorded" in json.dumps(card) for card in cards]
    assert sorted(recorded) == [False, True]  # exactly one wins
    loser = json.dumps(cards[recorded.index(False)])
    assert "has just recorded" in loser  # the loser is told who decided what
    loaded = await filed.get("COV-2026-001")
    assert loaded is not None
    assert len(loaded[0].decisions) == 1
    assert loaded[0].status.value in ("rapid_review", "no_serious_incident")


async def test_a_lead_known_only_by_upn_is_recognised_through_teams(
    bot: Client, connector: FakeConnector, filed: CaseRepository, tmp_path: Any
) -> None:
    services = bot.server.app[SERVICES]
    coventry = services.partnerships.partnerships["coventry"]
    # Make the local authority's lead UPN-only, as many partnerships will configure them.
    la_lead = next(
        lead
        for lead in coventry.leads
        if lead.partner is not None and lead.partner.value == "local_authority"
    )
    upn_only = la_lead.model_copy(update={"aad_object_id": None})
    leads = tuple(upn_only if lead is la_lead else lead for lead in coventry.leads)
    services.partnerships.partnerships["coventry"] = coventry.model_copy(update={"leads": leads})
    clicker = {
        "id": "29:upn-user",
        "name": "LA Lead",
        "aadObjectId": "00000000-0000-0000-0000-0000000000d1",
    }
    connector.members["29:upn-user"] = {
        "aadObjectId": clicker["aadObjectId"],
        "userPrincipalName": "LA.LEAD@coventry.example",
    }
    card = await click(bot, connector, clicker, "not_notifiable", reason="No abuse suspected")
    assert "Recorded" in json.dumps(card)
    connector.members["29:upn-user"] = {"aadObjectId": clicker["aadObjectId"]}
    other = await click(bot, connector, clicker, "refresh")
    assert verbs(other) == set()  # without a matching UPN: read-only


# --- issue 14: the notification decision is the local authority's --------------------------


def _inputs(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    found = [
        a["card"]["body"]
        for a in card.get("actions", [])
        if a["type"] == "Action.ShowCard" and a["card"]["actions"][0]["verb"] == verb
    ]
    assert found, f"no {verb} button"
    body: list[dict[str, Any]] = found[0]
    return body


async def test_a_police_leads_not_notifiable_is_refused_and_audited_the_las_sin_recorded(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    refused = await click(bot, connector, POLICE, "not_notifiable", reason="No abuse suspected")
    assert "is for the local authority to decide" in json.dumps(refused)
    assert await _status(filed) == "referred"
    trail = await filed.audit_trail("COV-2026-001")
    assert trail[-1]["what"] == "refused: not_notifiable"
    assert (trail[-1]["actor"], trail[-1]["partner"], trail[-1]["refusal"]) == (
        POLICE["aadObjectId"],
        "police",
        "local_authority_only",
    )
    # The police lead's own card never offered it.
    police_view = await click(bot, connector, POLICE, "refresh")
    assert not {"sin_made", "not_notifiable"} & verbs(police_view)

    recorded = await click(bot, connector, LA, "sin_made", on="2026-11-23")
    assert "Recorded: SIN made" in json.dumps(recorded)
    assert await _status(filed) == "rapid_review"
    trail = await filed.audit_trail("COV-2026-001")
    assert (trail[-1]["kind"], trail[-1]["partner"]) == ("sin_made", "local_authority")


async def test_the_business_unit_records_the_sin_for_the_la_only_saying_so(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    view = await click(bot, connector, BUSINESS_MANAGER, "refresh")
    toggles = [i for i in _inputs(view, "sin_made") if i["type"] == "Input.Toggle"]
    assert [t["id"] for t in toggles] == ["on_behalf_of_la"]
    assert_valid_card(view)
    la_view = await click(bot, connector, LA, "refresh")
    assert not [i for i in _inputs(la_view, "sin_made") if i["type"] == "Input.Toggle"]

    unsaid = await click(
        bot, connector, BUSINESS_MANAGER, "sin_made", on="2026-11-23", on_behalf_of_la="false"
    )
    assert "To record it for them, tick" in json.dumps(unsaid)
    assert await _status(filed) == "referred"
    trail = await filed.audit_trail("COV-2026-001")
    assert (trail[-1]["what"], trail[-1]["refusal"]) == ("refused: sin_made", "say_on_behalf")

    # A police lead ticking the box (a forged click: their card has no box) still speaks for
    # the police.
    forged = await click(
        bot, connector, POLICE, "sin_made", on="2026-11-23", on_behalf_of_la="true"
    )
    assert "is for the local authority to decide" in json.dumps(forged)

    said = await click(
        bot, connector, BUSINESS_MANAGER, "sin_made", on="2026-11-23", on_behalf_of_la="true"
    )
    assert "Recorded: SIN made" in json.dumps(said)
    trail = await filed.audit_trail("COV-2026-001")
    assert (trail[-1]["kind"], trail[-1]["on_behalf_of"]) == ("sin_made", "local_authority")
    loaded = await filed.get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].decisions[-1].actor.on_behalf_of is Partner.LOCAL_AUTHORITY


async def test_closing_a_case_shows_on_its_card_and_tells_the_referrer_without_the_reason(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    await click(bot, connector, LA, "not_notifiable", reason="Accidental injury")
    view = await click(bot, connector, LA, "refresh")
    assert "close_case" in verbs(view)
    before = len(connector.sent)
    card = await click(bot, connector, LA, "close_case", reason="CDOP and the LADO have it in hand")
    assert await _status(filed) == "closed"
    text = json.dumps(card)
    assert "Recorded: Close the case" in text
    assert "On record" in text
    assert "CDOP and the LADO have it in hand" in text
    assert verbs(card) == set()
    to_referrer = [
        s for s in connector.sent[before:] if s.conversation_id.startswith("a:personal-")
    ]
    told = json.dumps(to_referrer[0].body)
    assert "closed its work on this referral" in told
    assert "LADO" not in told


# --- issue 14: Individual Agency Summaries, agency by agency ----------------------------------


def _summaries_fact(card: dict[str, Any]) -> str:
    facts = [f for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]]
    return next(str(f["value"]) for f in facts if f["title"] == "Agency summaries")


def _referrer_texts(connector: FakeConnector, since: int) -> list[str]:
    return [
        json.dumps(s.body)
        for s in connector.sent[since:]
        if s.conversation_id.startswith("a:personal-")
    ]


async def test_agencies_asked_and_a_summary_in_through_the_leads_card(
    bot: Client, connector: FakeConnector, filed: CaseRepository
) -> None:
    await click(bot, connector, LA, "sin_made", on="2026-11-23")
    view = await click(bot, connector, BUSINESS_MANAGER, "refresh")
    asked = _inputs(view, "summaries_requested")
    # The referral names the school; other agencies are added by name.
    assert [(i["id"], i["valueOn"]) for i in asked if i["type"] == "Input.Toggle"] == [
        ("agency.0", "school")
    ]
    assert "summaries_received" not in verbs(view)

    before = len(connector.sent)
    card = await click(
        bot,
        connector,
        BUSINESS_MANAGER,
        "summaries_requested",
        on="2026-11-24",
        **{"agency.0": "school", "agencies_named": "Oak Housing Trust\r\n\r\npolice\n"},
    )
    assert "Recorded: Summaries requested" in json.dumps(card)
    assert _summaries_fact(card) == (
        "0 of 3 in; outstanding: School / college, Oak Housing Trust, Police"
    )
    assert_valid_card(card)
    channel = [s for s in connector.sent[before:] if s.method == "PUT"]
    assert "Oak Housing Trust" in json.dumps(channel[-1].body)  # the channel's copy too
    [told] = _referrer_texts(connector, before)
    assert "Agencies were asked for their summaries on 24 November 2026" in told
    assert "Oak Housing" not in told

    received = _inputs(card, "summaries_received")
    boxes = {i["valueOn"]: i["id"] for i in received if i["type"] == "Input.Toggle"}
    assert boxes == {"school": "agency.0", "Oak Housing Trust": "agency.1", "police": "agency.2"}
    before = len(connector.sent)
    card = await click(
        bot,
        connector,
        BUSINESS_MANAGER,
        "summaries_received",
        on="2026-11-24",
        # Unticked boxes come back with their "off" value.
        **{"agency.0": "", "agency.1": "Oak Housing Trust", "agency.2": ""},
    )
    assert "Recorded: Summaries received" in json.dumps(card)
    assert _summaries_fact(card) == (
        "1 of 3 in: Oak Housing Trust (24 Nov); outstanding: School / college, Police"
    )
    assert _referrer_texts(connector, before) == []  # one agency in is not news for the referrer
    trail = await filed.audit_trail("COV-2026-001")
    assert trail[-1]["kind"] == "summaries_received"
    assert trail[-1]["data"] == {"on": "2026-11-24", "agencies": ["Oak Housing Trust"]}

    # The rest in: the summaries-in milestone is met, and the referrer hears that they are all in.
    before = len(connector.sent)
    await click(
        bot,
        connector,
        HEALTH,
        "summaries_received",
        on="2026-11-24",
        **{"agency.0": "school", "agency.1": "police"},
    )
    loaded = await filed.get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].milestone_events["rr_ias_returns"].completion is not None
    [told] = _referrer_texts(connector, before)
    assert "The agencies' summaries were in by 24 November 2026" in told
