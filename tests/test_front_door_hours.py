"""Front-door hours not confirmed: every signpost shows both numbers, and check-config warns."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.referral import safety_redirect_card
from cards.safety import concern_card, emergency_card, which_referral_card
from cli.main import run
from safeguarding.calendar import PartnershipCalendars
from safeguarding.frontdoor import FrontDoorLine, front_door_now, front_doors_now
from safeguarding.partnerships import FrontDoor, load_partnerships
from tests.support.cards import assert_valid_card

PARTNERSHIPS = load_partnerships(EXAMPLE_PARTNERSHIPS)
CALENDAR = PartnershipCalendars().national
COVENTRY = PARTNERSHIPS.partnerships["coventry"]
WARWICKSHIRE = PARTNERSHIPS.partnerships["warwickshire"]
NIGHT = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # Tuesday, 23:00 in London
DAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday, 10:00 in London
BANK_HOLIDAY = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)


def test_hours_are_unconfirmed_unless_the_file_says_so() -> None:
    door = FrontDoor.model_validate(
        {
            "name": "MASH",
            "office_hours_number": "024 7678 8555",
            "office_hours": {"mon": "09:00-17:00"},
            "out_of_hours_number": "024 7683 2222",
        }
    )
    assert door.hours_confirmed is False


def test_the_example_file_confirms_only_the_published_hours() -> None:
    confirmed = {p.id: p.front_door.hours_confirmed for p in PARTNERSHIPS.partnerships.values()}
    assert confirmed == {
        "coventry": False,
        "warwickshire": True,
        "cheshire-west": True,
        "hull": False,
    }


@pytest.mark.parametrize("moment", [DAY, NIGHT, BANK_HOLIDAY])
def test_unconfirmed_hours_give_both_lines_at_any_hour(moment: datetime) -> None:
    contact = front_door_now(COVENTRY, moment, CALENDAR)
    assert (contact.kind, contact.number) == ("office_hours", "024 7678 8555")
    assert contact.also == FrontDoorLine("out_of_hours", "Emergency Duty Team", "024 7683 2222")


def test_confirmed_hours_still_choose_the_line_in_force() -> None:
    assert front_door_now(WARWICKSHIRE, DAY, CALENDAR).number == "01926 414144"
    night = front_door_now(WARWICKSHIRE, NIGHT, CALENDAR)
    assert (night.number, night.also) == ("01926 886922", None)


def _cards(moment: datetime) -> dict[str, dict[str, Any]]:
    contacts = front_doors_now(PARTNERSHIPS.partnerships.values(), CALENDAR, moment)
    cards = {
        "emergency": emergency_card(contacts),
        "concern": concern_card(contacts, in_referral=False),
        "concern in a referral": concern_card(contacts, in_referral=True),
        "which referral": which_referral_card(contacts),
        "danger redirect": safety_redirect_card("danger", contacts),
        "worry redirect": safety_redirect_card("worry", contacts),
    }
    for card in cards.values():
        assert_valid_card(card)
    return cards


@pytest.mark.parametrize("moment", [DAY, NIGHT])
def test_every_signpost_card_shows_both_numbers_while_hours_are_unconfirmed(
    moment: datetime,
) -> None:
    for name, card in _cards(moment).items():
        text = json.dumps(card)
        for number in ("024 7678 8555", "024 7683 2222", "01482 448879", "01482 300304"):
            assert number in text, (name, number)
        assert wording.FRONT_DOOR_HOURS_NOT_CONFIRMED in text, name
        # Warwickshire's hours are confirmed: one number, the one in force.
        in_force, closed = (
            ("01926 414144", "01926 886922") if moment == DAY else ("01926 886922", "01926 414144")
        )
        assert in_force in text, name
        assert closed not in text, name


def test_no_note_when_every_shown_door_has_confirmed_hours() -> None:
    contacts = [front_door_now(WARWICKSHIRE, NIGHT, CALENDAR)]
    for card in (emergency_card(contacts), safety_redirect_card("worry", contacts)):
        assert wording.FRONT_DOOR_HOURS_NOT_CONFIRMED not in json.dumps(card)


def test_check_config_warns_about_unconfirmed_hours() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["check-config", str(EXAMPLE_PARTNERSHIPS)], stdout=out, stderr=err) == 0
    warnings = [
        line
        for line in err.getvalue().splitlines()
        if line.startswith("warning:") and "front_door.hours_confirmed" in line
    ]
    assert [line.split(":")[1].strip() for line in warnings] == ["coventry", "hull"]
    assert "both" in warnings[0]
