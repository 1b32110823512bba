"""Lead decisions: what each changes, what is refused, three-partner agreement, audit, summary."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from cards.wording import decision_label, decision_problem, summary_lines
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import Case, CaseStatus, RecordedDecision, ReferrerIdentity, initial_dates
from safeguarding.decisions import (
    Actor,
    Agree,
    AlreadyDecidedError,
    DatedDecision,
    Decision,
    DecisionError,
    DecisionKind,
    DecisionNotAllowedError,
    DecisionProblem,
    DecisionResult,
    InvalidDecisionError,
    NotALeadError,
    NotAPartnerError,
    PanelReply,
    ProposeRecommendation,
    PublicationDecision,
    PublicationPlanned,
    Published,
    ReasonedDecision,
    RecommendationNotFinalError,
    ReviewerAppointed,
    SlipMilestone,
    SummariesDecision,
    WrongPartnershipError,
    agreement_status,
    apply_decision,
    available_decisions,
    decision_summary,
    parse_decision,
)
from safeguarding.partnerships import Lead, Partner, Partnership, parse_partnerships
from safeguarding.referral import (
    CRITERIA,
    Actions,
    Agencies,
    Area,
    Child,
    Criteria,
    Criterion,
    Incident,
    Referral,
    Referrer,
    screen,
)
from safeguarding.timeline import MilestoneKey, MilestoneStatus, compute_timeline

INCIDENT = date(2026, 11, 16)
AWARE = date(2026, 11, 17)
SIN_DAY = date(2026, 11, 25)
CHILD_NAME = "Jane Doe"
LA_ID = "00000000-0000-0000-0000-0000000000a1"

_LEADS: list[dict[str, Any]] = [
    {
        "name": "Bea Manager",
        "role": "Partnership business manager",
        "upn": "bm@coventry.example",
        "business_unit": True,
    },
    {
        "name": "Lou Authority",
        "role": "DCS delegate",
        "partner": "local_authority",
        "aad_object_id": LA_ID,
    },
    {
        "name": "Hal Health",
        "role": "ICB Designated Nurse",
        "partner": "health",
        "upn": "health@coventry.example",
    },
    {
        "name": "Helen Second",
        "role": "Designated Doctor",
        "partner": "health",
        "upn": "doctor@coventry.example",
    },
    {
        "name": "Pat Police",
        "role": "Detective Superintendent",
        "partner": "police",
        "upn": "police@coventry.example",
    },
]
LEAD_NAMES = [lead["name"] for lead in _LEADS]


def _partnership(pid: str, prefix: str, area: str) -> dict[str, Any]:
    return {
        "name": f"{area} Safeguarding Children Partnership",
        "reference_prefix": prefix,
        "areas": [area],
        "front_door": {
            "name": "MASH",
            "office_hours_number": "024 7678 8555",
            "office_hours": {"mon": "09:00-17:00"},
            "out_of_hours_number": "024 7683 2222",
        },
        "leads": _LEADS,
    }


@cache
def partnerships() -> dict[str, Partnership]:
    parsed = parse_partnerships(
        {
            "partnerships": {
                "coventry": _partnership("coventry", "COV", "Coventry"),
                "walsall": _partnership("walsall", "WAL", "Walsall"),
            }
        }
    )
    return dict(parsed.partnerships)


def coventry() -> Partnership:
    return partnerships()["coventry"]


@cache
def calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar.for_england()


def lead(name: str) -> Lead:
    return next(lead for lead in coventry().leads if lead.name == name)


def actor(name: str, actor_id: str | None = None) -> Actor:
    found = lead(name)
    return Actor.from_lead(found, actor_id or found.aad_object_id or f"29:{name}")


BM = actor("Bea Manager")
LA = actor("Lou Authority")
HEALTH = actor("Hal Health")
HEALTH_2 = actor("Helen Second")
POLICE = actor("Pat Police")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def referral() -> Referral:
    return Referral(
        area=Area(area="Coventry", partnership_id="coventry"),
        referrer=Referrer(
            name="Sam Referrer",
            role="DSL",
            agency="School",
            contact="sam@school.example",
            lead_agreed=True,
        ),
        children=(Child(name=CHILD_NAME, date_of_birth=date(2022, 3, 14)),),
        incident=Incident(
            date=INCIDENT, la_aware=AWARE, kind="serious_harm", description="Injuries"
        ),
        agencies=Agencies(involved=("school",)),
        criteria=Criteria(abuse_or_neglect="suspected", reasons="Concerns"),
        actions=Actions(safety_actions="Safety plan"),
    )


def new_case() -> Case:
    filed = referral()
    return Case(
        reference="COV-2026-001",
        partnership_id="coventry",
        referral=filed,
        screening=screen(filed),
        submitted_by=ReferrerIdentity(user_id="29:referrer"),
        submitted_at=at(AWARE),
        dates=initial_dates(filed),
    )


def apply(case: Case, decision: Decision, who: Actor, day: date) -> DecisionResult:
    return apply_decision(case, decision, actor=who, partnership=coventry(), at=at(day))


def decide(case: Case, decision: Decision, who: Actor, day: date) -> Case:
    result = apply(case, decision, who, day)
    assert result.changed
    return result.case


def proposal(outcome: str = "local_cspr") -> ProposeRecommendation:
    return ProposeRecommendation.model_validate(
        {
            "outcome": outcome,
            "reasons": "Two agencies held information that was not shared.",
            "criteria": ["improvements", "agencies_working_together"],
            "have_regard": ["more_than_one_area"],
        }
    )


def in_rapid_review() -> Case:
    return decide(new_case(), DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), LA, SIN_DAY)


def agreed(outcome: str = "local_cspr") -> Case:
    day = date(2026, 12, 8)
    case = decide(in_rapid_review(), proposal(outcome), LA, day)
    case = decide(case, Agree(), HEALTH, day)
    return decide(case, Agree(), POLICE, day)


SENT_DAY = date(2026, 12, 10)


def sent(outcome: str = "local_cspr") -> Case:
    return decide(
        agreed(outcome),
        DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=SENT_DAY),
        BM,
        SENT_DAY,
    )


def timeline_of(case: Case, today: date) -> Any:
    return compute_timeline(
        case.dates, coventry().clock, calendar(), today, events=case.milestone_events
    )


@contextmanager
def refused(
    kind: type[DecisionError], *, match: str
) -> Iterator[pytest.ExceptionInfo[DecisionError]]:
    """pytest.raises for a refusal, with `match` searched in what the lead is told."""
    with pytest.raises(kind) as caught:
        yield caught
    told = decision_problem(caught.value)
    assert re.search(match, told), told


# --- a new referral ---------------------------------------------------------------------------


def test_sin_made_starts_the_rapid_review_and_records_the_decision() -> None:
    case = new_case()
    result = apply(case, DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), LA, SIN_DAY)

    assert result.changed
    assert result.case.status is CaseStatus.RAPID_REVIEW
    assert result.case.dates.sin_made == SIN_DAY
    assert result.case.version == case.version + 1
    assert result.case.decisions == [
        RecordedDecision(
            kind="sin_made",
            data={"on": "2026-11-25"},
            actor=LA,
            at=at(SIN_DAY),
            version=2,
        )
    ]
    # The case given is left as it was: the result is a copy.
    assert case.status is CaseStatus.REFERRED
    assert case.decisions == []
    assert case.version == 1
    assert timeline_of(result.case, SIN_DAY).get(MilestoneKey.SIN).completed_on == SIN_DAY


def test_not_notifiable_then_a_learning_review_can_still_be_offered() -> None:
    case = decide(
        new_case(),
        ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE, reason="No abuse or neglect suspected."),
        LA,
        AWARE,
    )
    assert case.status is CaseStatus.NO_SERIOUS_INCIDENT
    assert available_decisions(case) == [
        DecisionKind.SIN_MADE,
        DecisionKind.LEARNING_REVIEW_OFFERED,
        DecisionKind.SAFETY_ACTION,
        DecisionKind.SLIP,
        DecisionKind.CLOSE_CASE,
    ]

    case = decide(
        case,
        ReasonedDecision(
            kind=DecisionKind.LEARNING_REVIEW_OFFERED, reason="Useful learning for schools."
        ),
        BM,
        AWARE,
    )
    assert case.status is CaseStatus.LEARNING_REVIEW
    assert case.version == 3


def test_a_case_found_not_notifiable_can_be_notified_when_new_facts_emerge() -> None:
    case = decide(
        new_case(),
        ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE, reason="No serious harm known."),
        LA,
        AWARE,
    )
    case = decide(case, DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), LA, SIN_DAY)
    assert case.status is CaseStatus.RAPID_REVIEW


def sample(kind: str) -> Decision:
    samples: dict[str, Decision] = {
        "not_notifiable": ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE, reason="r"),
        "disagree": ReasonedDecision(kind=DecisionKind.DISAGREE, reason="r"),
        "learning_review_offered": ReasonedDecision(
            kind=DecisionKind.LEARNING_REVIEW_OFFERED, reason="r"
        ),
        "slip": SlipMilestone(milestone=MilestoneKey.SIN, to=SIN_DAY, reason="r"),
        "publication_decision": PublicationDecision(publish="full"),
    }
    return samples[kind]


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "not_notifiable"},
        {"kind": "not_notifiable", "reason": "   "},
        {"kind": "disagree", "reason": ""},
        {"kind": "learning_review_offered", "reason": " "},
        {"kind": "slip", "milestone": "sin", "to": "2026-12-01", "reason": ""},
        {"kind": "publication_decision", "publish": "improvements_only"},
    ],
)
def test_reasons_are_required(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidDecisionError) as caught:
        parse_decision(data)
    assert caught.value.field == "reason"
    with pytest.raises(ValidationError):
        type(sample(data["kind"])).model_validate(data)


# --- dates ------------------------------------------------------------------------------------


def test_a_date_after_today_is_refused() -> None:
    with refused(InvalidDecisionError, match="cannot be in the future") as caught:
        apply(
            new_case(),
            DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY + timedelta(days=1)),
            LA,
            SIN_DAY,
        )
    assert caught.value.field == "on"


def test_a_date_before_the_incident_is_refused() -> None:
    with refused(InvalidDecisionError, match="before the incident"):
        apply(
            new_case(),
            DatedDecision(kind=DecisionKind.SIN_MADE, on=INCIDENT - timedelta(days=1)),
            LA,
            SIN_DAY,
        )


def test_a_sin_before_the_la_knew_is_refused() -> None:
    with refused(InvalidDecisionError, match="cannot be before the LA became aware"):
        apply(new_case(), DatedDecision(kind=DecisionKind.SIN_MADE, on=INCIDENT), LA, SIN_DAY)


def test_today_is_the_date_in_england_not_utc() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    moment = datetime(2027, 6, 30, 23, 30, tzinfo=UTC)
    result = apply_decision(
        new_case(),
        DatedDecision(kind=DecisionKind.SIN_MADE, on=date(2027, 7, 1)),
        actor=LA,
        partnership=coventry(),
        at=moment,
    )
    assert result.case.dates.sin_made == date(2027, 7, 1)


def test_a_naive_moment_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        apply_decision(
            new_case(),
            DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY),
            actor=LA,
            partnership=coventry(),
            at=datetime(2026, 11, 25, 10),
        )


def test_dates_must_be_real() -> None:
    with refused(InvalidDecisionError, match="not a real date"):
        parse_decision({"kind": "sin_made", "on": "2026-02-30"})


# --- wrong status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=SIN_DAY), "is a new referral"),
        (DatedDecision(kind=DecisionKind.MEETING_HELD, on=SIN_DAY), "is a new referral"),
        (DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=SIN_DAY), "is a new referral"),
        (ReviewerAppointed(on=SIN_DAY, reviewer="A Reviewer"), "is a new referral"),
        (
            ReasonedDecision(kind=DecisionKind.LEARNING_REVIEW_OFFERED, reason="r"),
            "is a new referral",
        ),
        (PanelReply(on=SIN_DAY, reply="agrees"), "has not been sent to the Panel yet"),
    ],
)
def test_decisions_that_do_not_fit_a_new_referral_are_refused(
    decision: Decision, message: str
) -> None:
    with refused(DecisionNotAllowedError, match=message):
        apply(new_case(), decision, LA, SIN_DAY)


def test_rapid_review_decisions_are_refused_once_it_was_sent() -> None:
    case = sent()
    for decision in (
        DatedDecision(kind=DecisionKind.MEETING_HELD, on=SENT_DAY),
        proposal(),
        DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=SENT_DAY + timedelta(days=1)),
    ):
        with refused(
            DecisionNotAllowedError, match=r"^The rapid review has already been sent to the Panel$"
        ):
            apply(case, decision, BM, SENT_DAY + timedelta(days=1))


def test_not_notifiable_is_refused_in_a_rapid_review() -> None:
    with refused(DecisionNotAllowedError, match="is in rapid review"):
        apply(
            in_rapid_review(),
            ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE, reason="r"),
            LA,
            SIN_DAY,
        )


def test_a_second_sin_is_already_decided() -> None:
    with refused(AlreadyDecidedError, match="already recorded as made on 25 November 2026"):
        apply(
            in_rapid_review(),
            DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY - timedelta(days=1)),
            LA,
            SIN_DAY,
        )


# --- who may decide ---------------------------------------------------------------------------


def test_someone_who_is_not_a_lead_is_refused() -> None:
    stranger = Actor(id="29:x", name="Someone Else", role="Teacher", partner=None)
    with refused(NotALeadError, match="Only the leads of Coventry"):
        apply(new_case(), DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), stranger, SIN_DAY)


def test_a_lead_with_an_entra_id_must_act_under_it() -> None:
    impostor = actor("Lou Authority", "11111111-1111-1111-1111-111111111111")
    with pytest.raises(NotALeadError):
        apply(new_case(), DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), impostor, SIN_DAY)
    same_id_other_case = actor("Lou Authority", LA_ID.upper())
    assert apply(
        new_case(),
        DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY),
        same_id_other_case,
        SIN_DAY,
    ).changed


def test_a_lead_of_another_partnership_is_refused() -> None:
    with pytest.raises(WrongPartnershipError):
        apply_decision(
            new_case(),
            DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY),
            actor=LA,
            partnership=partnerships()["walsall"],
            at=at(SIN_DAY),
        )


# --- the rapid review and the three partners ------------------------------------------------


def test_summaries_requested_completes_its_milestone() -> None:
    day = date(2026, 11, 26)
    case = decide(
        in_rapid_review(), SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=day), BM, day
    )
    assert case.status is CaseStatus.RAPID_REVIEW
    events = case.milestone_events[MilestoneKey.RR_IAS_REQUESTS.value]
    assert events.completion is not None
    assert events.completion.on == day
    step = timeline_of(case, day).get(MilestoneKey.RR_IAS_REQUESTS)
    assert step.status is MilestoneStatus.DONE
    assert step.completed_on == day
    with refused(AlreadyDecidedError, match="already requested on 26 November 2026"):
        apply(
            case,
            SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=day - timedelta(days=1)),
            HEALTH,
            day,
        )


def test_meeting_held_is_recorded_and_changes_no_status() -> None:
    day = date(2026, 12, 3)
    case = decide(in_rapid_review(), DatedDecision(kind=DecisionKind.MEETING_HELD, on=day), BM, day)
    assert case.status is CaseStatus.RAPID_REVIEW
    assert case.decisions[-1].kind == "meeting_held"
    # A second meeting on another day is a real second meeting.
    case = decide(
        case,
        DatedDecision(kind=DecisionKind.MEETING_HELD, on=day + timedelta(days=1)),
        BM,
        day + timedelta(days=1),
    )
    assert [d.kind for d in case.decisions].count("meeting_held") == 2


def test_the_proposers_partner_counts_as_agreeing() -> None:
    case = decide(in_rapid_review(), proposal(), LA, date(2026, 12, 8))
    status = agreement_status(case)
    assert status.proposal == proposal()
    assert status.proposed_by == LA
    assert status.agreed == (Partner.LOCAL_AUTHORITY,)
    assert status.awaited == (Partner.HEALTH, Partner.POLICE)
    assert not status.final
    draft = case.milestone_events[MilestoneKey.RR_DRAFT.value].completion
    assert draft is not None
    assert draft.on == date(2026, 12, 8)


def test_a_business_manager_proposal_awaits_all_three_partners() -> None:
    case = decide(in_rapid_review(), proposal(), BM, date(2026, 12, 8))
    status = agreement_status(case)
    assert status.agreed == ()
    assert status.awaited == (Partner.LOCAL_AUTHORITY, Partner.HEALTH, Partner.POLICE)


def test_the_recommendation_is_final_when_la_health_and_police_agree() -> None:
    day = date(2026, 12, 8)
    case = decide(in_rapid_review(), proposal(), BM, day)
    case = decide(case, Agree(), HEALTH, day)
    case = decide(case, Agree(), POLICE, day)
    assert not agreement_status(case).final
    assert DecisionKind.RAPID_REVIEW_SENT not in available_decisions(case)
    case = decide(case, Agree(), LA, day)

    status = agreement_status(case)
    assert status.final
    assert status.agreed == (Partner.LOCAL_AUTHORITY, Partner.HEALTH, Partner.POLICE)
    assert status.awaited == ()
    assert [view.actor.name for view in status.views] == [
        "Lou Authority",
        "Hal Health",
        "Pat Police",
    ]
    sign_off = case.milestone_events[MilestoneKey.RR_SIGN_OFF.value].completion
    assert sign_off is not None
    assert sign_off.on == day
    assert DecisionKind.RAPID_REVIEW_SENT in available_decisions(case)
    assert DecisionKind.AGREE not in available_decisions(case)


def test_a_disagreement_blocks_sending_until_a_new_proposal() -> None:
    day = date(2026, 12, 8)
    case = decide(in_rapid_review(), proposal(), LA, day)
    case = decide(case, Agree(), HEALTH, day)
    case = decide(
        case,
        ReasonedDecision(kind=DecisionKind.DISAGREE, reason="A learning review would be enough."),
        POLICE,
        day,
    )

    status = agreement_status(case)
    assert not status.final
    assert status.agreed == (Partner.LOCAL_AUTHORITY, Partner.HEALTH)
    assert status.awaited == ()
    assert [(v.partner, v.reason) for v in status.disagreements] == [
        (Partner.POLICE, "A learning review would be enough.")
    ]
    with refused(RecommendationNotFinalError, match="the police did not agree"):
        apply(case, DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=day), BM, day)

    case = decide(case, proposal("learning_review"), POLICE, day + timedelta(days=1))
    status = agreement_status(case)
    assert status.proposal is not None
    assert status.proposal.outcome == "learning_review"
    assert status.agreed == (Partner.POLICE,)
    assert status.disagreements == ()
    assert status.awaited == (Partner.LOCAL_AUTHORITY, Partner.HEALTH)
    case = decide(case, Agree(), LA, day + timedelta(days=1))
    case = decide(case, Agree(), HEALTH, day + timedelta(days=1))
    assert agreement_status(case).final


def test_sending_before_the_recommendation_is_final_is_refused() -> None:
    with refused(RecommendationNotFinalError, match="no one has put forward a recommendation"):
        apply(
            in_rapid_review(),
            DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=SIN_DAY),
            BM,
            SIN_DAY,
        )
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    with refused(RecommendationNotFinalError, match="Still waiting for: health and the police"):
        apply(case, DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=SIN_DAY), BM, SIN_DAY)
    assert issubclass(RecommendationNotFinalError, DecisionNotAllowedError)


def test_agreeing_needs_a_proposal() -> None:
    with refused(DecisionNotAllowedError, match="No recommendation has been proposed yet"):
        apply(in_rapid_review(), Agree(), HEALTH, SIN_DAY)


@pytest.mark.parametrize(
    "decision", [Agree(), ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Not convinced.")]
)
def test_a_lead_without_a_partner_cannot_agree_or_disagree(decision: Decision) -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    with refused(NotAPartnerError, match="Only the lead for the local authority"):
        apply(case, decision, BM, SIN_DAY)


def test_one_partner_cannot_answer_twice() -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    case = decide(case, Agree(), HEALTH, SIN_DAY)
    with refused(AlreadyDecidedError, match=r"^Health has already agreed to this"):
        apply(case, Agree(), HEALTH_2, SIN_DAY)
    with refused(AlreadyDecidedError, match="Health has already agreed"):
        apply(
            case,
            ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Changed my mind."),
            HEALTH,
            SIN_DAY,
        )
    with refused(AlreadyDecidedError, match="The local authority has already agreed"):
        apply(
            case,
            ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Changed my mind."),
            LA,
            SIN_DAY,
        )


def test_a_double_click_on_agree_records_one_decision() -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    case = decide(case, Agree(), HEALTH, SIN_DAY)
    case = decide(case, Agree(), POLICE, SIN_DAY)

    again = apply(case, Agree(), HEALTH, SIN_DAY)
    assert not again.changed
    assert again.audit is None
    assert again.case == case
    assert again.case.version == case.version
    assert [d.kind for d in again.case.decisions].count("agree") == 2


def test_the_proposer_clicking_agree_changes_nothing() -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    result = apply(case, Agree(), LA, SIN_DAY)
    assert not result.changed
    assert result.case.version == case.version


def test_a_double_click_on_any_decision_is_a_no_op() -> None:
    case = in_rapid_review()
    # The second click is handled after the first was saved: the status has moved on.
    result = apply(case, DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), LA, SIN_DAY)
    assert not result.changed
    assert len(result.case.decisions) == 1
    # The same decision by someone else is not a double click.
    with pytest.raises(AlreadyDecidedError):
        apply(case, DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), BM, SIN_DAY)


def test_a_repeated_disagreement_is_a_no_op() -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    case = decide(
        case, ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Too early."), POLICE, SIN_DAY
    )
    case = decide(case, Agree(), HEALTH, SIN_DAY)
    assert not apply(
        case, ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Too early."), POLICE, SIN_DAY
    ).changed
    with pytest.raises(AlreadyDecidedError):
        apply(
            case,
            ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Another reason."),
            POLICE,
            SIN_DAY,
        )


def test_a_local_cspr_needs_a_criterion_and_criteria_are_the_statutory_ones() -> None:
    with pytest.raises(ValidationError) as invalid:
        ProposeRecommendation(outcome="local_cspr", reasons="r")
    assert invalid.value.errors()[0]["type"] == DecisionProblem.CRITERIA_NEEDED
    with refused(InvalidDecisionError, match="at least one criterion"):
        parse_decision({"kind": "propose_recommendation", "outcome": "local_cspr", "reasons": "r"})
    assert ProposeRecommendation(outcome="no_further_review", reasons="r").criteria == ()
    with pytest.raises(InvalidDecisionError) as caught:
        parse_decision(
            {
                "kind": "propose_recommendation",
                "outcome": "local_cspr",
                "reasons": "r",
                "criteria": ["gut_feeling"],
            }
        )
    assert caught.value.field == "criteria"
    assert set(get_args(Criterion)) == set(CRITERIA)
    with pytest.raises(InvalidDecisionError) as caught:
        parse_decision(
            {
                "kind": "propose_recommendation",
                "outcome": "learning_review",
                "reasons": "r",
                "have_regard": ["vibes"],
            }
        )
    assert caught.value.field == "have_regard"


# --- sending the rapid review and the Panel's reply -----------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status", "decision_to_review"),
    [
        ("local_cspr", CaseStatus.LOCAL_REVIEW, SENT_DAY),
        ("learning_review", CaseStatus.LEARNING_REVIEW, None),
        ("no_further_review", CaseStatus.NO_FURTHER_REVIEW, None),
    ],
)
def test_sending_the_rapid_review_moves_the_case_on_per_the_outcome(
    outcome: str, status: CaseStatus, decision_to_review: date | None
) -> None:
    case = sent(outcome)
    assert case.status is status
    assert case.dates.rapid_review_sent == SENT_DAY
    assert case.dates.decision_to_review == decision_to_review
    rapid_review = timeline_of(case, SENT_DAY).get(MilestoneKey.RAPID_REVIEW)
    assert rapid_review.status is MilestoneStatus.DONE
    assert rapid_review.completed_on == SENT_DAY


def test_the_rapid_review_cannot_be_sent_before_the_partners_agreed() -> None:
    with refused(InvalidDecisionError, match="before the day the partners agreed"):
        apply(
            agreed(),
            DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=date(2026, 12, 7)),
            BM,
            SENT_DAY,
        )


def test_panel_national_review() -> None:
    day = SENT_DAY + timedelta(days=7)
    case = decide(sent(), PanelReply(on=day, reply="national_review"), BM, day)
    assert case.status is CaseStatus.NATIONAL_REVIEW
    reply = timeline_of(case, day).get(MilestoneKey.PANEL_REPLY)
    assert reply.completed_on == day
    with refused(AlreadyDecidedError, match="already recorded"):
        apply(case, PanelReply(on=day, reply="agrees"), LA, day)


def test_panel_steers_a_case_to_a_local_review() -> None:
    day = SENT_DAY + timedelta(days=7)
    case = decide(sent("no_further_review"), PanelReply(on=day, reply="local_review"), BM, day)
    assert case.status is CaseStatus.LOCAL_REVIEW
    assert case.dates.decision_to_review == day


def test_panel_agrees_leaves_the_status() -> None:
    day = SENT_DAY + timedelta(days=7)
    case = decide(sent("learning_review"), PanelReply(on=day, reply="agrees"), BM, day)
    assert case.status is CaseStatus.LEARNING_REVIEW


def test_panel_reply_cannot_be_before_the_rapid_review_was_sent() -> None:
    with refused(InvalidDecisionError, match="before the rapid review was sent"):
        apply(sent(), PanelReply(on=SENT_DAY - timedelta(days=1), reply="agrees"), BM, SENT_DAY)


# --- the local CSPR ---------------------------------------------------------------------------


def published_case() -> Case:
    case = sent()
    case = decide(
        case,
        ReviewerAppointed(on=date(2027, 1, 11), reviewer="Riley Reviewer"),
        BM,
        date(2027, 1, 11),
    )
    case = decide(
        case,
        DatedDecision(kind=DecisionKind.TERMS_OF_REFERENCE_AGREED, on=date(2027, 1, 18)),
        BM,
        date(2027, 1, 18),
    )
    case = decide(
        case,
        DatedDecision(kind=DecisionKind.REPORT_APPROVED, on=date(2027, 5, 3)),
        LA,
        date(2027, 5, 3),
    )
    case = decide(
        case,
        PublicationDecision(publish="improvements_only", reason="A trial is pending."),
        LA,
        date(2027, 5, 3),
    )
    case = decide(case, PublicationPlanned(planned_for=date(2027, 6, 1)), BM, date(2027, 5, 3))
    case = decide(
        case,
        DatedDecision(kind=DecisionKind.REPORT_SENT_TO_PANEL, on=date(2027, 5, 20)),
        BM,
        date(2027, 5, 20),
    )
    link = "https://www.coventry.example/cspr/cov-2026-001"
    return decide(case, Published(on=date(2027, 6, 1), link=link), BM, date(2027, 6, 1))


def test_the_cspr_path_to_publication() -> None:
    case = published_case()
    assert case.status is CaseStatus.PUBLISHED
    assert case.dates.planned_publication == date(2027, 6, 1)
    assert case.dates.published == date(2027, 6, 1)
    assert case.version == 1 + 5 + 7
    timeline = timeline_of(case, date(2027, 6, 1))
    assert timeline.get(MilestoneKey.CSPR_FINAL_REPORT).completed_on == date(2027, 6, 1)
    assert timeline.get(MilestoneKey.REPORT_COPY_TO_PANEL).completed_on == date(2027, 5, 20)
    assert available_decisions(case) == [DecisionKind.CLOSE_CASE]


def test_cspr_steps_are_refused_out_of_order_or_twice() -> None:
    case = sent()
    day = date(2027, 1, 11)
    with refused(DecisionNotAllowedError, match="Record 'Reviewer appointed' before"):
        apply(case, DatedDecision(kind=DecisionKind.REPORT_APPROVED, on=day), LA, day)
    with refused(DecisionNotAllowedError, match="Record 'Report approved' before"):
        apply(case, Published(on=day, link="https://x.example/r"), LA, day)
    case = decide(case, ReviewerAppointed(on=day, reviewer="Riley Reviewer"), BM, day)
    with refused(AlreadyDecidedError, match="already recorded on 11 January 2027"):
        apply(case, ReviewerAppointed(on=day, reviewer="Other Reviewer"), BM, day)
    with refused(InvalidDecisionError, match="before the decision to hold the review"):
        apply(
            case,
            DatedDecision(
                kind=DecisionKind.TERMS_OF_REFERENCE_AGREED, on=SENT_DAY - timedelta(days=1)
            ),
            BM,
            day,
        )
    with refused(InvalidDecisionError, match="planned date cannot be in the past"):
        apply(case, PublicationPlanned(planned_for=day - timedelta(days=1)), BM, day)


def test_publication_can_be_replanned_and_each_plan_is_kept() -> None:
    day = date(2027, 3, 1)
    case = decide(sent(), PublicationPlanned(planned_for=date(2027, 6, 1)), BM, day)
    case = decide(case, PublicationPlanned(planned_for=date(2027, 9, 1)), BM, day)
    assert case.dates.planned_publication == date(2027, 9, 1)
    assert [d.data for d in case.decisions if d.kind == "publication_planned"] == [
        {"planned_for": "2027-06-01"},
        {"planned_for": "2027-09-01"},
    ]


def test_publication_needs_an_https_link_and_a_reason_for_improvements_only() -> None:
    with refused(InvalidDecisionError, match="https://") as caught:
        parse_decision({"kind": "published", "on": "2027-06-01", "link": "http://x.example"})
    assert caught.value.field == "link"
    with pytest.raises(ValidationError):
        PublicationDecision(publish="improvements_only")
    assert PublicationDecision(publish="full").reason is None


# --- slips ------------------------------------------------------------------------------------


def test_a_slip_keeps_the_original_due_date_and_the_history() -> None:
    case = in_rapid_review()
    today = date(2026, 12, 1)
    before = timeline_of(case, today).get(MilestoneKey.RAPID_REVIEW)
    first = SlipMilestone(
        milestone=MilestoneKey.RAPID_REVIEW, to=date(2026, 12, 23), reason="Summaries are late."
    )
    case = decide(case, first, BM, today)
    second = SlipMilestone(
        milestone=MilestoneKey.RAPID_REVIEW, to=date(2027, 1, 8), reason="Christmas closure."
    )
    case = decide(case, second, BM, date(2026, 12, 15))

    events = case.milestone_events[MilestoneKey.RAPID_REVIEW.value]
    assert [s.to for s in events.slips] == [date(2026, 12, 23), date(2027, 1, 8)]
    assert [s.recorded_on for s in events.slips] == [today, date(2026, 12, 15)]
    milestone = timeline_of(case, date(2026, 12, 15)).get(MilestoneKey.RAPID_REVIEW)
    assert milestone.due == date(2027, 1, 8)
    assert milestone.original_due == before.due
    assert [(s.from_due, s.to_due, s.reason) for s in milestone.slips] == [
        (before.due, date(2026, 12, 23), "Summaries are late."),
        (date(2026, 12, 23), date(2027, 1, 8), "Christmas closure."),
    ]
    assert case.status is CaseStatus.RAPID_REVIEW


def test_a_slip_keeps_the_kind_of_reason_the_lead_chose() -> None:
    """The kind (for the timeliness report) comes from the card; an unchosen one is None."""
    case = in_rapid_review()
    chosen = parse_decision(
        {
            "kind": "slip",
            "milestone": "rapid_review",
            "to": "2026-12-23",
            "reason_kind": "agency_information",
            "reason": "The GP practice is closed.",
        }
    )
    case = decide(case, chosen, BM, date(2026, 12, 1))
    [slip] = case.milestone_events["rapid_review"].slips
    assert slip.kind == "agency_information"
    unchosen = parse_decision(
        {
            "kind": "slip",
            "milestone": "rr_draft",
            "to": "2026-12-23",
            "reason_kind": "",
            "reason": "r",
        }
    )
    assert isinstance(unchosen, SlipMilestone)
    assert unchosen.reason_kind is None
    with refused(InvalidDecisionError, match=""):
        parse_decision(
            {
                "kind": "slip",
                "milestone": "rr_draft",
                "to": "2026-12-23",
                "reason_kind": "x",
                "reason": "r",
            }
        )


def test_slips_that_make_no_sense_are_refused() -> None:
    case = in_rapid_review()
    today = date(2026, 12, 1)

    def slip(key: MilestoneKey, to: date = date(2027, 1, 8)) -> SlipMilestone:
        return SlipMilestone(milestone=key, to=to, reason="Reason.")

    with refused(DecisionNotAllowedError, match="was met on 25 November 2026"):
        apply(case, slip(MilestoneKey.SIN), BM, today)
    with refused(InvalidDecisionError, match="cannot be in the past"):
        apply(case, slip(MilestoneKey.RAPID_REVIEW, date(2026, 11, 30)), BM, today)
    with refused(InvalidDecisionError, match="minimum period"):
        apply(case, slip(MilestoneKey.REPORT_AVAILABLE_UNTIL), BM, today)
    with refused(DecisionNotAllowedError, match="once a local CSPR is decided"):
        apply(case, slip(MilestoneKey.CSPR_FINAL_REPORT), BM, today)
    with refused(DecisionNotAllowedError, match="already been sent"):
        apply(sent(), slip(MilestoneKey.RR_IAS_RETURNS), BM, SENT_DAY)
    with refused(DecisionNotAllowedError, match="has a published report"):
        apply(
            published_case(), slip(MilestoneKey.PANEL_REPLY, date(2027, 7, 1)), BM, date(2027, 6, 2)
        )


def test_a_cspr_deadline_can_slip_for_parallel_proceedings() -> None:
    case = sent()
    slip = SlipMilestone(
        milestone=MilestoneKey.CSPR_FINAL_REPORT,
        to=date(2027, 12, 10),
        reason="Criminal trial listed for autumn 2027.",
    )
    case = decide(case, slip, BM, date(2027, 3, 1))
    milestone = timeline_of(case, date(2027, 3, 1)).get(MilestoneKey.CSPR_FINAL_REPORT)
    assert milestone.due == date(2027, 12, 10)
    assert milestone.original_due == date(2027, 6, 10)


# --- audit ------------------------------------------------------------------------------------


def test_the_audit_entry_says_who_did_what_and_when() -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    result = apply(
        case,
        ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Not enough information yet."),
        POLICE,
        SIN_DAY,
    )
    audit = result.audit
    assert audit is not None
    assert audit.reference == "COV-2026-001"
    assert audit.record.at == at(SIN_DAY)
    assert (
        audit.record.actor.id,
        audit.record.actor.name,
        audit.record.actor.role,
        audit.record.actor.partner,
    ) == (
        "29:Pat Police",
        "Pat Police",
        "Detective Superintendent",
        Partner.POLICE,
    )
    assert audit.kind is DecisionKind.DISAGREE
    assert decision_label(audit.kind) == "Disagree"
    assert (audit.version_before, audit.record.version) == (case.version, case.version + 1)
    assert audit.record.data == {"reason": "Not enough information yet."}
    assert audit.detail() == {
        "kind": "disagree",
        "actor_name": "Pat Police",
        "partner": "police",
        "version_before": 3,
        "version_after": 4,
        "data": {"reason": "Not enough information yet."},
    }
    assert result.case.decisions[-1].version == audit.record.version


def test_audit_entries_carry_no_child_data() -> None:
    case = published_case()
    # Replay every decision to collect its audit entry.
    replay = new_case()
    entries = []
    for record in case.decisions:
        decision = parse_decision({**record.data, "kind": record.kind})
        result = apply_decision(
            replay, decision, actor=record.actor, partnership=coventry(), at=record.at
        )
        assert result.audit is not None
        entries.append(result.audit.model_dump_json())
        replay = result.case
    assert replay == case
    text = " ".join(entries)
    for secret in (CHILD_NAME, "Jane", "JD", "2022-03-14", "Injuries", "Sam Referrer"):
        assert secret not in text


# --- what leads can do now -------------------------------------------------------------------


def test_available_decisions_follow_the_case() -> None:
    assert available_decisions(new_case()) == [
        DecisionKind.SIN_MADE,
        DecisionKind.NOT_NOTIFIABLE,
        DecisionKind.PARTNERS_NOTIFIED,
        DecisionKind.SAFETY_ACTION,
        DecisionKind.SLIP,
    ]
    rapid = in_rapid_review()
    assert available_decisions(rapid) == [
        DecisionKind.PARTNERS_NOTIFIED,
        DecisionKind.SUMMARIES_REQUESTED,
        DecisionKind.SUMMARIES_RETURNED,
        DecisionKind.MEETING_HELD,
        DecisionKind.SAFETY_ACTION,
        DecisionKind.PROPOSE_RECOMMENDATION,
        DecisionKind.SLIP,
    ]
    proposed = decide(rapid, proposal(), LA, SIN_DAY)
    assert available_decisions(proposed) == [
        DecisionKind.PARTNERS_NOTIFIED,
        DecisionKind.SUMMARIES_REQUESTED,
        DecisionKind.SUMMARIES_RETURNED,
        DecisionKind.MEETING_HELD,
        DecisionKind.SAFETY_ACTION,
        DecisionKind.PROPOSE_RECOMMENDATION,
        DecisionKind.AGREE,
        DecisionKind.DISAGREE,
        DecisionKind.SLIP,
    ]
    assert DecisionKind.RAPID_REVIEW_SENT in available_decisions(agreed())
    assert available_decisions(sent()) == [
        DecisionKind.SAFETY_ACTION,
        DecisionKind.PANEL_REPLY,
        DecisionKind.REVIEWER_APPOINTED,
        DecisionKind.TERMS_OF_REFERENCE_AGREED,
        DecisionKind.PUBLICATION_DECISION,
        DecisionKind.PUBLICATION_PLANNED,
        DecisionKind.SLIP,
    ]
    assert available_decisions(sent("no_further_review")) == [
        DecisionKind.SAFETY_ACTION,
        DecisionKind.PANEL_REPLY,
        DecisionKind.SLIP,
        DecisionKind.CLOSE_CASE,
    ]
    national = decide(sent(), PanelReply(on=SENT_DAY, reply="national_review"), BM, SENT_DAY)
    assert available_decisions(national) == [
        DecisionKind.SAFETY_ACTION,
        DecisionKind.SLIP,
        DecisionKind.CLOSE_CASE,
    ]
    assert available_decisions(published_case()) == [DecisionKind.CLOSE_CASE]


def test_every_decision_kind_has_a_model_and_available_decisions_agree_with_apply() -> None:
    models = get_args(get_args(Decision)[0])
    # A model's kind is a Literal of the kinds that share its payload.
    kinds = {kind for model in models for kind in get_args(model.model_fields["kind"].annotation)}
    assert kinds == set(DecisionKind)
    # Whatever available_decisions leaves out is refused by apply_decision.
    case = new_case()
    assert DecisionKind.MEETING_HELD not in available_decisions(case)
    with pytest.raises(DecisionError):
        apply(case, DatedDecision(kind=DecisionKind.MEETING_HELD, on=SIN_DAY), BM, SIN_DAY)


# --- what the referrer is told ---------------------------------------------------------------


def test_decision_summary_wording_names_nobody() -> None:
    lines = summary_lines(decision_summary(published_case()))
    assert lines == [
        "The local authority notified the national Panel on 25 November 2026",
        "A rapid review began",
        "The partners sent the rapid review to the national Panel on 10 December 2026",
        "The partners decided on a local Child Safeguarding Practice Review",
        "A reviewer was appointed on 11 January 2027",
        "The review's terms of reference were agreed on 18 January 2027",
        "The partners approved the review's report on 3 May 2027",
        "The partners will publish only the improvements the review found",
        "Publication is planned for 1 June 2027",
        "The report was sent to the national Panel and the Secretary of State on 20 May 2027",
        "The report was published on 1 June 2027: https://www.coventry.example/cspr/cov-2026-001",
    ]
    text = " ".join(lines)
    for name in [*LEAD_NAMES, "Riley Reviewer", CHILD_NAME, "Sam Referrer", "trial"]:
        assert name not in text


def test_decision_summary_leaves_out_deliberation_and_reasons() -> None:
    case = decide(
        new_case(),
        ReasonedDecision(
            kind=DecisionKind.NOT_NOTIFIABLE, reason="Jane's injuries were accidental."
        ),
        LA,
        AWARE,
    )
    case = decide(
        case,
        ReasonedDecision(
            kind=DecisionKind.LEARNING_REVIEW_OFFERED, reason="Useful learning for Jane's school."
        ),
        BM,
        AWARE,
    )
    assert summary_lines(decision_summary(case)) == [
        "The local authority decided the case did not need to be notified to the national Panel",
        "The partnership decided to hold a learning review",
    ]
    rapid = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    rapid = decide(
        rapid,
        ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Pat thinks otherwise"),
        POLICE,
        SIN_DAY,
    )
    slip = SlipMilestone(milestone=MilestoneKey.RAPID_REVIEW, to=date(2027, 1, 8), reason="Pat ill")
    rapid = decide(rapid, slip, BM, SIN_DAY)
    assert summary_lines(decision_summary(rapid)) == [
        "The local authority notified the national Panel on 25 November 2026",
        "A rapid review began",
        "The date for sending the rapid review to the national Panel moved to 8 January 2027",
    ]


# --- stored cases -----------------------------------------------------------------------------


def test_a_case_stored_before_decisions_existed_still_loads() -> None:
    old = json.loads(new_case().model_dump_json())
    old.pop("milestone_events")
    old.pop("decisions")
    loaded = Case.model_validate(old)
    assert loaded.milestone_events == {}
    assert loaded.decisions == []
    assert loaded == new_case()
    assert available_decisions(loaded)[0] is DecisionKind.SIN_MADE


def test_a_case_with_decisions_survives_the_store() -> None:
    case = decide(in_rapid_review(), proposal(), LA, SIN_DAY)
    case = decide(
        case, ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Not yet."), POLICE, SIN_DAY
    )
    case = decide(
        case,
        SlipMilestone(milestone=MilestoneKey.RR_IAS_RETURNS, to=date(2026, 12, 20), reason="Late."),
        BM,
        SIN_DAY,
    )
    stored = Case.model_validate(json.loads(case.model_dump_json()))
    assert stored == case
    status = agreement_status(stored)
    assert status.proposal == proposal()
    assert (status.agreed, status.awaited, status.final) == (
        (Partner.LOCAL_AUTHORITY,),
        (Partner.HEALTH,),
        False,
    )
    assert [(v.partner, v.reason) for v in status.disagreements] == [(Partner.POLICE, "Not yet.")]
    # A double click read back from the store is still recognised.
    again = apply(
        stored, ReasonedDecision(kind=DecisionKind.DISAGREE, reason="Not yet."), POLICE, SIN_DAY
    )
    assert not again.changed


def test_parse_decision_reads_a_card_submission() -> None:
    decision = parse_decision(
        {
            "kind": "propose_recommendation",
            "outcome": "local_cspr",
            "reasons": "  Shared concerns.  ",
            "criteria": ["improvements", "improvements", "recurrent_themes"],
        }
    )
    assert isinstance(decision, ProposeRecommendation)
    assert decision.reasons == "Shared concerns."
    assert decision.criteria == ("improvements", "recurrent_themes")
    with refused(InvalidDecisionError, match="not a decision the bot knows"):
        parse_decision({"kind": "reopen_case"})
    with refused(InvalidDecisionError, match="does not take this field"):
        parse_decision({"kind": "agree", "note": "x"})


def test_partners_told_and_summaries_in_complete_their_milestones_once() -> None:
    case = decide(
        new_case(), DatedDecision(kind=DecisionKind.PARTNERS_NOTIFIED, on=SIN_DAY), LA, SIN_DAY
    )
    case = decide(case, DatedDecision(kind=DecisionKind.SIN_MADE, on=SIN_DAY), LA, SIN_DAY)
    day = date(2026, 12, 8)
    case = decide(case, DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=day), BM, day)
    timeline = timeline_of(case, day)
    told = timeline.get(MilestoneKey.NOTIFY_PARTNERS)
    returned = timeline.get(MilestoneKey.RR_IAS_RETURNS)
    assert told.completed_on == SIN_DAY
    assert returned.completed_on == day
    assert (
        apply(case, DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=day), BM, day).changed
        is False
    )  # a double click
    with pytest.raises(AlreadyDecidedError):
        apply(case, DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=day), LA, day)
    assert "safeguarding partners were told" in " ".join(summary_lines(decision_summary(case)))
