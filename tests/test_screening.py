"""The screening: every route a referral belongs to, as codes, worded by cards/wording.py."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.referral import channel_case_card, review_card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import Case, ReferrerIdentity, initial_dates
from safeguarding.faq import NATIONAL_FAQ_FILE, load_faq_file
from safeguarding.partnerships import load_partnerships
from safeguarding.referral import (
    Actions,
    Agencies,
    Area,
    Child,
    ChildStatus,
    Criteria,
    Draft,
    Incident,
    IncidentKind,
    Outcome,
    Referral,
    Referrer,
    Screening,
    Step,
    screen,
)
from safeguarding.timeline import compute_timeline
from tests.support.cards import assert_valid_card
from tests.test_wording import english_literals

INCIDENT_DAY = date(2026, 11, 20)
R = Outcome
COVENTRY = load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships["coventry"]
NATIONAL_FAQ = load_faq_file(NATIONAL_FAQ_FILE)


def referral(
    *,
    kind: IncidentKind = "serious_harm",
    abuse: str = "suspected",
    professional: bool = False,
    born: date = date(2020, 5, 1),
    statuses: tuple[ChildStatus, ...] = (),
) -> Referral:
    """One child, one incident on INCIDENT_DAY; the answers that screening reads are arguments."""
    return Referral(
        area=Area(area="Coventry", partnership_id="coventry"),
        referrer=Referrer(
            name="Sam", role="DSL", agency="School", contact="sam@school.example", lead_agreed=True
        ),
        children=(Child(name="JD", date_of_birth=born, statuses=statuses),),
        incident=Incident(date=INCIDENT_DAY, kind=kind, description="What happened"),
        agencies=Agencies(involved=("school",)),
        criteria=Criteria(
            abuse_or_neglect=abuse,  # type: ignore[arg-type]
            about_a_professional=professional,
            reasons="Why",
        ),
        actions=Actions(safety_actions="Safety plan"),
    )


def born_aged(years: int) -> date:
    """A date of birth that makes the child exactly `years` old (plus a day) on INCIDENT_DAY."""
    return date(INCIDENT_DAY.year - years, INCIDENT_DAY.month, INCIDENT_DAY.day - 1)


@pytest.mark.parametrize(
    ("answers", "routes"),
    [
        # A looked-after child seriously harmed by a foster carer: a serious case and the LADO.
        (
            {"statuses": ("looked_after",), "professional": True},
            (R.RAPID_REVIEW, R.LADO),
        ),
        # A looked-after child's death is notified whatever its cause; CDOP reviews every death.
        (
            {"statuses": ("looked_after",), "kind": "death", "abuse": "not_suspected"},
            (R.LOOKED_AFTER_DEATH, R.CDOP),
        ),
        (
            {"statuses": ("looked_after",), "kind": "death"},
            (R.RAPID_REVIEW, R.LOOKED_AFTER_DEATH, R.CDOP),
        ),
        # A rapid review for a death goes with CDOP's review.
        ({"kind": "death"}, (R.RAPID_REVIEW, R.CDOP)),
        ({"kind": "death", "abuse": "known"}, (R.RAPID_REVIEW, R.CDOP)),
        ({"kind": "death", "abuse": "not_suspected"}, (R.CDOP,)),
        # A care leaver aged 18-24 who died: notified, never adult safeguarding alone.
        (
            {"statuses": ("care_leaver",), "kind": "death", "born": born_aged(20)},
            (R.CARE_LEAVER_DEATH, R.ADULT_REVIEW),
        ),
        (
            {"statuses": ("care_leaver",), "kind": "death", "born": born_aged(24)},
            (R.CARE_LEAVER_DEATH, R.ADULT_REVIEW),
        ),
        (
            {"statuses": ("care_leaver",), "kind": "death", "born": born_aged(17)},
            (R.RAPID_REVIEW, R.CARE_LEAVER_DEATH, R.CDOP),
        ),
        # Past 24, or harmed rather than dead: adult safeguarding only.
        (
            {"statuses": ("care_leaver",), "kind": "death", "born": born_aged(25)},
            (R.ADULT_REVIEW,),
        ),
        (
            {"statuses": ("care_leaver",), "kind": "serious_harm", "born": born_aged(20)},
            (R.ADULT_REVIEW,),
        ),
        # The routes that stood alone before still do.
        ({}, (R.RAPID_REVIEW,)),
        ({"abuse": "not_suspected"}, (R.LEARNING_REVIEW,)),
        ({"kind": "other", "professional": True}, (R.LADO,)),
        ({"born": born_aged(30)}, (R.ADULT_REVIEW,)),
    ],
)
def test_screening_returns_every_route_that_applies(
    answers: dict[str, Any], routes: tuple[Outcome, ...]
) -> None:
    screening = screen(referral(**answers))
    assert screening.routes == routes
    assert screening.outcome is routes[0]


def test_a_care_leavers_25th_birthday_is_the_boundary() -> None:
    on_birthday = date(INCIDENT_DAY.year - 25, INCIDENT_DAY.month, INCIDENT_DAY.day)
    eve = date(INCIDENT_DAY.year - 25, INCIDENT_DAY.month, INCIDENT_DAY.day + 1)
    died = {"statuses": ("care_leaver",), "kind": "death"}
    assert R.CARE_LEAVER_DEATH in screen(referral(**died, born=eve)).routes  # still 24
    assert R.CARE_LEAVER_DEATH not in screen(referral(**died, born=on_birthday)).routes


def test_the_screening_holds_codes_and_no_sentences() -> None:
    assert set(Screening.model_fields) == {"routes"}
    found = english_literals(inspect.getsource(screen))
    assert not found, found


def test_a_case_stored_with_one_outcome_and_its_sentence_still_loads() -> None:
    old = Screening.model_validate({"outcome": "lado", "explanation": "It concerns the conduct"})
    assert old.routes == (R.LADO,)
    case = Case(
        reference="COV-2026-001",
        partnership_id="coventry",
        referral=referral(),
        screening=screen(referral()),
        submitted_by=ReferrerIdentity(user_id="u"),
        submitted_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        dates=initial_dates(referral()),
    )
    stored = case.model_dump(mode="json")
    stored["screening"] = {"outcome": "cdop", "explanation": "A child death with no abuse..."}
    assert Case.model_validate(stored).screening.routes == (R.CDOP,)


def test_every_route_has_a_label_and_a_sentence() -> None:
    assert set(wording.OUTCOME_LABELS) == {r.value for r in Outcome}
    assert set(wording.SCREENING_EXPLANATIONS) == {r.value for r in Outcome}


def test_cdop_is_worded_as_reviewing_every_child_death() -> None:
    # CDOP takes every death; only the death without suspicion goes nowhere else.
    for text in (wording.SCREENING_EXPLANATIONS["cdop"], wording.OTHER_SERVICES["cdop"]):
        assert "every child" in text
    assert not wording.OTHER_SERVICES["cdop"].startswith("A child's death with no abuse")
    criteria = next(entry.answer for entry in NATIONAL_FAQ if entry.id == "criteria")
    assert "every child's death" in criteria
    assert "CDOP) instead" not in criteria


def test_the_care_leaver_notification_names_who_is_told() -> None:
    sentence = wording.SCREENING_EXPLANATIONS["care_leaver_death"]
    assert "24" in sentence
    assert "Secretary of State for Education and Ofsted" in sentence
    looked_after = wording.SCREENING_EXPLANATIONS["looked_after_death"]
    assert "Secretary of State and Ofsted" in looked_after
    assert "whether or not abuse or neglect is suspected" in looked_after


def _review(filed: Referral) -> str:
    draft = Draft(
        step=Step.REVIEW,
        safety_answer="incident",
        area=filed.area,
        referrer=filed.referrer,
        children=filed.children,
        incident=filed.incident,
        agencies=filed.agencies,
        criteria=filed.criteria,
        actions=filed.actions,
    )
    card = review_card(
        draft=draft,
        referral=filed,
        screening=screen(filed),
        partnership=COVENTRY,
        duplicates=(),
        today=date(2026, 11, 24),
    )
    assert_valid_card(card)
    return json.dumps(card)


def test_the_review_card_shows_every_route_with_its_sentence() -> None:
    text = _review(referral(kind="death", statuses=("looked_after",)))
    for route in ("rapid_review", "looked_after_death", "cdop"):
        assert wording.SCREENING_EXPLANATIONS[route] in text
    assert wording.SCREENING_STILL_CONSIDERED not in text  # a rapid review is among them
    alone = _review(referral(kind="death", abuse="not_suspected"))
    assert wording.SCREENING_EXPLANATIONS["cdop"] in alone
    assert wording.SCREENING_STILL_CONSIDERED in alone


def test_the_channel_card_names_every_route() -> None:
    filed = referral(kind="serious_harm", statuses=("looked_after",), professional=True)
    case = Case(
        reference="COV-2026-001",
        partnership_id="coventry",
        referral=filed,
        screening=screen(filed),
        submitted_by=ReferrerIdentity(user_id="u"),
        submitted_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        dates=initial_dates(filed),
    )
    timeline = compute_timeline(
        case.dates, COVENTRY.clock, WorkingDayCalendar.for_england(), date(2026, 11, 24)
    )
    card = channel_case_card(
        case=case, partnership=COVENTRY, timeline=timeline, today=date(2026, 11, 24)
    )
    assert_valid_card(card)
    facts = {
        f["title"]: f["value"]
        for o in card["body"]
        if o.get("type") == "FactSet"
        for f in o["facts"]
    }
    shown = facts[wording.FACT_SCREENING]
    assert shown.startswith("A rapid review; The Local Authority Designated Officer")
