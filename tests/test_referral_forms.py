"""Reading referral card submissions: valid answers, one plain message per input, no crashes."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from dialogs.referral_forms import (
    FORM_ERROR,
    MAX_CHILDREN,
    ParsedSection,
    child_card_clash,
    parse_section,
)
from dialogs.submits import ReferralSubmit, parse_submit
from safeguarding.partnerships import Partnerships, load_partnerships
from safeguarding.referral import (
    SECTION_STEPS,
    Actions,
    Agencies,
    Area,
    Child,
    Criteria,
    Draft,
    Incident,
    Referrer,
    Step,
)

TODAY = date(2026, 11, 24)


@cache
def partnerships() -> Partnerships:
    return load_partnerships(EXAMPLE_PARTNERSHIPS)


def parse(step: Step, value: Any, draft: Draft | None = None) -> ParsedSection:
    # As in the bot: the submit model reads the card's routing keys (the child's index) once.
    submit = parse_submit({**value, "action": "referral"}) if isinstance(value, dict) else None
    return parse_section(
        step,
        value,
        partnerships=partnerships(),
        draft=draft or Draft(),
        today=TODAY,
        child_index=submit.child_index if isinstance(submit, ReferralSubmit) else None,
    )


def child(name: str = "Jane Doe", born: date = date(2020, 5, 1)) -> Child:
    return Child(name=name, date_of_birth=born)


def incident(day: date = date(2026, 11, 20)) -> Incident:
    return Incident(date=day, kind="serious_harm", description="Admitted to hospital.")


VALID: dict[Step, dict[str, str]] = {
    Step.AREA: {
        "area": "elsewhere_in_england",
        "other_area": "Birmingham",
        "harm_area": "Coventry",
    },
    Step.REFERRER: {
        "name": "Sam Patel",
        "role": "Designated safeguarding lead",
        "agency": "Northfield Primary School",
        "contact": "sam.patel@northfield.example",
        "lead_agreed": "true",
    },
    Step.CHILD: {
        "name": "Jane Doe",
        "unborn": "false",
        "date_of_birth": "2020-05-01",
        "expected_date": "",
        "sex": "female",
        "ethnicity": "White British",
        "disability": "no",
        "statuses": "looked_after,child_in_need",
    },
    Step.INCIDENT: {
        "date": "2026-11-20",
        "la_aware": "2026-11-23",
        "kind": "serious_harm",
        "location": "Family home",
        "description": "Admitted to hospital with injuries.",
    },
    Step.AGENCIES: {"involved": "school,gp", "other": "Youth club", "still_involved": "yes"},
    Step.CRITERIA: {
        "abuse_or_neglect": "suspected",
        "about_a_professional": "false",
        "criteria": "improvements,recurrent_themes",
        "reasons": "Signs were not shared between agencies.",
    },
    Step.ACTIONS: {
        "safety_actions": "Siblings placed with grandparents.",
        "parallel": "police,coroner",
        "media_interest": "no",
    },
}
MODELS: dict[Step, type[Any]] = {
    Step.AREA: Area,
    Step.REFERRER: Referrer,
    Step.CHILD: Child,
    Step.INCIDENT: Incident,
    Step.AGENCIES: Agencies,
    Step.CRITERIA: Criteria,
    Step.ACTIONS: Actions,
}
# Routing keys the card adds to every submission: they are not answers.
ROUTING = {"action": "referral", "next": "continue", "child_index": "", "extra": "x"}


def errors_of(step: Step, value: Any, draft: Draft | None = None) -> dict[str, str]:
    parsed = parse(step, value, draft)
    assert parsed.section is None
    assert parsed.errors
    return parsed.errors


# --- valid answers ---


@pytest.mark.parametrize("step", SECTION_STEPS)
def test_valid_answers_parse(step: Step) -> None:
    parsed = parse(step, {**VALID[step], **ROUTING, "step": step.value})
    assert parsed.errors == {}
    assert isinstance(parsed.section, MODELS[step])


def test_parsed_values_are_typed() -> None:
    area = parse(Step.AREA, {"area": "  coventry ", "harm_area": "COVENTRY"}).section
    assert area == Area(
        area="Coventry", harm_area="Coventry", partnership_id="coventry", lead_rule="same_area"
    )
    referrer = parse(Step.REFERRER, {**VALID[Step.REFERRER], "lead_agreed": "no"}).section
    assert isinstance(referrer, Referrer)
    assert referrer.lead_agreed is False
    kid = parse(Step.CHILD, {**VALID[Step.CHILD], "statuses": " looked_after, ,child_in_need,"})
    assert isinstance(kid.section, Child)
    assert kid.section.date_of_birth == date(2020, 5, 1)
    assert kid.section.statuses == ("looked_after", "child_in_need")
    event = parse(Step.INCIDENT, VALID[Step.INCIDENT]).section
    assert isinstance(event, Incident)
    assert event.la_aware == date(2026, 11, 23)
    criteria = parse(Step.CRITERIA, {**VALID[Step.CRITERIA], "about_a_professional": "yes"})
    assert isinstance(criteria.section, Criteria)
    assert criteria.section.about_a_professional is True
    assert criteria.section.criteria == ("improvements", "recurrent_themes")


def test_optional_answers_may_be_absent() -> None:
    kid = parse(Step.CHILD, {"name": "JD", "date_of_birth": "2020-05-01"}).section
    assert kid == Child(name="JD", date_of_birth=date(2020, 5, 1))
    event = parse(Step.INCIDENT, {**VALID[Step.INCIDENT], "la_aware": "", "location": ""})
    assert isinstance(event.section, Incident)
    assert event.section.la_aware is None
    assert event.section.location is None
    agencies = parse(Step.AGENCIES, {"other": "Youth club"}).section
    assert agencies == Agencies(other="Youth club")
    actions = parse(Step.ACTIONS, {"safety_actions": "Placed with family."}).section
    assert actions == Actions(safety_actions="Placed with family.")
    area = parse(
        Step.AREA, {"area": "Warwickshire", "harm_area": "Warwickshire", "other_area": "  "}
    ).section
    assert area == Area(
        area="Warwickshire",
        harm_area="Warwickshire",
        partnership_id="warwickshire",
        lead_rule="same_area",
    )


def test_unborn_child_keeps_only_the_expected_date() -> None:
    parsed = parse(
        Step.CHILD,
        {
            "name": "Baby A",
            "unborn": "true",
            "expected_date": "2027-02-01",
            "date_of_birth": "garbage",
        },
    )
    assert parsed.section == Child(name="Baby A", unborn=True, expected_date=date(2027, 2, 1))


# --- missing answers ---


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (
            Step.AREA,
            {
                "area": "Choose the area where the child lives",
                "harm_area": "Choose where the child died or was seriously harmed",
            },
        ),
        (
            Step.REFERRER,
            {
                "name": "Enter your name",
                "role": "Enter your role",
                "agency": "Enter your agency",
                "contact": "Enter an email address or phone number",
                "lead_agreed": "Say whether your agency's safeguarding lead has agreed",
            },
        ),
        (
            Step.CHILD,
            {
                "name": "Enter the child's name or initials",
                "date_of_birth": "Enter the date of birth, or say the child is unborn",
            },
        ),
        (
            Step.INCIDENT,
            {
                "date": "Enter the date of the incident",
                "kind": "Choose what happened to the child",
                "description": "Describe briefly what happened",
            },
        ),
        (Step.AGENCIES, {"involved": "Choose at least one agency, or name it under other"}),
        (
            Step.CRITERIA,
            {
                "abuse_or_neglect": "Say whether abuse or neglect is known or suspected",
                "about_a_professional": "Say whether this is about someone who works with children",
                "reasons": "Say why you think the case should be reviewed",
            },
        ),
        (Step.ACTIONS, {"safety_actions": "Describe the actions taken to keep children safe"}),
    ],
)
def test_missing_answers_each_get_a_message(step: Step, expected: dict[str, str]) -> None:
    assert errors_of(step, {}) == expected
    blanks = {key: "   " for key in VALID[step]}
    assert errors_of(step, blanks) == expected


def test_unborn_needs_an_expected_date() -> None:
    errors = errors_of(Step.CHILD, {"name": "Baby A", "unborn": "true"})
    assert errors == {"expected_date": "Enter the expected date of birth"}


# --- wrong answers ---


def test_unknown_area() -> None:
    assert errors_of(Step.AREA, {"area": "Atlantis", "harm_area": "Coventry"}) == {
        "area": wording.ERR_UNKNOWN_AREA
    }
    assert errors_of(Step.AREA, {"area": "Coventry", "harm_area": "Atlantis"}) == {
        "harm_area": wording.ERR_UNKNOWN_AREA
    }


def test_too_long_answers_say_how_long() -> None:
    errors = errors_of(
        Step.INCIDENT, {**VALID[Step.INCIDENT], "description": "x" * 1501, "location": "y" * 201}
    )
    assert errors == {
        "description": "Keep this under 1500 characters",
        "location": "Keep this under 200 characters",
    }
    errors = errors_of(
        Step.AREA, {"area": "Coventry", "harm_area": "Coventry", "other_area": "z" * 121}
    )
    assert errors == {"other_area": "Keep this under 120 characters"}


def test_too_long_and_missing_answers_are_reported_together() -> None:
    errors = errors_of(Step.REFERRER, {"name": "n" * 200, "role": "Teacher"})
    assert errors["name"] == "Keep this under 120 characters"
    assert set(errors) == {"name", "agency", "contact", "lead_agreed"}


def test_contact_must_be_an_email_or_phone() -> None:
    errors = errors_of(Step.REFERRER, {**VALID[Step.REFERRER], "contact": "ring me"})
    assert errors == {"contact": "Give an email address or a phone number"}
    ok = parse(Step.REFERRER, {**VALID[Step.REFERRER], "contact": "024 7678 8555"})
    assert ok.section is not None
    short = errors_of(Step.REFERRER, {**VALID[Step.REFERRER], "contact": "a@b"})
    assert short == {"contact": "Enter an email address or phone number"}


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "2026-13-01", "31/12/2020", "yesterday", "0001-01-01"]
)
def test_dates_must_be_real(bad: str) -> None:
    assert errors_of(Step.CHILD, {"name": "JD", "date_of_birth": bad}) == {
        "date_of_birth": wording.ERR_REAL_DATE
    }
    errors = errors_of(Step.INCIDENT, {**VALID[Step.INCIDENT], "date": bad, "la_aware": bad})
    assert errors == {"date": wording.ERR_REAL_DATE, "la_aware": wording.ERR_REAL_DATE}


def test_choices_must_be_on_the_list() -> None:
    errors = errors_of(
        Step.CHILD,
        {**VALID[Step.CHILD], "sex": "dragon", "disability": "maybe", "statuses": "x,looked_after"},
    )
    assert errors == {
        "sex": wording.ERR_CHOOSE_OPTION,
        "disability": wording.ERR_CHOOSE_OPTION,
        "statuses": wording.ERR_CHOOSE_FROM_LIST,
    }
    assert errors_of(Step.AGENCIES, {"involved": "police,aliens"}) == {
        "involved": wording.ERR_CHOOSE_FROM_LIST
    }
    assert errors_of(Step.ACTIONS, {**VALID[Step.ACTIONS], "parallel": "inquest"}) == {
        "parallel": wording.ERR_CHOOSE_FROM_LIST
    }
    assert errors_of(Step.CRITERIA, {**VALID[Step.CRITERIA], "criteria": "vibes"}) == {
        "criteria": wording.ERR_CHOOSE_FROM_LIST
    }
    assert errors_of(Step.INCIDENT, {**VALID[Step.INCIDENT], "kind": "accident"}) == {
        "kind": wording.ERR_CHOOSE_OPTION
    }


def test_booleans_must_be_yes_or_no() -> None:
    errors = errors_of(Step.REFERRER, {**VALID[Step.REFERRER], "lead_agreed": "perhaps"})
    assert errors == {"lead_agreed": wording.ERR_YES_NO}
    errors = errors_of(Step.CHILD, {**VALID[Step.CHILD], "unborn": "sometimes"})
    assert errors["unborn"] == wording.ERR_YES_NO
    for answer in ("true", "YES", "yes", "True"):
        parsed = parse(Step.REFERRER, {**VALID[Step.REFERRER], "lead_agreed": answer})
        assert isinstance(parsed.section, Referrer)
        assert parsed.section.lead_agreed is True


# --- dates against today and each other ---


def test_future_dates_are_refused() -> None:
    errors = errors_of(Step.CHILD, {"name": "JD", "date_of_birth": "2026-11-25"})
    assert errors == {"date_of_birth": "The date of birth cannot be in the future"}
    errors = errors_of(
        Step.INCIDENT, {**VALID[Step.INCIDENT], "date": "2026-12-01", "la_aware": ""}
    )
    assert errors == {"date": "The incident date cannot be in the future"}
    errors = errors_of(Step.INCIDENT, {**VALID[Step.INCIDENT], "la_aware": "2026-11-30"})
    assert errors == {"la_aware": "This date cannot be in the future"}
    far = {"name": "Baby", "unborn": "true", "expected_date": "2028-01-01"}
    assert errors_of(Step.CHILD, far) == {
        "expected_date": "The expected date is more than a year away"
    }
    today = parse(Step.INCIDENT, {**VALID[Step.INCIDENT], "date": "2026-11-24", "la_aware": ""})
    assert today.section is not None


def test_la_cannot_know_before_the_incident() -> None:
    errors = errors_of(Step.INCIDENT, {**VALID[Step.INCIDENT], "la_aware": "2026-11-19"})
    assert errors == {"la_aware": "The LA cannot have known before the incident"}


def test_child_born_after_the_incident() -> None:
    draft = Draft(children=(child(born=date(2026, 11, 21)),))
    errors = errors_of(Step.INCIDENT, VALID[Step.INCIDENT], draft)
    assert set(errors) == {"date"}
    assert "born on 21 November 2026, after this date" in errors["date"]
    # And from the other side: a child added once the incident is known.
    later = Draft(incident=incident())
    errors = errors_of(Step.CHILD, {"name": "JD", "date_of_birth": "2026-11-22"}, later)
    assert errors == {
        "date_of_birth": "This date of birth is after the incident date (20 November 2026)."
        " The date of birth is most likely wrong: check it."
    }


def test_every_bad_date_gets_its_message_in_the_same_round() -> None:
    # An incident date in the future AND an LA-aware date after today: both, at once.
    both = {**VALID[Step.INCIDENT], "date": "2026-12-01", "la_aware": "2026-12-02"}
    errors = errors_of(Step.INCIDENT, both)
    assert errors == {
        "date": "The incident date cannot be in the future",
        "la_aware": "This date cannot be in the future",
    }
    # A missing description does not hide a bad date either.
    errors = errors_of(Step.INCIDENT, {**both, "description": ""})
    assert set(errors) == {"date", "la_aware", "description"}


def test_a_clash_with_another_card_names_the_likely_wrong_date_and_offers_to_go_there() -> None:
    draft = Draft(children=(child(born=date(2026, 11, 21)),))
    parsed = parse(Step.INCIDENT, VALID[Step.INCIDENT], draft)
    # A recent incident: the date of birth is the likely slip, and the card offers to go to it.
    assert "date of birth is most likely wrong" in parsed.errors["date"]
    assert parsed.go_to is not None
    assert (parsed.go_to.step, parsed.go_to.child_index) == (Step.CHILD, 0)
    # An incident date long ago is itself the likely slip.
    old = {**VALID[Step.INCIDENT], "date": "2016-11-20", "la_aware": ""}
    early = Draft(children=(child(born=date(2020, 1, 1)),))
    assert "check the incident date" in parse(Step.INCIDENT, old, early).errors["date"]


def test_the_banner_names_the_date_judged_wrong_whichever_card_it_is_on() -> None:
    # On the incident card, a recent incident: the child's date of birth is blamed.
    draft = Draft(children=(child("JMS", born=date(2026, 11, 21)),))
    parsed = parse(Step.INCIDENT, VALID[Step.INCIDENT], draft)
    assert parsed.go_to is not None
    assert (parsed.go_to.clash_input, parsed.go_to.likely_wrong) == ("date", "JMS's date of birth")
    # An old incident date is blamed itself: the banner names the incident's own date input.
    old = {**VALID[Step.INCIDENT], "date": "2016-11-20", "la_aware": ""}
    early = parse(Step.INCIDENT, old, Draft(children=(child(born=date(2020, 1, 1)),)))
    assert early.go_to is not None
    assert early.go_to.likely_wrong is None
    # On the child card, an old incident date: the banner names the incident date.
    later = Draft(incident=incident(date(2016, 11, 20)))
    on_child = parse(Step.CHILD, {"name": "JD", "date_of_birth": "2020-01-01"}, later)
    assert on_child.go_to is not None
    assert on_child.go_to.likely_wrong == wording.FIELD_NAMES["incident.date"]


def test_a_child_card_checks_the_incident_date_typed_but_not_saved_yet() -> None:
    # The incident card's answers, left there for "Change JMS's date of birth".
    pending = {"incident": {"date": "2026-11-20", "description": "Admitted."}}
    draft = Draft(children=(child("JMS", born=date(2026, 11, 22)),), pending=pending)
    refused = parse(Step.CHILD, {**VALID[Step.CHILD], "date_of_birth": "2026-11-22"}, draft)
    assert "after the incident date (20 November 2026)" in refused.errors["date_of_birth"]
    assert parse(Step.CHILD, VALID[Step.CHILD], draft).errors == {}
    # The card shows the same before anything is pressed, saved or as typed on it.
    errors, go_to = child_card_clash(draft, 0, None, TODAY)
    assert errors == {"date_of_birth": refused.errors["date_of_birth"]}
    assert go_to is not None
    assert go_to.title == wording.GO_TO_INCIDENT_DATE
    assert child_card_clash(draft, 0, {"date_of_birth": "2026-11-19"}, TODAY) == ({}, None)
    assert child_card_clash(draft, 0, {"unborn": "true"}, TODAY) == ({}, None)
    assert child_card_clash(Draft(children=draft.children), 0, None, TODAY) == ({}, None)


def test_an_adult_at_the_incident_needs_confirming() -> None:
    draft = Draft(children=(child("Jane Doe", born=date(2008, 1, 1)),))
    parsed = parse(Step.INCIDENT, VALID[Step.INCIDENT], draft)
    assert parsed.section is None
    assert set(parsed.errors) == {"confirm_adult"}
    assert "JD was 18 or over" in parsed.errors["confirm_adult"]
    assert parsed.adult_confirmed is False
    not_ticked = parse(Step.INCIDENT, {**VALID[Step.INCIDENT], "confirm_adult": "false"}, draft)
    assert set(not_ticked.errors) == {"confirm_adult"}
    confirmed = parse(Step.INCIDENT, {**VALID[Step.INCIDENT], "confirm_adult": "true"}, draft)
    assert confirmed.errors == {}
    assert isinstance(confirmed.section, Incident)
    assert confirmed.adult_confirmed is True


def test_a_seventeen_year_old_needs_no_confirmation() -> None:
    draft = Draft(children=(child(born=date(2009, 11, 21)),))
    assert parse(Step.INCIDENT, VALID[Step.INCIDENT], draft).section is not None


# --- several children ---


def test_a_blank_child_form_with_children_already_added_means_no_more() -> None:
    draft = Draft(children=(child(),))
    blank = {"name": "", "unborn": "false", "date_of_birth": "", "sex": "", "statuses": ""}
    parsed = parse(Step.CHILD, {**blank, "next": "continue"}, draft)
    assert parsed == ParsedSection(section=None, errors={}, blank=True)
    # Not when asking to add another, not for the first child, not when editing one.
    assert parse(Step.CHILD, {**blank, "next": "add_child"}, draft).errors
    assert parse(Step.CHILD, {**blank, "next": "continue"}).errors
    assert parse(Step.CHILD, {**blank, "next": "continue", "child_index": "0"}, draft).errors


def test_no_more_than_twelve_children() -> None:
    full = Draft(children=tuple(child(f"Child {i}") for i in range(MAX_CHILDREN)))
    errors = errors_of(Step.CHILD, VALID[Step.CHILD], full)
    assert errors == {FORM_ERROR: "One referral can hold up to 12 children"}
    # Changing one of the twelve is still fine.
    edit = parse(Step.CHILD, {**VALID[Step.CHILD], "child_index": 3}, full)
    assert isinstance(edit.section, Child)


# --- odd input never raises ---

WEIRD: list[Any] = [
    None,
    0,
    7,
    -3.5,
    True,
    [],
    ["police", "school"],
    [1, 2],
    {"x": 1},
    object(),
    "x" * 10_000,
    ",,,",
    "\x00\x07\u202e",
    "2026-11-20T00:00:00",
    "[x](https://evil.example) @everyone **b**",
]
ALL_KEYS = sorted({key for values in VALID.values() for key in values} | {"confirm_adult"})


@pytest.mark.parametrize("step", [*SECTION_STEPS, Step.SAFETY, Step.REVIEW])
def test_weird_input_never_raises(step: Step) -> None:
    drafts = [Draft(), Draft(children=(child(),), incident=incident())]
    for weird in WEIRD:
        for draft in drafts:
            for value in (
                {key: weird for key in ALL_KEYS},
                {**VALID.get(step, {}), "name": weird},
                {**VALID.get(step, {}), "date": weird, "involved": weird},
            ):
                parsed = parse(step, value, draft)
                assert (parsed.section is None) == bool(parsed.errors) or parsed.blank
                for message in parsed.errors.values():
                    assert isinstance(message, str)
                    assert message
                    assert len(message) < 300  # never echoes a huge answer back
                    for pydantic_words in ("String should", "Input should", "Value error"):
                        assert pydantic_words not in message


@pytest.mark.parametrize("value", [None, "text", 42, ["a"]])
def test_a_submission_that_is_not_a_mapping(value: Any) -> None:
    parsed = parse(Step.REFERRER, value)
    assert parsed.section is None
    assert "name" in parsed.errors


def test_non_string_answers_are_read_where_they_make_sense() -> None:
    parsed = parse(Step.AGENCIES, {"involved": ["police", "school"], "still_involved": "not_known"})
    assert isinstance(parsed.section, Agencies)
    assert parsed.section.involved == ("police", "school")
    flagged = parse(Step.REFERRER, {**VALID[Step.REFERRER], "lead_agreed": True})
    assert isinstance(flagged.section, Referrer)
    assert flagged.section.lead_agreed is True
    unreadable = errors_of(Step.REFERRER, {**VALID[Step.REFERRER], "name": {"first": "Sam"}})
    assert unreadable == {"name": wording.ERR_UNREADABLE}


def test_control_characters_are_dropped() -> None:
    parsed = parse(Step.CHILD, {**VALID[Step.CHILD], "name": "Ja\x00ne\x07 Doe"})
    assert isinstance(parsed.section, Child)
    assert parsed.section.name == "Jane Doe"


def test_steps_without_a_form() -> None:
    assert parse(Step.SAFETY, {}).errors == {FORM_ERROR: wording.ERR_CHECK}
