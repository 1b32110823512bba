"""Referral cards: valid 1.5 cards, messages under their inputs, user text shown literally."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.decisions import decision_card
from cards.referral import (
    acknowledgement_card,
    cancel_confirm_card,
    channel_case_card,
    long_date,
    resume_card,
    review_card,
    safety_card,
    safety_redirect_card,
    section_card,
    told_card,
)
from cards.text import escape_markdown
from cards.welcome import welcome_card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import Case, ReferrerIdentity, initial_dates
from safeguarding.decisions import DecisionKind, agreement_status
from safeguarding.frontdoor import FrontDoorContact
from safeguarding.leading import (
    ELSEWHERE_IN_ENGLAND,
    OUTSIDE_ENGLAND,
    PLACES_NOT_LISTED,
    LeadRule,
    Routing,
    route,
)
from safeguarding.partnerships import Partnership, Partnerships, load_partnerships
from safeguarding.referral import (
    SECTION_STEPS,
    Actions,
    Agencies,
    Area,
    Child,
    Criteria,
    Draft,
    Incident,
    Outcome,
    Referral,
    Referrer,
    Screening,
    Step,
    screen,
)
from safeguarding.timeline import Timeline, compute_timeline
from tests.support.cards import assert_valid_card
from tests.support.cases import draft_of

TODAY = date(2026, 11, 24)
INCIDENT_DAY = date(2026, 11, 20)
AWARE_DAY = date(2026, 11, 23)
EVIL = "[x](https://evil.example) @everyone **b**"
# What must never reach a TextBlock or FactSet raw: a live link, a mention, bold.
FORBIDDEN = ("](https://", "@everyone", "**b**")


@cache
def partnerships() -> Partnerships:
    return load_partnerships(EXAMPLE_PARTNERSHIPS)


def coventry() -> Partnership:
    found = partnerships().get("coventry")
    assert found is not None
    return found


@cache
def calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar.for_england()


def make_child(name: str = "Jane Doe", **changes: Any) -> Child:
    fields: dict[str, Any] = {
        "name": name,
        "date_of_birth": date(2020, 5, 1),
        "sex": "female",
        "ethnicity": "White British",
        "disability": "no",
        "statuses": ("child_protection_plan",),
    }
    fields.update(changes)
    return Child(**fields)


def make_referral(
    text: str | None = None,
    *,
    children: tuple[Child, ...] | None = None,
    description: str | None = None,
    la_aware: date | None = AWARE_DAY,
    long_text: str | None = None,
) -> Referral:
    """A realistic referral; `text` goes into every free-text field when given."""
    t = text
    return Referral(
        area=Area(area="Coventry", partnership_id="coventry", other_area=t or "Warwickshire"),
        referrer=Referrer(
            name=t or "Sam Patel",
            role=t or "Designated safeguarding lead",
            agency=t or "Northfield Primary School",
            contact=t or "sam.patel@northfield.example",
            lead_agreed=True,
        ),
        children=children or (make_child(t or "Jane Doe", ethnicity=t or "White British"),),
        incident=Incident(
            date=INCIDENT_DAY,
            la_aware=la_aware,
            kind="serious_harm",
            location=t or "Family home",
            description=long_text or description or t or "Admitted to hospital with injuries.",
        ),
        agencies=Agencies(involved=("school", "gp"), other=t or "Youth club", still_involved="yes"),
        criteria=Criteria(
            abuse_or_neglect="suspected",
            about_a_professional=False,
            criteria=("improvements", "agencies_working_together"),
            reasons=long_text or t or "Several agencies saw signs that were not shared.",
        ),
        actions=Actions(
            safety_actions=long_text or t or "Siblings placed with grandparents.",
            parallel=("police",),
            media_interest="not_known",
        ),
    )


def make_case(referral: Referral) -> Case:
    return Case(
        reference="COV-2026-001",
        partnership_id="coventry",
        referral=referral,
        screening=screen(referral),
        submitted_by=ReferrerIdentity(user_id="user-1"),
        submitted_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        dates=initial_dates(referral),
    )


def timeline_of(case: Case) -> Timeline:
    return compute_timeline(
        case.dates, coventry().clock, calendar(), TODAY, collaborator=case.collaborator
    )


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def shown_strings(card: dict[str, Any]) -> Iterator[str]:
    """Every string in a card except the values of inputs, which show as plain text."""
    for obj in walk(card):
        is_input = str(obj.get("type", "")).startswith("Input.")
        for key, value in obj.items():
            if isinstance(value, str) and not (is_input and key == "value"):
                yield value


def assert_no_raw_markdown(card: dict[str, Any]) -> None:
    for text in shown_strings(card):
        for forbidden in FORBIDDEN:
            assert forbidden not in text, f"{forbidden!r} shown raw in {text!r}"


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in walk(card) if str(obj.get("type", "")).startswith("Input.")}


def submits(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [obj for obj in walk(card) if obj.get("type") == "Action.Submit"]


def section_values() -> dict[Step, dict[str, str]]:
    """Raw answers for each section, as Teams would send them."""
    return {
        Step.AREA: {"area": "Coventry", "other_area": EVIL},
        Step.REFERRER: {
            "name": EVIL,
            "role": EVIL,
            "agency": EVIL,
            "contact": EVIL,
            "lead_agreed": "true",
        },
        Step.CHILD: {
            "name": EVIL,
            "unborn": "false",
            "date_of_birth": "2020-05-01",
            "sex": "female",
            "ethnicity": EVIL,
            "disability": "no",
            "statuses": "looked_after,child_in_need",
        },
        Step.INCIDENT: {
            "date": "2026-11-20",
            "la_aware": "2026-11-23",
            "kind": "death",
            "location": EVIL,
            "description": EVIL,
        },
        Step.AGENCIES: {"involved": "police,school", "other": EVIL, "still_involved": "yes"},
        Step.CRITERIA: {
            "abuse_or_neglect": "known",
            "about_a_professional": "false",
            "criteria": "improvements",
            "reasons": EVIL,
        },
        Step.ACTIONS: {
            "safety_actions": EVIL,
            "parallel": "police,coroner",
            "media_interest": "yes",
        },
    }


# --- every card is a valid 1.5 card ---


@pytest.mark.parametrize("step", SECTION_STEPS)
@pytest.mark.parametrize("with_values", [False, True])
@pytest.mark.parametrize("with_errors", [False, True])
def test_section_cards_are_valid(step: Step, with_values: bool, with_errors: bool) -> None:
    values = section_values()[step] if with_values else None
    errors = {key: f"Problem with {key}" for key in section_values()[step]} if with_errors else None
    if errors is not None:
        errors["_form"] = "Something about the whole form"
    for draft in (Draft(), draft_of(make_referral(EVIL))):
        card = section_card(
            step, partnerships=partnerships(), draft=draft, values=values, errors=errors
        )
        assert_valid_card(card)
        assert card["version"] == "1.5"
        assert_no_raw_markdown(card)


def test_every_section_submit_routes_to_the_referral() -> None:
    for step in SECTION_STEPS:
        card = section_card(step, partnerships=partnerships(), draft=Draft())
        actions = submits(card)
        assert actions, step
        for action in actions:
            assert action["data"]["action"] == "referral"
            assert action["data"]["step"] in (step.value, "cancel")
        cancel = [a for a in actions if a["data"]["step"] == "cancel"]
        assert len(cancel) == 1
        # Cancelling must not be blocked by required inputs left empty.
        assert cancel[0]["associatedInputs"] == "None"


def test_section_inputs_are_the_model_fields() -> None:
    expected = {
        Step.AREA: {"area", "other_area", "harm_area"},
        Step.REFERRER: set(Referrer.model_fields),
        # The age band is set by erasure (safeguarding/retention.py), never asked.
        Step.CHILD: set(Child.model_fields) - {"age_band"},
        Step.INCIDENT: set(Incident.model_fields),
        Step.AGENCIES: set(Agencies.model_fields),
        Step.CRITERIA: set(Criteria.model_fields),
        Step.ACTIONS: set(Actions.model_fields),
    }
    for step, fields in expected.items():
        card = section_card(step, partnerships=partnerships(), draft=Draft())
        assert set(inputs(card)) == fields, step


def test_progress_is_shown() -> None:
    card = section_card(Step.CHILD, partnerships=partnerships(), draft=Draft())
    assert "Step 3 of 8" in json.dumps(card)


def test_area_card_lists_every_configured_area() -> None:
    card = section_card(Step.AREA, partnerships=partnerships(), draft=Draft())
    for input_id in ("area", "harm_area"):
        area = inputs(card)[input_id]
        values = {choice["value"] for choice in area["choices"]}
        assert values == {a for a, _ in partnerships().all_areas()} | set(PLACES_NOT_LISTED)
        # Required is said in the label and checked by the server, so Back can send it empty.
        assert area["label"].endswith("(required)")
        assert "isRequired" not in area


# --- errors sit under their inputs ---


@pytest.mark.parametrize("step", SECTION_STEPS)
def test_each_error_sits_right_under_its_input(step: Step) -> None:
    blank = section_card(step, partnerships=partnerships(), draft=Draft())
    for input_id in inputs(blank):
        message = f"Fix {input_id} please"
        card = section_card(
            step, partnerships=partnerships(), draft=Draft(), errors={input_id: message}
        )
        assert_valid_card(card)
        body = card["body"]
        index = next(i for i, el in enumerate(body) if el.get("id") == input_id)
        below = body[index + 1]
        assert below["type"] == "TextBlock"
        assert below["color"] == "Attention"
        assert below["wrap"] is True
        assert below["text"] == escape_markdown(wording.ERROR_PREFIX.format(message=message))
        summary = json.dumps(body[:index])
        # The banner names the field: "Check: date of the incident."
        named = wording.FIELD_NAMES[f"{step.value}.{input_id}"]
        assert wording.ERRORS_CHECK_FIELDS.format(fields=named) in summary


def test_an_error_for_no_input_is_shown_at_the_top() -> None:
    card = section_card(
        Step.CHILD,
        partnerships=partnerships(),
        draft=Draft(),
        errors={"_form": "One referral can hold up to 12 children"},
    )
    first_input = next(i for i, el in enumerate(card["body"]) if el.get("id") == "name")
    top = json.dumps(card["body"][:first_input])
    assert "One referral can hold up to 12 children" in top


def test_no_errors_means_no_summary() -> None:
    card = section_card(Step.REFERRER, partnerships=partnerships(), draft=Draft())
    assert wording.ERRORS_SUMMARY not in json.dumps(card)


# --- prefilled values ---


def test_values_are_prefilled_after_an_error() -> None:
    for step, values in section_values().items():
        card = section_card(
            step, partnerships=partnerships(), draft=Draft(), values=values, errors={"x": "y"}
        )
        found = inputs(card)
        for key, value in values.items():
            assert found[key].get("value") == value, (step, key)


def test_input_values_keep_the_text_as_typed() -> None:
    # An input shows plain text: escaping it would add backslashes on every round trip.
    values = section_values()[Step.INCIDENT]
    card = section_card(Step.INCIDENT, partnerships=partnerships(), draft=Draft(), values=values)
    assert inputs(card)["description"]["value"] == EVIL


def test_the_draft_prefills_a_section() -> None:
    referral = make_referral()
    draft = draft_of(referral)
    referrer = inputs(section_card(Step.REFERRER, partnerships=partnerships(), draft=draft))
    assert referrer["name"]["value"] == "Sam Patel"
    assert referrer["lead_agreed"]["value"] == "true"
    incident = inputs(section_card(Step.INCIDENT, partnerships=partnerships(), draft=draft))
    assert incident["date"]["value"] == "2026-11-20"
    assert incident["la_aware"]["value"] == "2026-11-23"
    assert incident["kind"]["value"] == "serious_harm"
    agencies = inputs(section_card(Step.AGENCIES, partnerships=partnerships(), draft=draft))
    assert agencies["involved"]["value"] == "school,gp"
    area = inputs(section_card(Step.AREA, partnerships=partnerships(), draft=draft))
    assert area["area"]["value"] == "Coventry"


def test_odd_or_huge_values_do_not_break_the_card() -> None:
    values: dict[str, Any] = {
        "name": None,
        "date_of_birth": "not a date",
        "sex": "dragon",
        "statuses": "looked_after,bogus",
        "ethnicity": ["a", 3],
        "unborn": 7,
        "disability": {"x": 1},
    }
    card = section_card(
        Step.CHILD, partnerships=partnerships(), draft=Draft(), values=values, errors={}
    )
    assert_valid_card(card)
    found = inputs(card)
    assert "value" not in found["date_of_birth"]
    assert "value" not in found["sex"]
    assert found["statuses"]["value"] == "looked_after"
    huge = {"description": "x" * 10_000, "reasons": "y" * 10_000}
    for step in (Step.INCIDENT, Step.CRITERIA):
        card = section_card(step, partnerships=partnerships(), draft=Draft(), values=huge)
        assert_valid_card(card)


# --- the child card ---


def test_child_card_lists_children_by_initials_and_age_only() -> None:
    children = (make_child("Jane Doe"), make_child("Ben Smith", date_of_birth=date(2026, 9, 2)))
    draft = Draft(children=children, incident=make_referral().incident)
    card = section_card(Step.CHILD, partnerships=partnerships(), draft=draft)
    assert_valid_card(card)
    text = json.dumps(card)
    assert "JD, 6 years" in text
    assert "BS, 2 months" in text
    assert "Jane" not in text
    assert "Smith" not in text
    # A blank form must be sendable once children are added: "no more children".
    assert "isRequired" not in inputs(card)["name"]


def test_child_card_before_the_incident_uses_today_or_initials() -> None:
    draft = Draft(
        children=(
            make_child("Jane Doe"),
            make_child("Al Bo", unborn=True, date_of_birth=None, expected_date=date(2027, 1, 1)),
        )
    )
    plain = json.dumps(section_card(Step.CHILD, partnerships=partnerships(), draft=draft))
    assert "AB, unborn" in plain
    assert "Jane" not in plain
    dated = json.dumps(
        section_card(Step.CHILD, partnerships=partnerships(), draft=draft, today=TODAY)
    )
    assert "JD, 6 years" in dated


def test_child_card_buttons_and_editing() -> None:
    children = (make_child("Jane Doe"), make_child("Ben Smith"))
    draft = Draft(children=children)
    new = section_card(Step.CHILD, partnerships=partnerships(), draft=draft)
    nexts = {a["data"].get("next") for a in submits(new)}
    assert nexts == {"add_child", "continue", None}
    assert all("child_index" not in a["data"] for a in submits(new))
    assert "value" not in inputs(new)["name"]

    editing = section_card(Step.CHILD, partnerships=partnerships(), draft=draft, child_index=1)
    assert_valid_card(editing)
    found = inputs(editing)
    assert found["name"]["value"] == "Ben Smith"
    assert found["name"]["label"].endswith("(required)")
    assert found["date_of_birth"]["value"] == "2020-05-01"
    assert found["statuses"]["value"] == "child_protection_plan"
    for action in submits(editing):
        if action["data"]["step"] == "child":
            assert action["data"]["child_index"] == 1

    # An index that does not exist is a new child.
    missing = section_card(Step.CHILD, partnerships=partnerships(), draft=draft, child_index=9)
    assert "value" not in inputs(missing)["name"]


def test_child_card_stops_offering_more_children_at_twelve() -> None:
    draft = Draft(children=tuple(make_child(f"Child {i}") for i in range(11)))
    card = section_card(Step.CHILD, partnerships=partnerships(), draft=draft)
    assert {a["data"].get("next") for a in submits(card)} == {"continue", None}


def test_unborn_toggle_is_prefilled() -> None:
    child = make_child("Al Bo", unborn=True, date_of_birth=None, expected_date=date(2027, 1, 1))
    draft = Draft(children=(child,))
    found = inputs(
        section_card(Step.CHILD, partnerships=partnerships(), draft=draft, child_index=0)
    )
    assert found["unborn"]["value"] == "true"
    assert found["expected_date"]["value"] == "2027-01-01"


# --- the incident card's adult confirmation ---


def test_confirm_adult_is_asked_only_when_needed() -> None:
    plain = section_card(Step.INCIDENT, partnerships=partnerships(), draft=Draft())
    assert "confirm_adult" not in inputs(plain)
    message = "JD was 18 or over on this date."
    asked = section_card(
        Step.INCIDENT,
        partnerships=partnerships(),
        draft=Draft(),
        values=section_values()[Step.INCIDENT],
        errors={"confirm_adult": message},
    )
    assert_valid_card(asked)
    toggle = inputs(asked)["confirm_adult"]
    assert toggle["type"] == "Input.Toggle"
    body = asked["body"]
    index = next(i for i, el in enumerate(body) if el.get("id") == "confirm_adult")
    assert body[index + 1]["text"] == escape_markdown(wording.ERROR_PREFIX.format(message=message))
    kept = section_card(
        Step.INCIDENT,
        partnerships=partnerships(),
        draft=Draft(),
        values={**section_values()[Step.INCIDENT], "confirm_adult": "true"},
        errors={"description": "Too long"},
    )
    assert inputs(kept)["confirm_adult"]["value"] == "true"


def test_description_has_a_length_limit() -> None:
    card = section_card(Step.INCIDENT, partnerships=partnerships(), draft=Draft())
    description = inputs(card)["description"]
    assert description["isMultiline"] is True
    assert description["maxLength"] == 1500


# --- safety question and redirect ---


def test_safety_card_offers_three_answers() -> None:
    card = safety_card()
    assert_valid_card(card)
    data = [a["data"] for a in submits(card)]
    assert data == [
        {"action": "referral", "step": "safety", "answer": "danger"},
        {"action": "referral", "step": "safety", "answer": "worry"},
        {"action": "referral", "step": "safety", "answer": "incident"},
    ]


def contacts(
    name: str = "Coventry MASH", areas: tuple[str, ...] = ("Coventry",)
) -> list[FrontDoorContact]:
    return [
        FrontDoorContact(
            "coventry",
            areas,
            "office_hours",
            name,
            "024 7678 8555",
            "https://www.coventry.gov.uk/mash",
        ),
        FrontDoorContact(
            "warwickshire",
            ("Warwickshire",),
            "out_of_hours",
            "Emergency Duty Team",
            "01926 886922",
            None,
        ),
    ]


def test_danger_redirect_puts_999_first() -> None:
    card = safety_redirect_card("danger", contacts())
    assert_valid_card(card)
    first = card["body"][0]
    assert first["type"] == "Container"
    assert first["style"] == "attention"
    assert "999" in json.dumps(first)
    text = json.dumps(card)
    for expected in ("024 7678 8555", "01926 886922", "office hours", "out of hours"):
        assert expected in text
    urls = [o["url"] for o in walk(card) if o.get("type") == "Action.OpenUrl"]
    assert urls == ["https://www.coventry.gov.uk/mash"]
    data = [a["data"] for a in submits(card)]
    assert data == [
        {"action": "referral", "step": "safety_redirect", "choice": "continue"},
        {"action": "referral", "step": "safety_redirect", "choice": "end"},
    ]


def test_worry_redirect_gives_front_doors_and_the_reason() -> None:
    card = safety_redirect_card("worry", contacts())
    assert_valid_card(card)
    text = json.dumps(card)
    assert "Coventry MASH" in text
    assert escape_markdown(wording.REDIRECT_WORRY_REASON) in text or (
        wording.REDIRECT_WORRY_REASON in text
    )
    assert len(submits(card)) == 2


def test_redirect_escapes_configured_text_and_copes_with_no_contacts() -> None:
    card = safety_redirect_card("worry", contacts(name=EVIL, areas=(EVIL,)))
    assert_valid_card(card)
    assert_no_raw_markdown(card)
    empty = safety_redirect_card("danger", [])
    assert_valid_card(empty)
    assert "council" in json.dumps(empty)


# --- review ---


def review(
    referral: Referral, *, duplicates: tuple[str, ...] = (), screening: Screening | None = None
) -> dict[str, Any]:
    return review_card(
        draft=draft_of(referral),
        referral=referral,
        screening=screening or screen(referral),
        partnership=coventry(),
        duplicates=duplicates,
        today=TODAY,
    )


def test_review_card_has_a_section_each_with_edit() -> None:
    referral = make_referral(children=(make_child("Jane Doe"), make_child("Ben Smith")))
    card = review(referral)
    assert_valid_card(card)
    edits = [a["data"] for a in submits(card) if "edit" in a["data"]]
    steps = [e["edit"] for e in edits]
    assert steps == [
        "area",
        "referrer",
        "child",
        "child",
        "incident",
        "agencies",
        "criteria",
        "actions",
    ]
    assert all(e["action"] == "referral" and e["step"] == "review" for e in edits)
    assert [e.get("child_index") for e in edits if e["edit"] == "child"] == [0, 1]
    for obj in walk(card):
        if obj.get("type") == "Container" and any(
            a.get("type") == "ActionSet" for a in obj.get("items", [])
        ):
            assert any(i.get("type") == "FactSet" for i in obj["items"])
    final = [a["data"] for a in submits(card) if a["data"].get("submit") is True]
    assert final == [{"action": "referral", "step": "review", "submit": True}]
    assert any(a["data"]["step"] == "cancel" for a in submits(card))
    text = json.dumps(card)
    assert "Jane Doe" in text  # the referrer's own private chat
    assert "Coventry Safeguarding Children Partnership" in text


def test_review_card_shows_the_screening_without_blocking() -> None:
    referral = make_referral()
    rapid = review(referral)
    assert screen(referral).outcome is Outcome.RAPID_REVIEW
    assert wording.SCREENING_STILL_CONSIDERED not in json.dumps(rapid)
    learning = Screening(routes=(Outcome.LEARNING_REVIEW,))
    card = review(referral, screening=learning)
    text = json.dumps(card)
    assert wording.SCREENING_STILL_CONSIDERED in text
    assert wording.SCREENING_EXPLANATIONS["learning_review"] in text
    assert any(a["data"].get("submit") is True for a in submits(card))


def test_review_card_warns_about_a_likely_duplicate() -> None:
    plain = review(make_referral())
    assert not [o for o in walk(plain) if o.get("style") == "warning"]
    card = review(make_referral(), duplicates=("COV-2026-001",))
    assert_valid_card(card)
    warnings = [
        o for o in walk(card) if o.get("type") == "Container" and o.get("style") == "warning"
    ]
    assert len(warnings) == 1
    assert "This looks like an existing case: COV-2026-001. You can still submit." in json.dumps(
        warnings[0]
    )


def test_review_card_escapes_an_odd_duplicate_reference() -> None:
    card = review(make_referral(), duplicates=(EVIL,))
    assert_no_raw_markdown(card)


# --- acknowledgement ---


def test_acknowledgement_gives_the_reference_and_the_sin_deadline() -> None:
    case = make_case(make_referral())
    card = acknowledgement_card(case=case, partnership=coventry(), timeline=timeline_of(case))
    assert_valid_card(card)
    text = json.dumps(card)
    assert "Referral COV-2026-001 received" in text
    # Aware Monday 23 November 2026: 5 working days on is Monday 30 November.
    assert "Monday 30 November 2026" in text
    assert "local authority" in text
    assert "024 7697 5477" in text  # Coventry's business unit
    assert "999" in text
    assert "front door" in text
    assert "Safeguarding Reviews Subgroup" in text


def _filed_after_the_sin_date() -> tuple[Case, Timeline]:
    # LA aware Fri 20 Nov 2026: the SIN was due Fri 27 Nov; the referral is filed Tue 1 Dec.
    case = make_case(make_referral(la_aware=INCIDENT_DAY)).model_copy(
        update={"submitted_at": datetime(2026, 12, 1, 10, 0, tzinfo=UTC)}
    )
    return case, compute_timeline(case.dates, coventry().clock, calendar(), date(2026, 12, 1))


def test_acknowledgement_says_the_sin_is_overdue_when_filed_after_its_date() -> None:
    case, timeline = _filed_after_the_sin_date()
    card = acknowledgement_card(case=case, partnership=coventry(), timeline=timeline)
    assert_valid_card(card)
    shown = list(shown_strings(card))
    assert wording.ACK_SIN_OVERDUE.format(due="Friday 27 November 2026") in shown
    assert not any("It is due by" in text for text in shown)


def test_channel_card_says_the_sin_is_overdue_when_filed_after_its_date() -> None:
    case, timeline = _filed_after_the_sin_date()
    card = channel_case_card(
        case=case, partnership=coventry(), timeline=timeline, today=date(2026, 12, 1)
    )
    assert_valid_card(card)
    facts = {f["title"]: f["value"] for f in walk(card) if "title" in f and "value" in f}
    # Overdue by Mon 30 Nov and Tue 1 Dec.
    assert facts[wording.FACT_SIN_DUE] == "Friday 27 November 2026: overdue by 2 working days"
    # The rapid review is counted from the SIN's due date, still ahead: not overdue.
    assert "overdue" not in facts[wording.FACT_RAPID_REVIEW_DUE]


def test_acknowledgement_when_the_la_is_not_known_to_be_aware() -> None:
    case = make_case(make_referral(la_aware=None))
    card = acknowledgement_card(case=case, partnership=coventry(), timeline=timeline_of(case))
    assert_valid_card(card)
    text = json.dumps(card)
    assert wording.ACK_LA_NOT_AWARE in text
    assert "2026" not in text.replace("COV-2026-001", "")


def test_acknowledgement_without_a_business_unit() -> None:
    hull = partnerships().get("hull")
    assert hull is not None
    case = make_case(make_referral())
    card = acknowledgement_card(case=case, partnership=hull, timeline=timeline_of(case))
    assert_valid_card(card)
    assert "Questions about the review process" not in json.dumps(card)


# --- the channel card ---


def test_channel_card_never_shows_names_or_the_description() -> None:
    name = "Zebedee Quackenbush"
    description = "Purplemoose lanternfish episode"
    referral = make_referral(
        children=(
            make_child(name),
            make_child(
                "Octavia Wibblesworth",
                unborn=True,
                date_of_birth=None,
                expected_date=date(2027, 2, 1),
            ),
        ),
        description=description,
    )
    case = make_case(referral)
    card = channel_case_card(
        case=case, partnership=coventry(), timeline=timeline_of(case), today=TODAY
    )
    assert_valid_card(card)
    text = json.dumps(card)
    for secret in (
        "Zebedee",
        "Quackenbush",
        "Octavia",
        "Wibblesworth",
        "Purplemoose",
        "lanternfish",
        "Sam Patel",
        "Family home",
        "sam.patel",
    ):
        assert secret not in text
    assert "ZQ, 6 years" in text
    assert "OW, unborn" in text
    assert "Northfield Primary School" in text  # the referrer's agency
    assert "COV-2026-001" in text
    assert "Friday 20 November 2026" in text  # incident
    assert "Monday 23 November 2026" in text  # LA aware
    assert "Monday 30 November 2026" in text  # SIN due
    assert "(projected)" in text  # rapid review counted from the SIN's due date
    assert "Police investigation" in text
    assert "Warwickshire" in text  # the child's home area
    # Filed before the place of harm was asked: nothing is claimed about who leads.
    assert wording.FACT_LEADS not in text


def test_channel_card_when_the_la_is_not_aware() -> None:
    case = make_case(make_referral(la_aware=None))
    card = channel_case_card(
        case=case, partnership=coventry(), timeline=timeline_of(case), today=TODAY
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert wording.DATE_NOT_KNOWN in text
    assert wording.DUE_NOT_SET in text


# --- escaping everywhere ---


def test_user_text_is_escaped_on_every_card() -> None:
    referral = make_referral(EVIL)
    draft = draft_of(referral)
    case = make_case(referral)
    timeline = timeline_of(case)
    cards = [
        review(referral, duplicates=("COV-2026-001",)),
        acknowledgement_card(case=case, partnership=coventry(), timeline=timeline),
        channel_case_card(case=case, partnership=coventry(), timeline=timeline, today=TODAY),
        resume_card(draft, started=datetime(2026, 11, 24, 9, 30, tzinfo=UTC)),
        cancel_confirm_card(),
        safety_card(),
        safety_redirect_card("danger", contacts(name=EVIL, areas=(EVIL,))),
    ]
    for step in SECTION_STEPS:
        cards.append(section_card(step, partnerships=partnerships(), draft=draft))
        cards.append(
            section_card(
                step,
                partnerships=partnerships(),
                draft=draft,
                values=section_values()[step],
                errors={key: EVIL for key in section_values()[step]} | {"_form": EVIL},
                child_index=0,
            )
        )
    for card in cards:
        assert_valid_card(card)
        assert_no_raw_markdown(card)
    # The text is still shown, literally.
    review_text = "\n".join(shown_strings(cards[0]))
    assert escape_markdown(EVIL) in review_text


# --- size ---


def test_cards_stay_under_28_kb_with_twelve_children() -> None:
    worst = "[*]_" * 29 + "x@y_"  # 120 characters, nearly all escaped; "@" for a contact
    children = tuple(
        make_child(
            worst,
            ethnicity=worst[:80],
            statuses=("looked_after", "child_in_need", "child_protection_plan", "care_leaver"),
        )
        for _ in range(12)
    )
    long_text = "é[" * 750  # 1500 characters, the longest allowed, escaped and non-ASCII
    referral = make_referral(worst, children=children, long_text=long_text)
    draft = draft_of(referral)
    case = make_case(referral)
    timeline = timeline_of(case)
    cards = [
        review(referral, duplicates=("COV-2026-001", "COV-2026-002")),
        channel_case_card(case=case, partnership=coventry(), timeline=timeline, today=TODAY),
        acknowledgement_card(case=case, partnership=coventry(), timeline=timeline),
        section_card(Step.CHILD, partnerships=partnerships(), draft=draft, today=TODAY),
        section_card(Step.INCIDENT, partnerships=partnerships(), draft=draft),
        section_card(
            Step.INCIDENT,
            partnerships=partnerships(),
            draft=draft,
            values={"description": long_text * 10},
            errors={"description": "Keep this under 1500 characters"},
        ),
    ]
    for card in cards:
        assert_valid_card(card)  # includes the 28 KB limit


# --- resume and cancel ---


def test_resume_card() -> None:
    draft = Draft(step=Step.INCIDENT, safety_answer="incident")
    card = resume_card(draft, started=datetime(2026, 7, 1, 8, 5, tzinfo=UTC))
    assert_valid_card(card)
    text = json.dumps(card)
    assert wording.STEP_TITLES["incident"] in text
    assert "Wednesday 1 July 2026, 09:05" in text  # British Summer Time
    data = [a["data"] for a in submits(card)]
    assert data == [
        {"action": "referral_resume", "choice": "continue"},
        {"action": "referral_resume", "choice": "restart"},
    ]
    assert_valid_card(resume_card(Draft(), started=None))


def test_cancel_confirm_card() -> None:
    card = cancel_confirm_card()
    assert_valid_card(card)
    assert "What you have entered will be deleted" in json.dumps(card)
    data = [a["data"] for a in submits(card)]
    assert data == [
        {"action": "referral_cancel", "choice": "yes"},
        {"action": "referral_cancel", "choice": "no"},
    ]


def test_long_date_ignores_the_locale() -> None:
    assert long_date(date(2027, 1, 4)) == "Monday 4 January 2027"


# --- who leads, and why ---


def routed(home: str, harmed: str, other_area: str | None = None) -> Area:
    """The area section the area step saves for two places, routed by the rule."""
    routing = route(home, harmed, partnerships())
    assert isinstance(routing, Routing)
    return Area(
        area=home,
        harm_area=harmed,
        other_area=other_area,
        partnership_id=routing.filed_with.id,
        lead_rule=routing.rule,
        told_partnership_id=routing.told.id if routing.told else None,
    )


def partnership(partnership_id: str) -> Partnership:
    found = partnerships().get(partnership_id)
    assert found is not None
    return found


def case_of(area: Area) -> Case:
    referral = make_referral().model_copy(update={"area": area})
    return make_case(referral).model_copy(update={"partnership_id": area.partnership_id})


@pytest.mark.parametrize(
    ("home", "harmed", "lead", "rule", "takes_part"),
    [
        ("Coventry", "Coventry", "coventry", LeadRule.SAME_AREA, None),
        (
            "Warwickshire",
            "Coventry",
            "coventry",
            LeadRule.WHERE_HARMED,
            wording.TOLD_NO_CHANNEL.format(partnership="Warwickshire Safeguarding"),
        ),
        (
            "Coventry",
            "Warwickshire",
            "warwickshire",
            LeadRule.WHERE_HARMED,
            wording.TOLD_IN_CHANNEL.format(
                partnership="Coventry Safeguarding Children Partnership"
            ),
        ),
        (
            ELSEWHERE_IN_ENGLAND,
            "Coventry",
            "coventry",
            LeadRule.WHERE_HARMED,
            wording.HOME_NOT_SERVED.format(home=wording.HOME_NOT_LISTED),
        ),
        ("Coventry", OUTSIDE_ENGLAND, "coventry", LeadRule.HOME_HARMED_OUTSIDE_ENGLAND, None),
        (
            "Coventry",
            ELSEWHERE_IN_ENGLAND,
            "coventry",
            LeadRule.LEAD_NOT_SERVED,
            "Coventry Safeguarding Children Partnership",
        ),
    ],
)
def test_the_review_and_channel_cards_say_who_leads_and_why(
    home: str, harmed: str, lead: str, rule: LeadRule, takes_part: str | None
) -> None:
    area = routed(home, harmed)
    assert (area.partnership_id, area.lead_rule) == (lead, rule)
    filed_with = partnership(lead)
    told = partnership(area.told_partnership_id) if area.told_partnership_id else None
    case = case_of(area)
    referral = case.referral
    review_facts = review_card(
        draft=draft_of(referral),
        referral=referral,
        screening=screen(referral),
        partnership=filed_with,
        duplicates=(),
        today=TODAY,
        told=told,
    )
    channel = channel_case_card(
        case=case, partnership=filed_with, timeline=timeline_of(case), today=TODAY, told=told
    )
    for card in (review_facts, channel):
        assert_valid_card(card)
        facts = {
            f["title"]: f["value"]
            for obj in walk(card)
            if obj.get("type") == "FactSet"
            for f in obj["facts"]
        }
        assert facts[wording.FACT_HOME_AREA] == wording.PLACES_NOT_LISTED.get(home, home)
        assert facts[wording.FACT_HARM_AREA] == wording.PLACES_NOT_LISTED.get(harmed, harmed)
        not_here = rule is LeadRule.LEAD_NOT_SERVED
        assert facts[wording.FACT_LEADS] == (wording.LEAD_NOT_HERE if not_here else filed_with.name)
        # The rule in one sentence, naming the partnership and the place that decide it; the
        # area not served here takes three short ones, to stay plain (grade 9 or below).
        reason = facts[wording.FACT_LEAD_WHY]
        assert reason.count(". ") == (2 if not_here else 0)
        assert reason.endswith(".")
        assert filed_with.name in reason
        assert facts.get(wording.FACT_TAKES_PART) == takes_part
        assert (wording.LEAD_MUST_BE_TOLD in json.dumps(card)) is not_here


def test_the_home_partnership_card_shows_who_leads_initials_and_age_only() -> None:
    name = "Zebedee Quackenbush"
    referral = make_referral(children=(make_child(name),), description="Purplemoose lanternfish")
    area = routed("Warwickshire", "Coventry")
    case = make_case(referral.model_copy(update={"area": area}))
    card = told_card(case=case, lead=coventry(), told=partnership("warwickshire"))
    assert_valid_card(card)
    text = json.dumps(card)
    for secret in ("Zebedee", "Quackenbush", "Purplemoose", "Sam Patel", "Family home", "sam."):
        assert secret not in text
    assert "ZQ, 6 years" in text
    assert "COV-2026-001" in text
    assert "Coventry Safeguarding Children Partnership" in text
    assert "024 7697 5477" in text  # how to reach the lead: its business unit
    assert (
        wording.LEAD_REASONS[LeadRule.WHERE_HARMED].format(
            lead="Coventry Safeguarding Children Partnership",
            harm="Coventry",
            what="the child was harmed",
        )
        in text
    )


def test_who_leads_says_a_child_died_where_the_child_died() -> None:
    referral = make_referral()
    died = referral.model_copy(
        update={
            "area": routed("Coventry", "Coventry"),
            "incident": referral.incident.model_copy(update={"kind": "death"}),
        }
    )
    case = make_case(died)
    timeline = compute_timeline(case.dates, coventry().clock, calendar(), TODAY)
    for card in (
        channel_case_card(case=case, partnership=coventry(), timeline=timeline, today=TODAY),
        acknowledgement_card(case=case, partnership=coventry(), timeline=timeline),
    ):
        text = json.dumps(card)
        assert "the child died or was seriously harmed in Coventry, where the child lives" in text
        assert "the child was harmed in" not in text


def test_a_named_home_area_is_escaped_on_every_card() -> None:
    area = routed(ELSEWHERE_IN_ENGLAND, "Coventry", other_area=EVIL)
    case = case_of(area)
    cards = [
        channel_case_card(
            case=case, partnership=coventry(), timeline=timeline_of(case), today=TODAY
        ),
        review(case.referral),
        acknowledgement_card(case=case, partnership=coventry(), timeline=timeline_of(case)),
    ]
    for card in cards:
        assert_valid_card(card)
        assert_no_raw_markdown(card)
    assert escape_markdown(EVIL) in "\n".join(shown_strings(cards[0]))


def test_the_acknowledgement_says_who_leads_and_who_else_is_told() -> None:
    area = routed("Coventry", "Warwickshire")
    case = case_of(area).model_copy(update={"reference": "WAR-2026-001"})
    warwickshire = partnership("warwickshire")
    card = acknowledgement_card(
        case=case, partnership=warwickshire, timeline=timeline_of(case), told=coventry()
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert "Warwickshire Safeguarding leads" in text
    assert wording.ACK_TOLD.format(partnership=coventry().name) in text


def test_an_email_address_copies_as_typed() -> None:
    from cards.text import escape_markdown as esc

    shown = esc("sam.patel@school.example")
    assert "\u2060" not in shown
    # A Teams client shows the escapes as the characters themselves.
    assert shown.replace("\\", "") == "sam.patel@school.example"
    assert "<at>" not in esc("<at>Sam</at>")


def test_the_referrer_is_offered_only_the_criteria_they_can_know() -> None:
    draft = Draft()
    card = json.dumps(section_card(Step.CRITERIA, partnerships=partnerships(), draft=draft))
    assert wording.CRITERION_CHOICES["panel_view"] not in card
    for title in wording.REFERRER_CRITERION_CHOICES.values():
        assert title in card
    # The lead's recommendation keeps the Panel's own criterion (reg. 11(d)).
    case = make_case(make_referral())
    timeline = compute_timeline(case.dates, coventry().clock, calendar(), TODAY)
    base = channel_case_card(case=case, partnership=coventry(), timeline=timeline, today=TODAY)
    lead_card = decision_card(
        base,
        reference=case.reference,
        agreement=agreement_status(case),
        available=[DecisionKind.PROPOSE_RECOMMENDATION],
        for_lead=True,
        refresh_user_ids=None,
    )
    assert wording.CRITERION_CHOICES["panel_view"] in json.dumps(lead_card)


def test_hulls_front_door_does_not_say_out_of_hours_twice() -> None:
    # As the client shows it: the markdown escapes taken off.
    shown = json.dumps(welcome_card(list(partnerships().partnerships.values())))
    text = shown.replace("\\\\", "")
    assert "01482 300304 (out of hours)" in text
    assert "Out of hours: 01482" not in text
    assert "Emergency Duty Team: 024 7683 2222 (out of hours)" in text
