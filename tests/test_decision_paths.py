"""Issue 14: who records the LA's notification decision, the Panel's replies (a national review
ends the local clock), immediate safety actions, the learning review, and closing a case."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from cards.decisions import decision_card
from cards.reminders import reminder_card
from cards.wording import summary_lines
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Actor, Case, CaseStatus
from safeguarding.decisions import (
    AlreadyDecidedError,
    CaseNote,
    DatedDecision,
    DecisionKind,
    DecisionNotAllowedError,
    InvalidDecisionError,
    LearningReviewCompleted,
    LearningShared,
    NotAPartnerError,
    NoteCode,
    NotTheLocalAuthorityError,
    PanelReply,
    ReasonedDecision,
    SafetyAction,
    SlipMilestone,
    SummariesDecision,
    agreement_status,
    available_decisions,
    case_notes,
    decision_summary,
    panel_answers,
    parse_decision,
)
from safeguarding.partnerships import Partner
from safeguarding.timeline import MilestoneKey, MilestoneStatus
from scheduler.plan import plan_digest, plan_reminders
from tests.support.cards import assert_valid_card
from tests.test_decisions import (
    AWARE,
    BM,
    HEALTH,
    LA,
    POLICE,
    SENT_DAY,
    SIN_DAY,
    apply,
    decide,
    in_rapid_review,
    lead,
    new_case,
    partnerships,
    proposal,
    published_case,
    refused,
    sent,
    timeline_of,
)

# The business manager recording the local authority's decision for it, saying so.
BM_FOR_LA = BM.model_copy(update={"on_behalf_of": Partner.LOCAL_AUTHORITY})
SIN = DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY)
NOT_NOTIFIABLE = ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE, reason="No abuse suspected.")
REPLY_DAY = SENT_DAY + timedelta(days=7)
CALENDARS = PartnershipCalendars()


def london(day: date, hour: int = 10) -> datetime:
    # Winter dates: London is on UTC.
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- item 2: the notification decision is the local authority's ------------------------------


@pytest.mark.parametrize("who", [POLICE, HEALTH])
def test_a_police_or_health_lead_cannot_record_the_las_notification_decision(who: Actor) -> None:
    for decision in (NOT_NOTIFIABLE, SIN):
        with refused(NotTheLocalAuthorityError, match="is for the local authority to decide"):
            apply(new_case(), decision, who, SIN_DAY)


def test_the_la_lead_records_the_sin() -> None:
    case = decide(new_case(), SIN, LA, SIN_DAY)
    assert case.status is CaseStatus.RAPID_REVIEW
    assert case.decisions[-1].actor.on_behalf_of is None


def test_the_business_unit_records_it_for_the_la_only_saying_so() -> None:
    with refused(NotTheLocalAuthorityError, match="tick 'I am recording this for the local"):
        apply(new_case(), NOT_NOTIFIABLE, BM, AWARE)
    result = apply(new_case(), NOT_NOTIFIABLE, BM_FOR_LA, AWARE)
    assert result.case.status is CaseStatus.NO_SERIOUS_INCIDENT
    assert result.case.decisions[-1].actor.on_behalf_of is Partner.LOCAL_AUTHORITY
    assert result.audit is not None
    assert result.audit.detail()["on_behalf_of"] == "local_authority"
    # Stored and read back, the record still says for whom it was made.
    stored = Case.model_validate(json.loads(result.case.model_dump_json()))
    assert stored.decisions[-1].actor.on_behalf_of is Partner.LOCAL_AUTHORITY


def test_on_behalf_of_the_la_means_nothing_for_other_decisions() -> None:
    with refused(DecisionNotAllowedError, match="not recorded on behalf of the local authority"):
        apply(
            in_rapid_review(),
            SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=SIN_DAY),
            BM_FOR_LA,
            SIN_DAY,
        )
    # A partner's own lead never acts for another partner.
    with pytest.raises(ValidationError):
        Actor.model_validate({**POLICE.model_dump(), "on_behalf_of": "local_authority"})


def test_each_lead_is_offered_only_what_they_may_record() -> None:
    case = new_case()
    police = available_decisions(case, lead("Pat Police"))
    assert DecisionKind.SIN_MADE not in police
    assert DecisionKind.NOT_NOTIFIABLE not in police
    assert DecisionKind.PARTNERS_NOTIFIED in police
    for name in ("Lou Authority", "Bea Manager"):
        assert {DecisionKind.SIN_MADE, DecisionKind.NOT_NOTIFIABLE} <= set(
            available_decisions(case, lead(name))
        )
    # Agreeing is for the partners who have not answered yet: not the proposer, not the BM.
    proposed = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    assert DecisionKind.AGREE in available_decisions(proposed, lead("Pat Police"))
    assert DecisionKind.AGREE not in available_decisions(proposed, lead("Lou Authority"))
    assert DecisionKind.AGREE not in available_decisions(proposed, lead("Bea Manager"))
    with pytest.raises(NotAPartnerError):
        apply(proposed, parse_decision({"kind": "agree"}), BM, SIN_DAY)


# --- item 4: the Panel's reply; a national review ends the local CSPR clock -----------------


def national() -> Case:
    return decide(sent(), PanelReply(on=REPLY_DAY, reply="national_review"), BM, REPLY_DAY)


def test_a_national_review_ends_the_local_cspr_milestones() -> None:
    before = timeline_of(sent(), REPLY_DAY).get(MilestoneKey.CSPR_FINAL_REPORT)
    assert before.status is not MilestoneStatus.NOT_APPLICABLE
    case = national()
    assert case.status is CaseStatus.NATIONAL_REVIEW
    assert case.dates.national_review == REPLY_DAY
    timeline = timeline_of(case, date(2027, 7, 1))
    for key in (
        MilestoneKey.CSPR_FINAL_REPORT,
        MilestoneKey.REPORT_COPY_TO_PANEL,
        MilestoneKey.REPORT_AVAILABLE_UNTIL,
    ):
        milestone = timeline.get(key)
        assert milestone.status is MilestoneStatus.NOT_APPLICABLE, key
        assert milestone.basis == "the Panel decided on a national review (2026-12-17)"
    assert timeline.get(MilestoneKey.PANEL_REPLY).completed_on == REPLY_DAY
    slip = SlipMilestone(milestone=MilestoneKey.CSPR_FINAL_REPORT, to=date(2027, 12, 1), reason="r")
    with refused(DecisionNotAllowedError, match="national Panel is reviewing the case"):
        apply(case, slip, BM, REPLY_DAY)


def test_a_national_review_posts_no_local_reminders_and_nothing_pending_in_the_digest() -> None:
    # Past the local report's due date (10 June 2027) and its copy to the Panel.
    now = london(date(2027, 6, 14))
    local = sent()
    assert {r.milestone for r in plan_reminders([local], **_planning(now))} == {
        MilestoneKey.REPORT_COPY_TO_PANEL,
        MilestoneKey.CSPR_FINAL_REPORT,
    }
    assert plan_reminders([national()], **_planning(now)) == []
    (digest,) = [d for d in plan_digest([national()], **_planning(now)) if d.entries]
    (entry,) = digest.entries
    assert (entry.case_status, entry.milestone, entry.overdue) == (
        CaseStatus.NATIONAL_REVIEW,
        None,
        False,
    )


def test_a_national_review_stored_before_its_date_was_kept_still_ends_the_clock() -> None:
    stored = json.loads(national().model_dump_json())
    del stored["dates"]["national_review"]
    loaded = Case.model_validate(stored)
    assert loaded.dates.national_review == REPLY_DAY
    assert plan_reminders([loaded], **_planning(london(date(2027, 6, 14)))) == []


def test_the_panel_may_ask_for_more_information_before_it_decides() -> None:
    with refused(InvalidDecisionError, match="say what the Panel asked for"):
        parse_decision({"kind": "panel_reply", "on": "2026-12-17", "reply": "more_information"})
    asked = PanelReply(
        on=REPLY_DAY, reply="more_information", requested="The police chronology for May."
    )
    case = decide(sent("no_further_review"), asked, BM, REPLY_DAY)
    assert case.status is CaseStatus.NO_FURTHER_REVIEW
    # The Panel has not decided: its reply is still awaited.
    assert timeline_of(case, REPLY_DAY).get(MilestoneKey.PANEL_REPLY).completed_on is None
    assert DecisionKind.PANEL_INFORMATION_SENT in available_decisions(case)
    with refused(InvalidDecisionError, match="cannot be before 'Panel replied'"):
        apply(
            case,
            DatedDecision(kind=DecisionKind.PANEL_INFORMATION_SENT, on=SENT_DAY),
            BM,
            REPLY_DAY,
        )
    day = REPLY_DAY + timedelta(days=5)
    case = decide(case, DatedDecision(kind=DecisionKind.PANEL_INFORMATION_SENT, on=day), BM, day)
    with refused(DecisionNotAllowedError, match="has not asked for more information"):
        apply(case, DatedDecision(kind=DecisionKind.PANEL_INFORMATION_SENT, on=day), LA, day)
    case = decide(case, PanelReply(on=day, reply="agrees"), BM, day)
    assert timeline_of(case, day).get(MilestoneKey.PANEL_REPLY).completed_on == day
    with refused(AlreadyDecidedError, match="'Panel replied' was already recorded"):
        apply(case, PanelReply(on=day, reply="national_review"), LA, day)
    assert case_notes(case) == (
        CaseNote(NoteCode.PANEL_ASKED, REPLY_DAY, "The police chronology for May."),
        CaseNote(NoteCode.PANEL_INFORMATION_SENT, day),
    )
    lines = summary_lines(decision_summary(case))
    assert "The national Panel asked for more details before it decides" in lines
    assert "chronology" not in " ".join(lines)


def test_the_panels_choices_fit_the_partners_outcome() -> None:
    assert panel_answers(sent()) == ("national_review", "local_review", "more_information")
    assert panel_answers(sent("learning_review")) == (
        "national_review",
        "agrees",
        "local_review",
        "more_information",
    )


def test_panel_replies_recorded_before_issue_14_still_read() -> None:
    case = decide(sent("learning_review"), PanelReply(on=REPLY_DAY, reply="agrees"), BM, REPLY_DAY)
    stored = Case.model_validate(json.loads(case.model_dump_json()))
    old = stored.decisions[-1].model_copy(update={"data": {"on": "2026-12-17", "reply": "agrees"}})
    stored.decisions[-1] = old
    assert "The national Panel agreed with the partners' decision" in summary_lines(
        decision_summary(stored)
    )
    assert DecisionKind.PANEL_REPLY not in available_decisions(stored)


# --- item 10: immediate safety actions ------------------------------------------------------


def test_immediate_safety_actions_are_recorded_on_the_case_not_told_to_the_referrer() -> None:
    with refused(InvalidDecisionError, match="say what immediate safety actions were agreed"):
        parse_decision({"kind": "safety_action", "on": "2026-11-25", "needed": "true"})
    action = parse_decision(
        {
            "kind": "safety_action",
            "on": "2026-11-25",
            "needed": "true",
            "actions": "Jane's brother to stay with his grandmother; police bail conditions.",
        }
    )
    case = decide(in_rapid_review(), action, LA, SIN_DAY)
    none_needed = parse_decision({"kind": "safety_action", "on": "2026-11-25", "needed": "false"})
    case = decide(case, none_needed, POLICE, SIN_DAY)
    assert case.status is CaseStatus.RAPID_REVIEW
    assert [(n.code, n.on) for n in case_notes(case)] == [
        (NoteCode.SAFETY_ACTIONS, SIN_DAY),
        (NoteCode.NO_SAFETY_ACTION, SIN_DAY),
    ]
    assert case_notes(case)[0].text == (
        "Jane's brother to stay with his grandmother; police bail conditions."
    )
    lines = summary_lines(decision_summary(case))
    assert "Immediate actions to keep children safe were agreed on 25 November 2026" in lines
    assert not any("grandmother" in line or "Jane" in line for line in lines)
    # An immediate safety action can be agreed at any time while the case is open (DOMAIN.md):
    # after the rapid review too.
    later = apply(sent(), action, LA, SENT_DAY).case
    assert later.decisions[-1].kind == DecisionKind.SAFETY_ACTION


# --- item 9: the learning review and closing a case -----------------------------------------


def learning_review() -> Case:
    case = decide(new_case(), NOT_NOTIFIABLE, LA, AWARE)
    offered = ReasonedDecision(kind=DecisionKind.LEARNING_REVIEW_OFFERED, reason="Learning.")
    return decide(case, offered, BM, AWARE)


def completed_learning_review() -> Case:
    day = date(2026, 12, 1)
    commissioned = DatedDecision(kind=DecisionKind.LEARNING_REVIEW_COMMISSIONED, on=day)
    case = decide(learning_review(), commissioned, BM, day)
    done = date(2027, 2, 1)
    completed = LearningReviewCompleted(
        on=done, outcome="learning_identified", summary="Schools did not share attendance data."
    )
    return decide(case, completed, BM, done)


def test_the_learning_review_path() -> None:
    case = learning_review()
    assert available_decisions(case) == [
        DecisionKind.SIN_MADE,
        DecisionKind.SAFETY_ACTION,
        DecisionKind.LEARNING_REVIEW_COMMISSIONED,
        DecisionKind.SLIP,
    ]
    with refused(DecisionNotAllowedError, match="Record 'Learning review completed' before"):
        apply(case, ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="Done."), BM, AWARE)
    early = LearningReviewCompleted(on=AWARE, outcome="no_new_learning", summary="Nothing new.")
    with refused(DecisionNotAllowedError, match="Record 'Learning review commissioned' before"):
        apply(case, early, BM, AWARE)
    case = completed_learning_review()
    assert DecisionKind.LEARNING_SHARED in available_decisions(case)
    assert DecisionKind.CLOSE_CASE in available_decisions(case)
    with refused(InvalidDecisionError, match="where the learning is published"):
        parse_decision({"kind": "learning_shared", "on": "2027-02-08", "how": "published"})
    with refused(InvalidDecisionError, match="starting https://"):
        parse_decision(
            {"kind": "learning_shared", "on": "2027-02-08", "how": "published", "link": "x.uk"}
        )
    shared = LearningShared(on=date(2027, 2, 8), how="briefing")
    case = decide(case, shared, BM, date(2027, 2, 8))
    with refused(AlreadyDecidedError, match="already recorded"):
        apply(case, shared.model_copy(update={"how": "published"}), LA, date(2027, 2, 8))
    assert summary_lines(decision_summary(case))[2:] == [
        "A learning review was commissioned on 1 December 2026",
        "The learning review was completed on 1 February 2027",
        "The learning review found lessons for the partnership",
        "The learning was shared with practitioners in a briefing",
    ]
    assert case_notes(case) == (
        CaseNote(NoteCode.LEARNING, date(2027, 2, 1), "Schools did not share attendance data."),
    )


@pytest.mark.parametrize(
    "case_at_its_end",
    [
        lambda: decide(new_case(), NOT_NOTIFIABLE, LA, AWARE),
        lambda: sent("no_further_review"),
        completed_learning_review,
        national,
        published_case,
    ],
    ids=["no_serious_incident", "no_further_review", "learning_review", "national", "published"],
)
def test_a_lead_closes_a_case_at_its_end_with_a_reason(case_at_its_end: Any) -> None:
    case = case_at_its_end()
    day = date(2027, 7, 1)
    close = ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="Nothing further to do.")
    closed = decide(case, close, BM, day)
    assert closed.status is CaseStatus.CLOSED
    assert available_decisions(closed) == []
    assert case_notes(closed)[-1] == CaseNote(NoteCode.CLOSED, day, "Nothing further to do.")
    lines = summary_lines(decision_summary(closed))
    assert lines[-1] == "The partnership has closed its work on this referral"
    assert "Nothing further" not in " ".join(lines)
    with refused(DecisionNotAllowedError, match="is closed"):
        apply(closed, close, LA, day)


@pytest.mark.parametrize(
    "open_case",
    [new_case, in_rapid_review, sent, learning_review],
    ids=["referred", "rapid_review", "local_review", "learning_review_not_completed"],
)
def test_a_case_with_work_left_cannot_be_closed(open_case: Any) -> None:
    close = ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="r")
    with pytest.raises(DecisionNotAllowedError):
        apply(open_case(), close, BM, SENT_DAY)
    assert DecisionKind.CLOSE_CASE not in available_decisions(open_case())


def test_closed_cases_leave_the_digest_and_the_reminders() -> None:
    now = london(date(2027, 7, 5))  # a Monday, the digest's day
    nfr = sent("no_further_review")
    learning = completed_learning_review().model_copy(update={"reference": "COV-2026-002"})
    assert {e.reference for e in _entries(plan_digest([nfr, learning], **_planning(now)))} == {
        "COV-2026-001",
        "COV-2026-002",
    }
    close = ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="Learning shared; all done.")
    closed = [decide(c, close, BM, date(2027, 7, 1)) for c in (nfr, learning)]
    assert _entries(plan_digest(closed, **_planning(now))) == []
    assert plan_reminders(closed, **_planning(now)) == []


# --- the lead's card ------------------------------------------------------------------------


def _card(case: Case, who: str | None) -> dict[str, Any]:
    found = lead(who) if who else None
    return decision_card(
        {"type": "AdaptiveCard", "version": "1.5", "body": []},
        reference=case.reference,
        agreement=agreement_status(case),
        available=available_decisions(case, found),
        for_lead=True,
        refresh_user_ids=[],
        notes=case_notes(case),
        on_behalf=found is not None and found.partner is None,
        panel_answers=panel_answers(case),
    )


def _shown(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {action["card"]["actions"][0]["verb"]: action["card"] for action in card["actions"]}


def test_the_lead_card_offers_each_lead_what_applies() -> None:
    police = _shown(_card(new_case(), "Pat Police"))
    assert "not_notifiable" not in police
    assert "sin_made" not in police
    la = _shown(_card(new_case(), "Lou Authority"))
    bm = _shown(_card(new_case(), "Bea Manager"))
    toggle = [e for e in bm["sin_made"]["body"] if e["type"] == "Input.Toggle"]
    assert [t["id"] for t in toggle] == ["on_behalf_of_la"]
    assert not [e for e in la["sin_made"]["body"] if e["type"] == "Input.Toggle"]
    assert not [e for e in bm["partners_notified"]["body"] if e["type"] == "Input.Toggle"]
    replies = _shown(_card(sent(), "Bea Manager"))["panel_reply"]["body"][1]["choices"]
    assert [c["value"] for c in replies] == ["national_review", "local_review", "more_information"]
    closed = _shown(_card(completed_learning_review(), "Bea Manager"))
    assert {"learning_shared", "close_case"} <= set(closed)
    for card in (_card(new_case(), "Bea Manager"), _card(sent(), "Pat Police")):
        assert_valid_card(card)


def test_the_case_card_shows_the_record_escaped_and_short() -> None:
    case = in_rapid_review()
    for n in range(10):
        text = f"[link](https://x.example) action {n} " + "x" * 1500
        decide_with = SafetyAction(on=SIN_DAY, needed=True, actions=text[:1500])
        case = decide(case, decide_with, LA, SIN_DAY)
    card = _card(case, None)
    record = next(e for e in card["body"] if e["type"] == "FactSet")
    assert len(record["facts"]) == 8  # the latest eight
    assert record["facts"][0]["title"] == "Immediate safety actions agreed (25 November 2026)"
    value = record["facts"][-1]["value"]
    assert value.startswith("\\[link\\]\\(https://x\\.example\\) action 9")
    assert len(value) < 400
    assert_valid_card(card)


def _planning(now: datetime) -> dict[str, Any]:
    return {"partnerships": partnerships(), "calendars": CALENDARS, "now": now}


def _entries(digests: list[Any]) -> list[Any]:
    return [entry for digest in digests for entry in digest.entries]


@pytest.mark.parametrize(
    ("milestone", "toggles"),
    [(MilestoneKey.SIN, ["on_behalf_of_la"]), (MilestoneKey.NOTIFY_PARTNERS, [])],
)
def test_the_sin_reminders_done_lets_the_business_unit_say_it_records_for_the_la(
    milestone: MilestoneKey, toggles: list[str]
) -> None:
    card = reminder_card(
        for_lead=True,
        reference="COV-2026-001",
        kind="due_today",
        milestone=milestone,
        lead_days=None,
        due=date(2027, 1, 4),
        original_due=None,
        working_days_left=0,
        responsible="the local authority",
        late=False,
    )
    done = card["actions"][0]["card"]["body"]
    assert [e["id"] for e in done if e["type"] == "Input.Toggle"] == toggles
    assert_valid_card(card)


def test_only_a_lead_configured_as_the_business_unit_may_act_for_the_la() -> None:
    # A chair or a leads-group member has no partner, but is not the business unit.
    chair = BM.model_copy(update={"business_unit": False, "on_behalf_of": Partner.LOCAL_AUTHORITY})
    with refused(NotTheLocalAuthorityError, match="is for the local authority to decide"):
        apply(new_case(), SIN, chair, SIN_DAY)
    assert apply(new_case(), SIN, BM_FOR_LA, SIN_DAY).case.status is CaseStatus.RAPID_REVIEW


def test_a_business_unit_lead_represents_no_partner() -> None:
    from pydantic import ValidationError

    from safeguarding.partnerships import Lead

    with pytest.raises(ValidationError, match="represents no partner"):
        Lead(
            name="X",
            role="Y",
            partner=Partner.POLICE,
            business_unit=True,
            upn="x@example.org",
        )


def test_the_acknowledgement_of_a_late_referral_does_not_say_the_la_will_notify() -> None:
    from cards import wording

    assert "If it notifies" in wording.ACK_SIN_OVERDUE
    assert "decides" in wording.ACK_SIN_OVERDUE
