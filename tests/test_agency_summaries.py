"""Individual Agency Summaries per agency: who was asked and when, whose are in, the chasing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from cards import wording
from cards.decisions import decision_card
from cards.referral import channel_case_card
from cards.reminders import reminder_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Actor, Case
from safeguarding.decisions import (
    AlreadyDecidedError,
    DatedDecision,
    DecisionKind,
    DecisionNotAllowedError,
    InvalidDecisionError,
    SummariesDecision,
    agencies_to_ask,
    agency_summaries,
    agreement_status,
    apply_decision,
    available_decisions,
    case_agencies,
    decision_summary,
    parse_decision,
)
from safeguarding.referral import Agencies
from safeguarding.timeline import MilestoneKey, MilestoneStatus
from scheduler.plan import Reminder, plan_reminders
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support import activities, clicks
from tests.support.cards import assert_valid_card
from tests.support.cases import make_case, make_referral
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock
from tests.test_decisions import (
    BM,
    HEALTH,
    LA,
    apply,
    coventry,
    decide,
    in_rapid_review,
    new_case,
    partnerships,
    refused,
    timeline_of,
)
from tests.test_reminders import posted, runner_for

Client = TestClient[Any, Any]

# The SIN was made on Wed 25 Nov 2026: the requests are day 1 (Thu 26 Nov) and the summaries
# are due on day 10, Wed 9 Dec 2026 (local practice within the 15 working days).
ASKED = date(2026, 11, 26)
DAY_10 = date(2026, 12, 9)
INVOLVED = ("police", "gp", "school", "housing", "mental_health")
OTHER = "Oak Housing Trust"


def _with_agencies(case: Case, involved: tuple[str, ...] = INVOLVED, other: str = OTHER) -> Case:
    referral = case.referral.model_copy(
        update={"agencies": Agencies(involved=involved, other=other)}
    )
    return case.model_copy(update={"referral": referral})


def _request(on: date, *agencies: str) -> SummariesDecision:
    return SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=on, agencies=agencies)


def _received(on: date, *agencies: str) -> SummariesDecision:
    return SummariesDecision(kind=DecisionKind.SUMMARIES_RECEIVED, on=on, agencies=agencies)


def _asked_five() -> Case:
    """In rapid review, the five listed agencies asked on day 1."""
    rapid = in_rapid_review().model_copy(update={"referral": _with_agencies(new_case()).referral})
    return decide(rapid, _request(ASKED, *INVOLVED), BM, ASKED)


def _three_in() -> Case:
    case = decide(_asked_five(), _received(date(2026, 12, 3), "police"), BM, date(2026, 12, 3))
    return decide(case, _received(date(2026, 12, 4), "gp", "school"), HEALTH, date(2026, 12, 4))


# --- the domain: requests, returns, completion, outstanding ------------------------------------


def test_the_case_agencies_are_the_referrals_keys_and_its_other_agency() -> None:
    case = _with_agencies(new_case())
    assert case_agencies(case) == (*INVOLVED, OTHER)
    # An "other" agency that is a listed one is not offered twice.
    assert case_agencies(_with_agencies(new_case(), ("police",), " Police ")) == ("police",)


def test_a_request_records_each_agency_asked_and_when() -> None:
    case = _asked_five()
    status = agency_summaries(case)
    assert [(a.agency, a.requested_on, a.returned_on) for a in status.agencies] == [
        (agency, ASKED, None) for agency in INVOLVED
    ]
    assert status.requested_on == ASKED
    assert status.outstanding == INVOLVED
    assert status.all_in_on is None
    timeline = timeline_of(case, ASKED)
    assert timeline.get(MilestoneKey.RR_IAS_REQUESTS).completed_on == ASKED
    assert timeline.get(MilestoneKey.RR_IAS_RETURNS).status is not MilestoneStatus.DONE
    # The referral's "other" agency is still to ask; the five are not offered again.
    assert agencies_to_ask(case) == (OTHER,)


def test_agencies_are_added_later_and_by_name_each_once() -> None:
    later = date(2026, 11, 30)
    case = decide(_asked_five(), _request(later, "oak  housing trust", "Youth Hub"), BM, later)
    status = agency_summaries(case)
    assert [(a.agency, a.requested_on) for a in status.agencies[-2:]] == [
        ("oak housing trust", later),
        ("Youth Hub", later),
    ]
    # The day-1 milestone was met by the first request, and stays so.
    assert timeline_of(case, later).get(MilestoneKey.RR_IAS_REQUESTS).completed_on == ASKED
    # Named as the referral names it, whatever the case and spacing.
    assert agencies_to_ask(case) == ()
    with refused(AlreadyDecidedError, match="^GP was already asked for a summary on 26 November"):
        apply(case, _request(later, "GP"), LA, later)
    with refused(AlreadyDecidedError, match="^Youth Hub was already asked for a summary on 30"):
        apply(case, _request(later, "youth hub"), LA, later)


def test_returns_are_recorded_per_agency_and_the_outstanding_listed() -> None:
    case = _three_in()
    status = agency_summaries(case)
    assert [(a.agency, a.returned_on) for a in status.returned] == [
        ("police", date(2026, 12, 3)),
        ("gp", date(2026, 12, 4)),
        ("school", date(2026, 12, 4)),
    ]
    assert status.outstanding == ("housing", "mental_health")
    assert status.all_in_on is None
    assert (
        timeline_of(case, date(2026, 12, 4)).get(MilestoneKey.RR_IAS_RETURNS).completed_on is None
    )
    assert DecisionKind.SUMMARIES_RECEIVED in available_decisions(case)


def test_the_last_summary_in_completes_the_summaries_in_milestone() -> None:
    # Recorded on the 8th, the housing summary had come in on the 7th: the day that counts is
    # the last summary's, not the day it was recorded.
    case = decide(_three_in(), _received(date(2026, 12, 8), "mental_health"), BM, date(2026, 12, 8))
    case = decide(case, _received(date(2026, 12, 7), "housing"), BM, date(2026, 12, 8))
    status = agency_summaries(case)
    assert status.outstanding == ()
    assert status.all_in_on == date(2026, 12, 8)
    returns = timeline_of(case, date(2026, 12, 8)).get(MilestoneKey.RR_IAS_RETURNS)
    assert returns.status is MilestoneStatus.DONE
    assert returns.completed_on == date(2026, 12, 8)
    assert returns.on_time is True
    # All in: nothing more to receive, and the whole-case decision is not offered; another
    # agency can still be asked (which opens the milestone again, below).
    offered = set(available_decisions(case))
    assert not {DecisionKind.SUMMARIES_RECEIVED, DecisionKind.SUMMARIES_RETURNED} & offered
    assert DecisionKind.SUMMARIES_REQUESTED in offered
    with refused(AlreadyDecidedError, match="already in on 8 December 2026"):
        apply(case, _received(date(2026, 12, 8), "housing"), BM, date(2026, 12, 8))


def test_the_referrer_is_told_only_that_summaries_were_asked_for_and_are_all_in() -> None:
    case = _three_in()
    asked_line = "Agencies were asked for their summaries on 26 November 2026"
    lines = wording.summary_lines(decision_summary(case))
    assert lines == [
        "The local authority notified the national Panel on 25 November 2026",
        "A rapid review began",
        asked_line,
    ]
    case = decide(case, _request(date(2026, 12, 4), "Youth Hub"), BM, date(2026, 12, 4))
    case = decide(case, _received(DAY_10, "housing", "mental_health", "Youth Hub"), BM, DAY_10)
    lines = wording.summary_lines(decision_summary(case))
    assert lines[2:] == [asked_line, "The agencies' summaries were in by 9 December 2026"]
    told = " ".join(lines)
    for name in ("Police", "GP", "Housing", "Youth Hub"):
        assert name not in told


def test_refusals_name_the_agency_and_the_day() -> None:
    case = _three_in()
    day = date(2026, 12, 4)
    with refused(InvalidDecisionError, match="^Youth Hub has not been asked for a summary"):
        apply(case, _received(day, "Youth Hub"), BM, day)
    with refused(AlreadyDecidedError, match="summary from Police was already recorded as in on 3"):
        apply(case, _received(day, "housing", "Police"), LA, day)
    with refused(InvalidDecisionError, match="cannot be before 'Summaries requested' \\(26 Nov"):
        apply(case, _received(date(2026, 11, 25), "housing"), BM, day)
    with refused(InvalidDecisionError, match="^choose or name at least one agency$"):
        parse_decision({"kind": "summaries_received", "on": "2026-12-04"})
    with refused(InvalidDecisionError, match="^choose or name at least one agency$"):
        parse_decision({"kind": "summaries_requested", "on": "2026-12-04", "agencies": []})
    # Nothing asked by name: nothing to receive by name yet.
    with refused(DecisionNotAllowedError, match="Record 'Summaries requested' before"):
        apply(in_rapid_review(), _received(day, "police"), BM, day)


def test_the_whole_case_summaries_in_still_completes_it_as_a_shortcut() -> None:
    case = decide(
        _three_in(), DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=DAY_10), BM, DAY_10
    )
    status = agency_summaries(case)
    assert status.outstanding == ()
    assert status.all_in_on == DAY_10
    late = [(a.agency, a.returned_on, a.by_whole_case) for a in status.agencies if a.by_whole_case]
    assert late == [("housing", DAY_10, True), ("mental_health", DAY_10, True)]
    assert timeline_of(case, DAY_10).get(MilestoneKey.RR_IAS_RETURNS).completed_on == DAY_10
    assert wording.summary_lines(decision_summary(case))[-1] == (
        "The agencies' summaries were in by 9 December 2026"
    )
    assert DecisionKind.SUMMARIES_RECEIVED not in available_decisions(case)


def test_a_case_stored_with_only_whole_case_decisions_reads_as_before() -> None:
    # As stored before agencies were named: "summaries requested" and "in" carry only a day.
    stored = in_rapid_review().model_dump(mode="json")
    stored["decisions"] += [
        {
            "kind": "summaries_requested",
            "data": {"on": "2026-11-26"},
            "actor": BM.model_dump(mode="json"),
            "at": "2026-11-26T10:00:00Z",
            "version": 3,
        },
    ]
    stored["milestone_events"]["rr_ias_requests"] = {"completion": {"on": "2026-11-26"}}
    stored["version"] = 3
    case = Case.model_validate(stored)
    status = agency_summaries(case)
    assert (status.agencies, status.requested_on, status.all_in_on) == ((), ASKED, None)
    assert wording.summary_lines(decision_summary(case))[-1] == (
        "Agencies were asked for their summaries on 26 November 2026"
    )
    # Asked as a whole, the agencies can still be named, and the whole-case "in" still works.
    assert DecisionKind.SUMMARIES_REQUESTED in available_decisions(case)
    assert DecisionKind.SUMMARIES_RECEIVED not in available_decisions(case)
    with refused(AlreadyDecidedError, match="already requested on 26 November 2026"):
        apply(case, SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=ASKED), BM, ASKED)
    named = decide(case, _request(date(2026, 11, 27), "police"), BM, date(2026, 11, 27))
    assert agency_summaries(named).outstanding == ("police",)
    done = decide(case, DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=DAY_10), BM, DAY_10)
    assert timeline_of(done, DAY_10).get(MilestoneKey.RR_IAS_RETURNS).completed_on == DAY_10


# --- planning: the day-10 reminder names the agencies still outstanding ------------------------


def _plan(cases: list[Case], day: date, hour: int = 10) -> list[Reminder]:
    now = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)  # winter: London is UTC
    return [
        r
        for r in plan_reminders(
            cases, partnerships=partnerships(), calendars=PartnershipCalendars(), now=now
        )
        if r.milestone is MilestoneKey.RR_IAS_RETURNS
    ]


def test_the_day_10_reminder_names_the_agencies_still_outstanding() -> None:
    [reminder] = _plan([_three_in()], DAY_10)
    assert (reminder.kind, reminder.due) == ("due_today", DAY_10)
    assert reminder.outstanding == ("housing", "mental_health")
    [escalation] = _plan([_three_in()], date(2026, 12, 10))
    assert escalation.kind == "overdue"
    assert escalation.outstanding == ("housing", "mental_health")


def test_a_summary_coming_in_keeps_the_reminders_key() -> None:
    # The key is per case, milestone, kind and due date: the runner's claim on it holds, so a
    # return recorded on the day does not post the reminder again.
    [before] = _plan([_three_in()], DAY_10)
    case = decide(_three_in(), _received(DAY_10, "housing"), BM, DAY_10)
    [after] = _plan([case], DAY_10, hour=15)
    assert after.key == before.key == "COV-2026-001|rr_ias_returns|due_today|2026-12-09"
    assert after.outstanding == ("mental_health",)


def test_no_summaries_reminder_once_every_agency_is_in() -> None:
    case = decide(
        _three_in(), _received(date(2026, 12, 8), "housing", "mental_health"), BM, date(2026, 12, 8)
    )
    assert _plan([case], DAY_10) == []
    assert _plan([case], date(2026, 12, 10)) == []


# --- cards: the case card, the lead's card, the reminder; agency names escaped -----------------

HOSTILE = "[Oak](https://evil.example) <at>Bea</at> **Trust**"


def _hostile_case() -> Case:
    return decide(_three_in(), _request(date(2026, 12, 4), HOSTILE), BM, date(2026, 12, 4))


def _case_card(case: Case, today: date = DAY_10) -> dict[str, Any]:
    return channel_case_card(
        case=case, partnership=coventry(), timeline=timeline_of(case, today), today=today
    )


def _fact(card: dict[str, Any], title: str) -> str:
    facts = [f for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]]
    return next(str(f["value"]) for f in facts if f["title"] == title)


def test_the_case_card_shows_the_returns_and_the_outstanding() -> None:
    card = _case_card(_three_in())
    # The card's own brackets around the days; the agencies' names escaped.
    assert _fact(card, wording.FACT_AGENCY_SUMMARIES) == (
        "3 of 5 in: Police (3 Dec), GP (4 Dec), School / college (4 Dec);"
        " outstanding: Housing, Mental health \\(CAMHS / adult\\)"
    )
    assert_valid_card(card)
    done = decide(
        _three_in(), DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=DAY_10), BM, DAY_10
    )
    assert _fact(_case_card(done), wording.FACT_AGENCY_SUMMARIES).startswith(
        "All 5 in: Police (3 Dec), GP (4 Dec), School / college (4 Dec), Housing (by 9 Dec)"
    )
    # A case asked as a whole has no agencies to list: its card is as it was.
    facts = json.dumps(_case_card(in_rapid_review()))
    assert wording.FACT_AGENCY_SUMMARIES not in facts


def test_agency_names_are_escaped_on_the_case_card() -> None:
    card = _case_card(_hostile_case())
    value = _fact(card, wording.FACT_AGENCY_SUMMARIES)
    assert value.endswith(
        "outstanding: Housing, Mental health \\(CAMHS / adult\\),"
        " \\[Oak\\]\\(https://evil\\.example\\) \\<at\\>Bea\\</at\\> \\*\\*Trust\\*\\*"
    )
    text = json.dumps(card)
    assert "[Oak](https" not in text
    assert "<at>Bea" not in text
    assert_valid_card(card)


def _lead_card(case: Case) -> dict[str, Any]:
    return decision_card(
        {"type": "AdaptiveCard", "version": "1.5", "body": []},
        reference=case.reference,
        agreement=agreement_status(case),
        available=available_decisions(case),
        for_lead=True,
        refresh_user_ids=[],
        agencies_to_ask=agencies_to_ask(case),
        summaries_outstanding=agency_summaries(case).outstanding,
    )


def _shown(card: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {a["card"]["actions"][0]["verb"]: a["card"]["body"] for a in card.get("actions", [])}


def _toggles(body: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["title"], e["valueOn"]) for e in body if e["type"] == "Input.Toggle"]


def test_the_lead_picks_the_agencies_asked_and_those_whose_summaries_came_in() -> None:
    rapid = in_rapid_review().model_copy(update={"referral": _with_agencies(new_case()).referral})
    shown = _shown(_lead_card(rapid))
    assert _toggles(shown["summaries_requested"]) == [
        ("Police", "police"),
        ("GP", "gp"),
        ("School / college", "school"),
        ("Housing", "housing"),
        ("Mental health (CAMHS / adult)", "mental_health"),
        (OTHER, OTHER),
    ]
    named = [e for e in shown["summaries_requested"] if e.get("id") == "agencies_named"]
    assert [e["isMultiline"] for e in named] == [True]
    assert "summaries_received" not in shown

    hostile = _hostile_case()
    shown = _shown(_lead_card(hostile))
    assert _toggles(shown["summaries_requested"]) == [(OTHER, OTHER)]
    # Input titles are plain text in Teams: shown as typed, carried back as the case has it.
    assert _toggles(shown["summaries_received"]) == [
        ("Housing", "housing"),
        ("Mental health (CAMHS / adult)", "mental_health"),
        (HOSTILE, HOSTILE),
    ]
    assert_valid_card(_lead_card(hostile))


def test_the_reminder_names_the_outstanding_agencies_escaped_with_a_received_button() -> None:
    card = reminder_card(
        for_lead=True,
        reference="COV-2026-001",
        kind="overdue",
        milestone=MilestoneKey.RR_IAS_RETURNS,
        lead_days=None,
        due=DAY_10,
        original_due=None,
        working_days_left=-1,
        responsible="each agency involved",
        late=False,
        outstanding=("housing", HOSTILE),
    )
    assert_valid_card(card)
    assert _fact(card, wording.REMINDER_OUTSTANDING) == (
        "Housing, \\[Oak\\]\\(https://evil\\.example\\) \\<at\\>Bea\\</at\\> \\*\\*Trust\\*\\*"
    )
    assert wording.REMINDER_CHASE in json.dumps(card)
    shown = _shown(card)
    assert set(shown) == {"summaries_received", "summaries_returned", "slip"}
    assert _toggles(shown["summaries_received"]) == [("Housing", "housing"), (HOSTILE, HOSTILE)]
    # Nothing outstanding by name (asked as a whole): the reminder is as it was.
    plain = reminder_card(
        for_lead=True,
        reference="COV-2026-001",
        kind="overdue",
        milestone=MilestoneKey.RR_IAS_RETURNS,
        lead_days=None,
        due=DAY_10,
        original_due=None,
        working_days_left=-1,
        responsible="each agency involved",
        late=False,
    )
    assert set(_shown(plain)) == {"summaries_returned", "slip"}
    assert wording.REMINDER_OUTSTANDING not in json.dumps(plain)


# --- the tick: posted once on day 10 naming who is outstanding; a return does not re-post ------


def _example_case(app_partnership: Any) -> Case:
    """Aware and SIN on Wed 23 Dec 2026; the school and a named agency asked on Thu 24 Dec."""
    referral = make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23))
    referral = referral.model_copy(
        update={"agencies": Agencies(involved=("school",), other="Oak Housing Trust")}
    )
    case = make_case(referral, submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC))
    for decision in (
        DatedDecision(kind=DecisionKind.SIN_MADE, on=date(2026, 12, 23)),
        DatedDecision(kind=DecisionKind.PARTNERS_NOTIFIED, on=date(2026, 12, 23)),
        _request(date(2026, 12, 24), "school", "Oak Housing Trust"),
    ):
        case = apply_decision(
            case,
            decision,
            actor=_la(app_partnership),
            partnership=app_partnership,
            at=datetime(2026, 12, 24, 10, tzinfo=UTC),
        ).case
    return case


def _la(app_partnership: Any) -> Actor:
    lead = next(lead for lead in app_partnership.leads if lead.partner is not None)
    return Actor.from_lead(lead, lead.aad_object_id or "29:la")


def _posted_card(connector: FakeConnector, title: str) -> dict[str, Any]:
    [card] = [c for s in connector.to("team-id") for c in s.cards if c["body"][0]["text"] == title]
    return card


async def test_the_tick_chases_on_day_10_once_and_a_return_does_not_repost(
    bot: Client, connector: FakeConnector, store: TinyDBStore, clock: FakeClock
) -> None:
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    coventry_app = bot.server.app[SERVICES].partnerships.partnerships["coventry"]
    repo = CaseRepository(store)
    await repo.create(_example_case(coventry_app))
    runner, _ = runner_for(bot, store, clock)

    # Day 10 counted from the SIN on Wed 23 Dec 2026 is Mon 11 Jan 2027.
    clock.set(datetime(2027, 1, 11, 9, 30, tzinfo=UTC))
    connector.sent.clear()
    await runner.tick()
    title = "Due today: Rapid review: summaries in (COV-2026-001)"
    card = _posted_card(connector, title)
    assert _fact(card, wording.REMINDER_OUTSTANDING) == "School / college, Oak Housing Trust"

    loaded = await repo.get("COV-2026-001")
    assert loaded is not None
    case, etag = loaded
    returned = apply_decision(
        case,
        _received(date(2027, 1, 11), "school"),
        actor=_la(coventry_app),
        partnership=coventry_app,
        at=datetime(2027, 1, 11, 11, tzinfo=UTC),
    )
    await repo.save(returned.case, etag)
    clock.set(datetime(2027, 1, 11, 14, tzinfo=UTC))
    again = await runner.tick()
    assert not [key for key in again.sent if "|rr_ias_returns|" in key]
    assert posted(connector).count(title) == 1

    # The next working day the escalation names only the agency still outstanding.
    clock.set(datetime(2027, 1, 12, 9, 30, tzinfo=UTC))
    await runner.tick()
    overdue = _posted_card(connector, "Overdue: Rapid review: summaries in (COV-2026-001)")
    assert _fact(overdue, wording.REMINDER_OUTSTANDING) == "Oak Housing Trust"


@pytest.mark.parametrize("name", ["Police", "police", " POLICE "])
def test_a_listed_agency_typed_by_name_is_that_agency(name: str) -> None:
    decision = parse_decision(
        {"kind": "summaries_requested", "on": "2026-11-26", "agencies": ["police", name]}
    )
    assert isinstance(decision, SummariesDecision)
    assert decision.agencies == ("police",)


# --- an agency asked after every summary was in: the milestone opens again ---------------------

# The reviewer's steps: the SIN made on Fri 20 Nov 2026 (day 10 is Fri 4 Dec); the police asked
# on 21 Nov; the police's summary in on 23 Nov; then the GP, found to be involved, on 24 Nov.
SIN_20 = date(2026, 11, 20)
POLICE_ASKED = date(2026, 11, 21)
POLICE_IN = date(2026, 11, 23)
GP_ASKED = date(2026, 11, 24)
GP_IN = date(2026, 11, 26)
DAY_10_OF_20 = date(2026, 12, 4)


def _police_in() -> Case:
    case = decide(new_case(), DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_20), LA, SIN_20)
    case = decide(case, _request(POLICE_ASKED, "police"), BM, POLICE_ASKED)
    return decide(case, _received(POLICE_IN, "Police"), BM, POLICE_IN)


def _gp_asked() -> Case:
    return decide(_police_in(), _request(GP_ASKED, "GP"), BM, GP_ASKED)


def _returns(case: Case, today: date) -> Any:
    return timeline_of(case, today).get(MilestoneKey.RR_IAS_RETURNS)


def test_an_agency_asked_after_all_were_in_opens_the_summaries_in_milestone_again() -> None:
    # Every agency asked is in: the milestone is met on the police's day.
    police_in = _police_in()
    assert _returns(police_in, POLICE_IN).completed_on == POLICE_IN
    assert DecisionKind.SUMMARIES_REQUESTED in available_decisions(police_in)

    # The GP is asked (this was refused as "summaries already in"): the milestone waits for it.
    case = _gp_asked()
    status = agency_summaries(case)
    assert [(a.agency, a.requested_on, a.returned_on) for a in status.agencies] == [
        ("police", POLICE_ASKED, POLICE_IN),
        ("gp", GP_ASKED, None),
    ]
    assert status.outstanding == ("gp",)
    assert status.all_in_on is None
    returns = _returns(case, GP_ASKED)
    assert (returns.completed_on, returns.status) == (None, MilestoneStatus.NOT_DUE_YET)
    assert returns.due == DAY_10_OF_20
    # The stored completion is gone (its slips would stay); the day-1 milestone stays met.
    assert case.milestone_events[MilestoneKey.RR_IAS_RETURNS.value].completion is None
    assert timeline_of(case, GP_ASKED).get(MilestoneKey.RR_IAS_REQUESTS).completed_on == (
        POLICE_ASKED
    )
    offered = set(available_decisions(case))
    assert {DecisionKind.SUMMARIES_RECEIVED, DecisionKind.SUMMARIES_RETURNED} <= offered
    # Open again, its date can be moved (a met deadline cannot).
    slip = parse_decision(
        {
            "kind": "slip",
            "milestone": "rr_ias_returns",
            "to": "2026-12-08",
            "reason": "The GP was found to be involved on day 3.",
        }
    )
    slipped = decide(case, slip, BM, GP_ASKED)
    assert _returns(slipped, GP_ASKED).due == date(2026, 12, 8)


def test_the_milestone_is_met_again_when_the_later_agency_is_in_on_the_latest_day() -> None:
    case = decide(_gp_asked(), _received(GP_IN, "gp"), HEALTH, GP_IN)
    status = agency_summaries(case)
    assert (status.outstanding, status.all_in_on) == ((), GP_IN)
    returns = _returns(case, GP_IN)
    assert (returns.status, returns.completed_on, returns.on_time) == (
        MilestoneStatus.DONE,
        GP_IN,
        True,
    )
    # And again for a third agency: each later agency opens it, each last summary meets it.
    day = date(2026, 11, 30)
    third = decide(case, _request(day, "Youth Hub"), BM, day)
    assert _returns(third, day).completed_on is None
    third = decide(third, _received(date(2026, 12, 7), "youth hub"), BM, date(2026, 12, 7))
    returns = _returns(third, date(2026, 12, 7))
    assert (returns.completed_on, returns.on_time) == (date(2026, 12, 7), False)

    # Recorded late: the GP was asked on the 22nd and its summary was in that day, before the
    # police's. The latest return date is the police's, and the milestone is met on it.
    backdated = decide(_police_in(), _request(date(2026, 11, 22), "gp"), BM, GP_ASKED)
    backdated = decide(backdated, _received(date(2026, 11, 22), "gp"), BM, GP_ASKED)
    assert agency_summaries(backdated).all_in_on == POLICE_IN
    assert _returns(backdated, GP_ASKED).completed_on == POLICE_IN


def test_asking_an_agency_already_asked_leaves_the_milestone_met() -> None:
    case = _police_in()
    with refused(AlreadyDecidedError, match="^Police was already asked for a summary on 21 Nov"):
        apply(case, _request(GP_ASKED, "GP", "police"), BM, GP_ASKED)
    with refused(AlreadyDecidedError, match="^The summaries were already in on 23 November 2026"):
        apply(case, _received(GP_ASKED, "police"), BM, GP_ASKED)
    assert _returns(case, GP_ASKED).completed_on == POLICE_IN


def test_after_the_whole_case_summaries_in_no_more_agencies_are_asked() -> None:
    # The shortcut said every summary was in for the case as a whole: it stands.
    whole = DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=DAY_10)
    case = decide(_three_in(), whole, BM, DAY_10)
    assert DecisionKind.SUMMARIES_REQUESTED not in available_decisions(case)
    told = "^The summaries for the whole case were marked as in on 9 December 2026"
    with refused(AlreadyDecidedError, match=told):
        apply(case, _request(DAY_10, "Youth Hub"), BM, DAY_10)

    # So for a case stored with only whole-case decisions (no agency named, none to tell apart).
    stored = in_rapid_review().model_dump(mode="json")
    stored["decisions"] += [
        {
            "kind": kind,
            "data": {"on": on},
            "actor": BM.model_dump(mode="json"),
            "at": f"{on}T10:00:00Z",
            "version": version,
        }
        for kind, on, version in (
            ("summaries_requested", "2026-11-26", 3),
            ("summaries_returned", "2026-12-09", 4),
        )
    ]
    stored["milestone_events"].update(
        rr_ias_requests={"completion": {"on": "2026-11-26"}},
        rr_ias_returns={"completion": {"on": "2026-12-09"}},
    )
    stored["version"] = 4
    old = Case.model_validate(stored)
    assert agency_summaries(old).all_in_on == DAY_10
    assert DecisionKind.SUMMARIES_REQUESTED not in available_decisions(old)
    with refused(AlreadyDecidedError, match=told):
        apply(old, _request(DAY_10, "police"), BM, DAY_10)


def test_the_whole_case_summaries_in_still_closes_a_case_opened_again() -> None:
    day = date(2026, 11, 27)
    case = decide(_gp_asked(), DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=day), BM, day)
    status = agency_summaries(case)
    assert [(a.agency, a.returned_on, a.by_whole_case) for a in status.agencies] == [
        ("police", POLICE_IN, False),
        ("gp", day, True),
    ]
    assert (status.all_in_on, _returns(case, day).completed_on) == (day, day)
    with refused(AlreadyDecidedError, match="for the whole case"):
        apply(case, _request(day, "school"), BM, day)


def test_a_case_stored_with_its_summaries_in_agency_by_agency_opens_again() -> None:
    # As the version before this one stored it: the milestone met by the police's summary.
    stored = decide(
        new_case(), DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_20), LA, SIN_20
    ).model_dump(mode="json")
    stored["decisions"] += [
        {
            "kind": kind,
            "data": {"on": on, "agencies": [agency]},
            "actor": BM.model_dump(mode="json"),
            "at": f"{on}T10:00:00Z",
            "version": version,
        }
        for kind, on, agency, version in (
            ("summaries_requested", "2026-11-21", "police", 3),
            ("summaries_received", "2026-11-23", "police", 4),
        )
    ]
    stored["milestone_events"].update(
        rr_ias_requests={"completion": {"on": "2026-11-21"}},
        rr_ias_returns={"completion": {"on": "2026-11-23"}},
    )
    stored["version"] = 4
    case = Case.model_validate(json.loads(json.dumps(stored)))
    assert agency_summaries(case).all_in_on == POLICE_IN
    opened = decide(case, _request(GP_ASKED, "GP"), BM, GP_ASKED)
    assert agency_summaries(opened).outstanding == ("gp",)
    assert _returns(opened, GP_ASKED).completed_on is None


def test_the_referrer_hears_the_summaries_are_in_only_when_they_are() -> None:
    def told(case: Case) -> list[str]:
        return wording.summary_lines(decision_summary(case))[2:]

    asked = "Agencies were asked for their summaries on 21 November 2026"
    assert told(_police_in()) == [asked, "The agencies' summaries were in by 23 November 2026"]
    # Asked again: they are not all in, and the referrer's summary says so no longer.
    assert told(_gp_asked()) == [asked]
    gp_in = decide(_gp_asked(), _received(GP_IN, "gp"), HEALTH, GP_IN)
    assert told(gp_in) == [asked, "The agencies' summaries were in by 26 November 2026"]


def test_the_day_10_chase_names_the_agency_asked_after_all_were_in() -> None:
    assert _plan([_police_in()], DAY_10_OF_20) == []
    [reminder] = _plan([_gp_asked()], DAY_10_OF_20)
    assert (reminder.kind, reminder.due, reminder.outstanding) == (
        "due_today",
        DAY_10_OF_20,
        ("gp",),
    )
    [escalation] = _plan([_gp_asked()], date(2026, 12, 7))
    assert (escalation.kind, escalation.outstanding) == ("overdue", ("gp",))
    gp_in = decide(_gp_asked(), _received(GP_IN, "gp"), HEALTH, GP_IN)
    assert _plan([gp_in], DAY_10_OF_20) == []
    # Asked after day 10: overdue at once, naming it; a new date for it is chased on that day.
    late = date(2026, 12, 7)
    case = decide(_police_in(), _request(late, "gp"), BM, late)
    [overdue] = _plan([case], late)
    assert (overdue.kind, overdue.due, overdue.outstanding) == ("overdue", DAY_10_OF_20, ("gp",))
    slip = {"kind": "slip", "milestone": "rr_ias_returns", "reason": "The GP was asked late."}
    case = decide(case, parse_decision({**slip, "to": "2026-12-10"}), BM, late)
    [chase] = _plan([case], date(2026, 12, 10))
    assert (chase.kind, chase.due, chase.outstanding) == ("due_today", date(2026, 12, 10), ("gp",))


def test_the_case_card_and_the_leads_card_follow_the_milestone_opening_again() -> None:
    police_in = _police_in()
    assert _fact(_case_card(police_in, GP_ASKED), wording.FACT_AGENCY_SUMMARIES) == (
        "All 1 in: Police (23 Nov)"
    )
    shown = _shown(_lead_card(police_in))
    assert "summaries_requested" in shown
    assert not {"summaries_received", "summaries_returned"} & set(shown)

    case = _gp_asked()
    card = _case_card(case, GP_ASKED)
    assert (
        _fact(card, wording.FACT_AGENCY_SUMMARIES) == "1 of 2 in: Police (23 Nov); outstanding: GP"
    )
    shown = _shown(_lead_card(case))
    assert _toggles(shown["summaries_received"]) == [("GP", "gp")]
    assert "summaries_returned" in shown
    assert_valid_card(_lead_card(case))

    gp_in = decide(case, _received(GP_IN, "gp"), HEALTH, GP_IN)
    assert _fact(_case_card(gp_in, GP_IN), wording.FACT_AGENCY_SUMMARIES) == (
        "All 2 in: Police (23 Nov), GP (26 Nov)"
    )


# --- a reminder's "Summaries received" clicked for an agency already in: a plain refusal -------

HEALTH_LEAD = {
    "id": "29:health",
    "name": "Health Lead",
    "aadObjectId": "00000000-0000-0000-0000-0000000000a2",
}


async def _click_reminder(
    bot: Client, connector: FakeConnector, card: dict[str, Any], **inputs: str
) -> dict[str, Any]:
    """What Teams sends for the reminder's Summaries received form, as the health lead."""
    [form] = [
        a["card"]
        for a in card["actions"]
        if a["type"] == "Action.ShowCard"
        and a["card"]["actions"][0]["verb"] == "summaries_received"
    ]
    execute = form["actions"][0]
    body = activities.action_execute(connector.url, execute["verb"], {**execute["data"], **inputs})
    body["from"] = HEALTH_LEAD
    body["conversation"] = {"id": "team-id", "conversationType": "channel", "isGroup": True}
    body["channelData"] = {"tenant": {"id": activities.TENANT}, "team": {"id": "team-id"}}
    response = await bot.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 200, await response.text()
    result = await response.json()
    assert (result["statusCode"], result["type"]) == (
        200,
        "application/vnd.microsoft.card.adaptive",
    )
    shown: dict[str, Any] = result["value"]
    return shown


