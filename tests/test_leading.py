"""Which partnership leads: Children Act 2004 s16C(1), as safeguarding.leading has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from safeguarding.leading import (
    ELSEWHERE_IN_ENGLAND,
    OUTSIDE_ENGLAND,
    LeadRule,
    NoLead,
    Routing,
    route,
)
from safeguarding.partnerships import Partnerships, load_partnerships
from tests.test_wording import english_literals

EXAMPLE = load_partnerships(EXAMPLE_PARTNERSHIPS)


def _routed(home: str, harmed: str, partnerships: Partnerships = EXAMPLE) -> Routing:
    routing = route(home, harmed, partnerships)
    assert isinstance(routing, Routing), routing
    return routing


def test_harmed_where_the_child_lives() -> None:
    routing = _routed("Coventry", "Coventry")
    assert (routing.rule, routing.filed_with.id, routing.told) == (
        LeadRule.SAME_AREA,
        "coventry",
        None,
    )
    assert routing.leads


def test_the_area_where_the_child_was_harmed_leads_and_the_home_partnership_is_told() -> None:
    routing = _routed("Coventry", "Warwickshire")
    assert routing.rule is LeadRule.WHERE_HARMED
    assert routing.filed_with.id == "warwickshire"
    assert routing.told is not None
    assert routing.told.id == "coventry"
    assert routing.leads


@pytest.mark.parametrize("home", [ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND])
def test_a_child_from_an_area_not_served_here_harmed_here_is_led_here(home: str) -> None:
    routing = _routed(home, "Kingston upon Hull")
    assert (routing.rule, routing.filed_with.id, routing.told) == (
        LeadRule.WHERE_HARMED,
        "hull",
        None,
    )


def test_harm_outside_england_is_led_where_the_child_normally_lives() -> None:
    routing = _routed("Warwickshire", OUTSIDE_ENGLAND)
    assert (routing.rule, routing.filed_with.id, routing.told) == (
        LeadRule.HOME_HARMED_OUTSIDE_ENGLAND,
        "warwickshire",
        None,
    )


def test_harm_in_an_area_not_served_here_is_filed_at_home_which_does_not_lead() -> None:
    routing = _routed("Coventry", ELSEWHERE_IN_ENGLAND)
    assert (routing.rule, routing.filed_with.id) == (LeadRule.LEAD_NOT_SERVED, "coventry")
    assert not routing.leads


@pytest.mark.parametrize(
    ("home", "harmed", "problem"),
    [
        (OUTSIDE_ENGLAND, OUTSIDE_ENGLAND, NoLead.NOT_IN_ENGLAND),
        (ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND, NoLead.HOME_NOT_SERVED),
        (ELSEWHERE_IN_ENGLAND, ELSEWHERE_IN_ENGLAND, NoLead.NEITHER_SERVED),
        (OUTSIDE_ENGLAND, ELSEWHERE_IN_ENGLAND, NoLead.NEITHER_SERVED),
    ],
)
def test_no_partnership_here_can_take_it(home: str, harmed: str, problem: NoLead) -> None:
    assert route(home, harmed, EXAMPLE) is problem


def test_two_areas_of_one_partnership_tell_nobody_else() -> None:
    coventry = EXAMPLE.partnerships["coventry"]
    joint = Partnerships(
        partnerships={
            "coventry": coventry.model_copy(update={"areas": ("Coventry", "Solihull")}),
        }
    )
    routing = _routed("Solihull", "coventry", joint)
    assert (routing.rule, routing.filed_with.id, routing.told) == (
        LeadRule.WHERE_HARMED,
        "coventry",
        None,
    )


def test_the_rule_holds_no_english_sentences() -> None:
    import safeguarding.leading

    found = english_literals(Path(safeguarding.leading.__file__).read_text(encoding="utf-8"))
    assert not found, found


def test_every_rule_and_refusal_has_its_sentence() -> None:
    from cards import wording

    assert set(wording.LEAD_REASONS) == set(LeadRule)
    assert set(wording.NO_LEAD_MESSAGES) == set(NoLead)
    assert set(wording.PLACES_NOT_LISTED) == {ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND}
