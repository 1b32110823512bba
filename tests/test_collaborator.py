"""A case the partnership takes part in: the child harmed in an area of England not served here.

Children Act 2004 s16C(1): the local authority where the child died or was seriously harmed
notifies the Panel and leads the rapid review. The child's home partnership, which has the case
(`LeadRule.LEAD_NOT_SERVED`), counts none of those deadlines, is reminded of none, records no
notification or rapid-review decision: it records that it told the leading authority, then
closes the case. The reviewer's steps: home Coventry, harmed elsewhere in England, LA aware
Tue 17 Nov 2026 (so a SIN would be due Tue 24 Nov), filed Fri 20 Nov 2026.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from bot.notifier import Notifier
from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.referral import acknowledgement_card, channel_case_card
from cli.main import run
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Actor, Case, CaseStatus
from safeguarding.decisions import (
    AlreadyDecidedError,
    DatedDecision,
    Decision,
    DecisionError,
    DecisionKind,
    DecisionNotAllowedError,
    DecisionProblem,
    InvalidDecisionError,
    ReasonedDecision,
    SafetyAction,
    SlipMilestone,
    apply_decision,
    available_decisions,
    decision_summary,
    lead_authority_told,
)
from safeguarding.leading import ELSEWHERE_IN_ENGLAND, LeadRule
from safeguarding.partnerships import Partnership, load_partnerships
from safeguarding.referral import Area
from safeguarding.timeline import (
    LEAD_ELSEWHERE_BASIS,
    MilestoneKey,
    MilestoneStatus,
    Timeline,
    compute_timeline,
)
from scheduler.plan import OpenMilestonesCache, Reminder, plan_digest, plan_reminders
from scheduler.runner import ReminderRunner
from storage.cases import CaseRepository
from storage.deliveries import DeliveryLog
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cards import assert_valid_card
from tests.support.cases import make_case, make_referral
from tests.support.clicks import click, post, verbs
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, FakeTime

INCIDENT = date(2026, 11, 16)
AWARE = date(2026, 11, 17)
FILED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SIN_WOULD_BE_DUE = date(2026, 11, 24)
TOLD = date(2026, 11, 23)
CALENDARS = PartnershipCalendars()


@cache
def coventry() -> Partnership:
    return load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships["coventry"]


def lead_actor(name: str) -> Actor:
    lead = next(lead for lead in coventry().leads if lead.name == name)
    assert lead.aad_object_id is not None
    return Actor.from_lead(lead, lead.aad_object_id)


LA = lead_actor("Example LA Lead")
BM = lead_actor("Example Business Manager")
POLICE = lead_actor("Example Police Lead")
# The business unit recording the local authority's decision for it, as the card lets it.
BM_FOR_LA = BM.model_copy(update={"on_behalf_of": LA.partner})


def collaborator_case(*, user_id: str = "29:referrer", led_here: bool = False) -> Case:
    """The reviewer's case: filed with Coventry, the child's home, as collaborator."""
    # make_referral's child was harmed in Coventry, where the child lives.
    referral = make_referral(incident=INCIDENT, la_aware=AWARE)
    if not led_here:
        area = Area(
            area="Coventry",
            harm_area=ELSEWHERE_IN_ENGLAND,
            partnership_id="coventry",
            lead_rule=LeadRule.LEAD_NOT_SERVED,
        )
        referral = referral.model_copy(update={"area": area})
    return make_case(referral, submitted_at=FILED, user_id=user_id)


def led_here() -> Case:
    """The same referral harmed in Coventry, where the child lives: Coventry leads."""
    return collaborator_case(led_here=True)


def timeline_of(case: Case, today: date) -> Timeline:
    return compute_timeline(
        case.dates,
        coventry().clock,
        CALENDARS.for_partnership(coventry()),
        today,
        events=case.milestone_events,
        collaborator=case.collaborator,
    )


def decide(case: Case, decision: Decision, who: Actor, day: date) -> Case:
    moment = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    result = apply_decision(case, decision, actor=who, partnership=coventry(), at=moment)
    assert result.changed
    return result.case


def refusal(case: Case, decision: Decision, who: Actor, day: date) -> DecisionError:
    with pytest.raises(DecisionError) as caught:
        decide(case, decision, who, day)
    return caught.value


def told(on: date = TOLD) -> DatedDecision:
    return DatedDecision(kind=DecisionKind.LEAD_AUTHORITY_TOLD, on=on)


SIN = DatedDecision(kind=DecisionKind.SIN_MADE, on=TOLD)
NOT_NOTIFIABLE = ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE, reason="Not ours to decide")
CLOSE = ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="The leading authority has it")


# --- the timeline ------------------------------------------------------------------------------


def test_only_a_case_harmed_in_an_area_not_served_here_is_a_collaborator() -> None:
    assert collaborator_case().collaborator is True
    assert led_here().collaborator is False


def test_every_milestone_is_the_leading_authoritys_not_applicable_here() -> None:
    # The day after a SIN counted from the home LA's awareness would have been due.
    timeline = timeline_of(collaborator_case(), date(2026, 11, 25))
    for milestone in timeline.milestones:
        assert milestone.status is MilestoneStatus.NOT_APPLICABLE, milestone.key
        assert milestone.due is None, milestone.key
        assert milestone.basis == LEAD_ELSEWHERE_BASIS
        assert "s16C(1)" in milestone.basis
        assert milestone.responsible == "the local authority where the child was harmed"
        assert milestone.partners == ()
    assert timeline.needing_attention() == ()


def test_the_same_referral_led_here_keeps_its_clock() -> None:
    timeline = timeline_of(led_here(), date(2026, 11, 25))
    sin = timeline.get(MilestoneKey.SIN)
    assert (sin.status, sin.due, sin.responsible) == (
        MilestoneStatus.OVERDUE,
        SIN_WOULD_BE_DUE,
        "the local authority",
    )
    assert timeline.get(MilestoneKey.NOTIFY_PARTNERS).status is MilestoneStatus.OVERDUE


# --- the decisions -----------------------------------------------------------------------------


def test_a_new_collaborator_case_offers_only_telling_the_leading_authority() -> None:
    case = collaborator_case()
    assert available_decisions(case) == [DecisionKind.LEAD_AUTHORITY_TOLD]
    for who in (LA, BM, POLICE):
        lead = next(lead for lead in coventry().leads if lead.name == who.name)
        assert available_decisions(case, lead) == [DecisionKind.LEAD_AUTHORITY_TOLD]


@pytest.mark.parametrize(
    ("decision", "who"),
    [
        (SIN, LA),
        (SIN, BM_FOR_LA),
        (NOT_NOTIFIABLE, LA),
        (NOT_NOTIFIABLE, BM_FOR_LA),
        (DatedDecision(kind=DecisionKind.PARTNERS_NOTIFIED, on=TOLD), LA),
        (SafetyAction(on=TOLD, needed=False), LA),
        (
            SlipMilestone(milestone=MilestoneKey.SIN, to=date(2026, 12, 1), reason="Waiting"),
            BM,
        ),
    ],
)
def test_the_notification_and_rapid_review_decisions_are_refused(
    decision: Decision, who: Actor
) -> None:
    case = collaborator_case()
    error = refusal(case, decision, who, date(2026, 11, 24))
    assert isinstance(error, DecisionNotAllowedError)
    assert error.code is DecisionProblem.LEAD_ELSEWHERE
    said = wording.decision_problem(error)
    assert "is not for this partnership" in said
    assert "s16C(1)" in said
    assert "takes part" in said


def test_told_once_then_closed_with_a_reason() -> None:
    case = collaborator_case()
    early = refusal(case, CLOSE, BM, date(2026, 11, 24))
    assert wording.decision_problem(early) == (
        "Record 'Leading local authority told' before 'Close the case'"
    )

    case = decide(case, told(), BM, date(2026, 11, 24))
    assert lead_authority_told(case) == TOLD
    assert case.status is CaseStatus.REFERRED
    assert case.dates == collaborator_case().dates  # no milestone, no SIN date
    assert available_decisions(case) == [DecisionKind.CLOSE_CASE]
    again = refusal(case, told(date(2026, 11, 24)), LA, date(2026, 11, 24))
    assert isinstance(again, AlreadyDecidedError)
    assert wording.decision_problem(again) == (
        "'Leading local authority told' was already recorded on 23 November 2026"
    )

    closed = decide(case, CLOSE, LA, date(2026, 11, 25))
    assert closed.status is CaseStatus.CLOSED
    assert available_decisions(closed) == []
    assert wording.summary_lines(decision_summary(closed)) == [
        "The partnership told the local authority where the child was harmed, which leads, on"
        " 23 November 2026",
        "The partnership has closed its work on this referral",
    ]


def test_the_day_told_is_a_real_day_of_the_case() -> None:
    case = collaborator_case()
    future = refusal(case, told(date(2026, 11, 25)), BM, date(2026, 11, 24))
    assert isinstance(future, InvalidDecisionError)
    assert future.code is DecisionProblem.DATE_IN_FUTURE
    before = refusal(case, told(date(2026, 11, 13)), BM, date(2026, 11, 24))
    assert before.code is DecisionProblem.DATE_BEFORE_INCIDENT


def test_a_case_led_here_has_no_leading_authority_to_tell() -> None:
    case = led_here()
    assert DecisionKind.LEAD_AUTHORITY_TOLD not in available_decisions(case)
    assert {DecisionKind.SIN_MADE, DecisionKind.NOT_NOTIFIABLE} <= set(available_decisions(case))
    error = refusal(case, told(), BM, date(2026, 11, 24))
    assert error.code is DecisionProblem.LEADS_HERE


def test_a_case_run_as_if_it_led_before_this_fix_can_still_be_told_and_closed() -> None:
    # Before the fix a "SIN made" put a collaborator case into Coventry's rapid review.
    wrongly = collaborator_case().model_copy(
        update={
            "status": CaseStatus.RAPID_REVIEW,
            "dates": collaborator_case().dates.model_copy(update={"sin_made": TOLD}),
        }
    )
    assert available_decisions(wrongly) == [DecisionKind.LEAD_AUTHORITY_TOLD]
    timeline = timeline_of(wrongly, date(2026, 12, 7))
    # What was recorded still shows; nothing else is counted.
    assert timeline.get(MilestoneKey.SIN).status is MilestoneStatus.DONE
    assert timeline.needing_attention() == ()
    case = decide(wrongly, told(), BM, date(2026, 11, 24))
    assert decide(case, CLOSE, BM, date(2026, 11, 24)).status is CaseStatus.CLOSED


# --- reminders and the digest ----------------------------------------------------------------


def plan_at(
    cases: list[Case], now: datetime, cache: OpenMilestonesCache | None = None
) -> list[Reminder]:
    return plan_reminders(
        cases,
        partnerships={"coventry": coventry()},
        calendars=CALENDARS,
        now=now,
        cache=cache,
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 20, 10, tzinfo=UTC),  # filed: the SIN two working days away
        datetime(2026, 11, 24, 10, tzinfo=UTC),  # the day it would be due
        datetime(2026, 11, 25, 10, tzinfo=UTC),  # the day its escalation would be posted
        datetime(2026, 12, 16, 10, tzinfo=UTC),  # the rapid review's expected date gone by
    ],
)
def test_a_collaborator_case_is_never_reminded_or_escalated(now: datetime) -> None:
    # One cache for both: the two cases' clock inputs are the same dates and events.
    cache = OpenMilestonesCache()
    assert plan_at([collaborator_case()], now, cache) == []
    led = plan_at([led_here()], now, cache)
    assert led, "the same referral led here is reminded"
    assert plan_at([collaborator_case()], now, cache) == []


def test_the_digest_lists_a_collaborator_case_with_nothing_pending() -> None:
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    [digest] = plan_digest(
        [collaborator_case(), led_here().model_copy(update={"reference": "COV-2026-002"})],
        partnerships={"coventry": coventry()},
        calendars=CALENDARS,
        now=monday,
    )
    rows = {e.reference: (e.milestone, e.overdue) for e in digest.entries}
    assert rows == {"COV-2026-002": (MilestoneKey.SIN, True), "COV-2026-001": (None, False)}


# --- the cards ---------------------------------------------------------------------------------


def _text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def test_the_acknowledgement_says_the_authority_where_the_child_was_harmed_notifies_and_leads() -> (
    None
):
    case = collaborator_case()
    card = acknowledgement_card(
        case=case, partnership=coventry(), timeline=timeline_of(case, date(2026, 11, 20))
    )
    assert_valid_card(card)
    text = _text(card)
    name = coventry().name
    assert wording.ACK_LEAD_ELSEWHERE.format(partnership=name) in text
    assert (
        "leads the rapid review. It decides whether to tell the national Panel, and tells it"
        in text
    )
    assert f"{name} takes part" in text
    assert "Its deadlines are counted there, not here" in text
    for wrong in ("If it notifies", "notification is due by", "overdue"):
        assert wrong not in text
    assert "will consider your referral" not in text
    assert wording.LEAD_MUST_BE_TOLD in text


def test_the_case_card_shows_who_counts_the_clock_and_whether_it_was_told() -> None:
    case = collaborator_case()
    today = date(2026, 11, 25)
    card = channel_case_card(
        case=case, partnership=coventry(), timeline=timeline_of(case, today), today=today
    )
    assert_valid_card(card)
    facts = {
        fact["title"]: fact["value"]
        for element in card["body"]
        if element.get("type") == "FactSet"
        for fact in element["facts"]
    }
    assert wording.FACT_SIN_DUE not in facts
    assert wording.FACT_RAPID_REVIEW_DUE not in facts
    assert facts[wording.FACT_LEAD_CLOCK] == wording.LEAD_CLOCK_ELSEWHERE
    assert "s16C(1)" in facts[wording.FACT_LEAD_CLOCK]
    assert facts[wording.FACT_LEAD_TOLD] == wording.LEAD_TOLD_NOT_YET
    assert facts[wording.FACT_LEADS] == wording.LEAD_NOT_HERE
    assert facts[wording.FACT_TAKES_PART] == coventry().name
    assert wording.LEAD_MUST_BE_TOLD in _text(card)
    assert "overdue" not in _text(card)

    case = decide(case, told(), BM, today)
    card = channel_case_card(
        case=case, partnership=coventry(), timeline=timeline_of(case, today), today=today
    )
    assert "Monday 23 November 2026" in _text(card)
    assert wording.LEAD_MUST_BE_TOLD not in _text(card)


# --- over HTTP: the lead's card, the refusals, the reminders tick, told, closed -----------------

Client = TestClient[Any, Any]
LA_USER = {"id": "29:la", "name": "LA Lead", "aadObjectId": "00000000-0000-0000-0000-0000000000a1"}
BM_USER = {
    "id": "29:bm",
    "name": "Business Manager",
    "aadObjectId": "00000000-0000-0000-0000-0000000000b1",
}


async def _case(repo: CaseRepository) -> Case:
    loaded = await repo.get("COV-2026-001")
    assert loaded is not None
    return loaded[0]


def _runner(bot: Client, store: TinyDBStore, clock: FakeClock) -> ReminderRunner:
    services = bot.server.app[SERVICES]
    fake = FakeTime()
    notifier = Notifier(
        adapter=services.adapter,
        conversations=services.conversations,
        bot_app_id="",
        sleep=fake.sleep,
        monotonic=fake.monotonic,
    )
    return ReminderRunner(
        partnerships=services.partnerships,
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=DeliveryLog(store),
        notifier=notifier,
        clock=clock,
        owner="test-collaborator",
    )


async def test_the_collaborator_path_over_http(
    bot: Client,
    connector: FakeConnector,
    store: TinyDBStore,
    clock: FakeClock,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await post(bot, activities.team_install(connector.url, team_id="team-id"))
    await post(bot, activities.message(connector.url, "hello"))  # the referrer's chat
    # Filed and announced as the referral dialog files it: the case card in the channel.
    repo = CaseRepository(store)
    filed = collaborator_case(user_id=activities.USER["id"])
    await repo.create(filed)
    services = bot.server.app[SERVICES]
    posted = await services.case_cards.announce_case(filed, coventry())
    await repo.record_post("COV-2026-001", posted, at=FILED)

    # The day after a SIN would have been due: nothing is reminded or escalated.
    clock.set(datetime(2026, 11, 25, 10, tzinfo=UTC))
    connector.sent.clear()
    report = await _runner(bot, store, clock).tick()
    # Only this week's digest, which lists the case with nothing pending.
    assert report.sent == ["digest|coventry|2026-W48"]
    assert len(connector.to("team-id")) == 1
    digest = _text(connector.to("team-id")[0].body)
    assert "COV-2026-001" in digest
    assert "Serious incident notification" not in digest
    assert "overdue by" not in digest

    lead_view = await click(bot, connector, LA_USER, "refresh")
    assert verbs(lead_view) == {"lead_authority_told"}
    shown = _text(lead_view)
    assert wording.LEAD_CLOCK_ELSEWHERE in shown
    assert wording.FACT_SIN_DUE not in shown

    # A forged or stale "SIN made", or "Not notifiable" for the LA: refused, nothing changes.
    refused = await click(bot, connector, LA_USER, "sin_made", on="2026-11-23")
    assert "is not for this partnership" in _text(refused)
    refused = await click(
        bot, connector, BM_USER, "not_notifiable", reason="Not ours", on_behalf_of_la="true"
    )
    assert "is not for this partnership" in _text(refused)
    early = await click(bot, connector, BM_USER, "close_case", reason="Done")
    assert "Record 'Leading local authority told' before 'Close the case'" in _text(early)
    case = await _case(repo)
    assert (case.status, case.dates.sin_made, case.decisions) == (CaseStatus.REFERRED, None, [])

    before = len(connector.sent)
    recorded = await click(bot, connector, BM_USER, "lead_authority_told", on="2026-11-23")
    assert "Recorded: Leading local authority told" in _text(recorded)
    assert "Monday 23 November 2026" in _text(recorded)
    assert verbs(recorded) == {"close_case"}
    sent = connector.sent[before:]
    assert any(s.method == "PUT" and s.conversation_id == "team-id" for s in sent)
    [to_referrer] = [s for s in sent if s.conversation_id.startswith("a:personal-")]
    assert "told the local authority where the child was harmed" in _text(to_referrer.body)

    closed = await click(
        bot, connector, LA_USER, "close_case", reason="The leading authority has the case"
    )
    assert "Recorded: Close the case" in _text(closed)
    assert verbs(closed) == set()
    assert (await _case(repo)).status is CaseStatus.CLOSED
    trail = await repo.audit_trail("COV-2026-001")
    assert [entry.get("kind") for entry in trail[-2:]] == ["lead_authority_told", "close_case"]

    # `case show`: the timeline says whose clock it is.
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(settings.data_dir))
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(run, ["case", "show", "COV-2026-001"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "not applicable" in out.getvalue()
    assert LEAD_ELSEWHERE_BASIS in out.getvalue()