def _notice(card: dict[str, Any]) -> str:
    [warning] = [e for e in card["body"] if e.get("style") == "warning"]
    return str(warning["items"][0]["text"])


async def test_a_reminder_click_for_an_agency_already_in_is_a_plain_refusal(
    bot: Client, connector: FakeConnector, store: TinyDBStore, clock: FakeClock
) -> None:
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    coventry_app = bot.server.app[SERVICES].partnerships.partnerships["coventry"]
    repo = CaseRepository(store)
    await repo.create(_example_case(coventry_app))
    runner, _ = runner_for(bot, store, clock)
    clock.set(datetime(2027, 1, 11, 9, 30, tzinfo=UTC))
    await runner.tick()
    channel_copy = _posted_card(connector, "Due today: Rapid review: summaries in (COV-2026-001)")
    # Read-only: only the button for leads, no forms.
    assert [a["type"] for a in channel_copy["actions"]] == ["Action.Execute"]
    # The health lead's copy refreshes into the reminder with the buttons.
    reminder = await clicks.refresh(bot, connector, HEALTH_LEAD, channel_copy)
    boxes = [
        (i["id"], i["valueOn"])
        for a in reminder["actions"]
        if a["type"] == "Action.ShowCard"
        for i in a["card"]["body"]
        if i["type"] == "Input.Toggle"
    ]
    assert boxes == [("agency.0", "school"), ("agency.1", "Oak Housing Trust")]

    async def record(agency: str, hour: int) -> None:
        # Another lead records it on the case card while the reminder still lists it.
        loaded = await repo.get("COV-2026-001")
        assert loaded is not None
        result = apply_decision(
            loaded[0],
            _received(date(2027, 1, 11), agency),
            actor=_la(coventry_app),
            partnership=coventry_app,
            at=datetime(2027, 1, 11, hour, tzinfo=UTC),
        )
        await repo.save(result.case, loaded[1])

    async def version() -> int:
        loaded = await repo.get("COV-2026-001")
        assert loaded is not None
        return loaded[0].version

    await record("school", 10)
    before = await version()
    clock.set(datetime(2027, 1, 11, 14, tzinfo=UTC))
    on = "2027-01-11"
    # The school ticked, alone or with the agency still outstanding: refused, naming it.
    for inputs in (
        {"agency.0": "school", "agency.1": ""},
        {"agency.0": "school", "agency.1": "Oak Housing Trust"},
    ):
        card = await _click_reminder(bot, connector, reminder, on=on, **inputs)
        assert _notice(card) == (
            "The summary from School / college was already recorded as in on 11 January 2027"
        )
        assert_valid_card(card)
        # The lead's card is back, offering only the agency still outstanding.
        assert _toggles(_shown(card)["summaries_received"]) == [
            ("Oak Housing Trust", "Oak Housing Trust")
        ]
    assert await version() == before

    # Every summary in since: a click for either is refused the same plain way.
    await record("Oak Housing Trust", 15)
    before = await version()
    clock.set(datetime(2027, 1, 11, 16, 30, tzinfo=UTC))
    card = await _click_reminder(
        bot, connector, reminder, on=on, **{"agency.1": "Oak Housing Trust"}
    )
    assert _notice(card) == "The summaries were already in on 11 January 2027"
    assert "summaries_received" not in _shown(card)
    assert_valid_card(card)
    assert await version() == before
