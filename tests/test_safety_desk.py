"""Typed messages outside a referral: 999 and the front door first, at the number in force now."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards.safety import concern_card, emergency_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.frontdoor import front_door_now
from safeguarding.partnerships import load_partnerships
from tests.support import activities
from tests.support.cards import assert_valid_card
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock

Client = TestClient[Any, Any]
PARTNERSHIPS = load_partnerships(EXAMPLE_PARTNERSHIPS)
WARWICKSHIRE = PARTNERSHIPS.partnerships["warwickshire"]
CALENDARS = PartnershipCalendars()


async def _say(client: Client, connector: FakeConnector, text: str) -> str:
    before = len(connector.sent)
    response = await client.post(
        "/api/messages",
        data=json.dumps(activities.message(connector.url, text)),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    new = connector.sent[before:]
    for sent in new:
        for card in sent.cards:
            assert_valid_card(card)
    return json.dumps([s.body for s in new])


async def test_a_typed_emergency_gets_999_first(bot: Client, connector: FakeConnector) -> None:
    said = await _say(bot, connector, "theres a man with a knife in the house with the kids now")
    assert "Call 999 now" in said
    assert "01926 414144" in said  # every partnership's front door, in office hours
    assert len(connector.sent) == 1


async def test_a_current_worry_goes_to_the_front_door(
    bot: Client, connector: FakeConnector
) -> None:
    said = await _say(
        bot, connector, "im worried about a boy in year 4, mum drinks and he comes in hungry"
    )
    assert "cannot take concerns about one child or family" in said
    assert "024 7678 8555" in said
    assert "start_referral" in said


async def test_a_serious_incident_is_offered_a_referral(
    bot: Client, connector: FakeConnector
) -> None:
    said = await _say(
        bot,
        connector,
        "baby died last week, neglect suspected, we want to refer for a rapid review",
    )
    assert "start_referral" in said
    assert "Call 999" not in said


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 26, 8, 29, tzinfo=UTC), "01926 886922"),  # Thu 08:29: EDT
        (datetime(2026, 11, 26, 8, 30, tzinfo=UTC), "01926 414144"),  # Thu 08:30: front door
        (datetime(2026, 11, 26, 17, 29, tzinfo=UTC), "01926 414144"),  # Thu closes 17:30
        (datetime(2026, 11, 27, 17, 0, tzinfo=UTC), "01926 886922"),  # Fri closes 17:00
        (datetime(2026, 11, 28, 11, 0, tzinfo=UTC), "01926 886922"),  # Saturday
        (datetime(2026, 12, 28, 11, 0, tzinfo=UTC), "01926 886922"),  # Boxing Day substitute
        (datetime(2026, 12, 29, 11, 0, tzinfo=UTC), "01926 414144"),  # Tuesday after
        # British Summer Time: 07:45 UTC is 08:45 in London, inside office hours.
        (datetime(2027, 6, 1, 7, 45, tzinfo=UTC), "01926 414144"),
        (datetime(2027, 6, 1, 7, 15, tzinfo=UTC), "01926 886922"),
    ],
)
def test_the_number_in_force_switches_with_hours_and_bank_holidays(
    moment: datetime, expected: str
) -> None:
    contact = front_door_now(WARWICKSHIRE, moment, CALENDARS.for_partnership(WARWICKSHIRE))
    assert contact.number == expected


async def test_the_bot_uses_the_clock_for_the_number(
    bot: Client, connector: FakeConnector, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 28, 11, 0, tzinfo=UTC))
    said = await _say(bot, connector, "i think a child in my class is being hit at home")
    assert "01926 886922" in said  # Warwickshire out of hours on a bank holiday
    assert "01926 414144" not in said


def test_safety_cards_are_valid() -> None:
    contacts = [
        front_door_now(p, datetime(2026, 11, 24, 10, tzinfo=UTC), CALENDARS.for_partnership(p))
        for p in PARTNERSHIPS.partnerships.values()
    ]
    emergency = emergency_card(contacts)
    assert_valid_card(emergency)
    assert emergency["body"][0]["items"][0]["text"] == "Call 999 now"
    assert_valid_card(concern_card(contacts, in_referral=True))
    assert_valid_card(concern_card(contacts, in_referral=False))


async def test_an_emergency_is_signposted_even_when_the_store_fails(
    bot: Client, connector: FakeConnector, store: Any
) -> None:
    from storage.base import Collection
    from storage.cases import DraftRepository

    # A stored draft that no longer validates: loading it raises inside the turn.
    key = DraftRepository.key(activities.USER["aadObjectId"])
    await store.put(Collection.STATE, key, {"draft": {"step": "nonsense"}})
    said = await _say(bot, connector, "theres a man with a knife in the house with the kids now")
    assert "Call 999 now" in said
    assert "024 7678 8555" in said


def _desk(partnerships: Any, moment: datetime, where: Path) -> Any:
    from storage.cases import DraftRepository
    from storage.stats import RedirectCounter
    from storage.tinydb_store import TinyDBStore
    from usecases.safety import SafetyDesk

    store = TinyDBStore(where)
    return SafetyDesk(
        partnerships=partnerships,
        calendars=CALENDARS,
        drafts=DraftRepository(store, ttl=timedelta(days=30)),
        redirects=RedirectCounter(store),
        clock=FakeClock(moment),
    )


def test_a_partnership_closure_day_does_not_close_the_front_door(tmp_path: Path) -> None:
    from safeguarding.partnerships import Partnerships

    closed = WARWICKSHIRE.model_copy(
        update={
            "clock": WARWICKSHIRE.clock.model_copy(
                update={"extra_closure_days": (date(2026, 11, 26),)}
            )
        }
    )
    only = Partnerships.model_construct(partnerships={"warwickshire": closed})
    contacts = _desk(only, datetime(2026, 11, 26, 10, tzinfo=UTC), tmp_path).contacts_for(None)
    assert contacts[0].number == "01926 414144"  # the LA's front door is open that day


def test_every_front_door_is_listed_the_users_first(tmp_path: Path) -> None:
    desk = _desk(PARTNERSHIPS, datetime(2026, 11, 24, 10, tzinfo=UTC), tmp_path)
    contacts = desk.contacts_for("hull")
    assert contacts[0].partnership_id == "hull"
    assert len(contacts) == 4


async def test_i_want_to_make_a_referral_gets_one_reply_that_asks_which(
    bot: Client, connector: FakeConnector
) -> None:
    before = len(connector.sent)
    said = await _say(bot, connector, "I want to make a referral")
    assert len(connector.sent) == before + 1  # one reply, not a refusal and then a second card
    assert "Which referral do you mean?" in said
    assert "024 7678 8555" in said  # the front door, for a child now
    assert "start_referral" in said  # and the way to a case review referral
    assert "Call 999 now" not in said


async def test_an_unexplained_infant_death_with_no_concerns_goes_to_cdop(
    bot: Client, connector: FakeConnector
) -> None:
    said = await _say(
        bot,
        connector,
        "Sudden unexpected death of a 10 week old overnight, no concerns at all. Is this for you?",
    )
    assert "CDOP" in said or "child death" in said.lower()
    assert "start_referral" not in said
