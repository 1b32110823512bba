"""Five journeys through a real Teams client: the Microsoft 365 Agents Playground, on loopback.

The journeys run in order against one bot and one Playground (starting them costs seconds):
install, a whole referral with an emergency typed halfway, a lead's decision, a reminder.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.settings import EXAMPLE_PARTNERSHIPS
from tests.support.playground import (
    OTHER_USER,
    PERSONAL,
    TEAM,
    USER,
    Frame,
    Session,
    card_texts,
    cards_of,
    start,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The Playground's user-id-0 is Coventry's local authority lead in these journeys.
PLAYGROUND_USER_AAD = "00000000-0000-0000-0000-0000000000020"


def in_personal(frame: Frame) -> bool:
    return str(frame.get("actionConversationId", "")).startswith(PERSONAL)


def in_channel(frame: Frame) -> bool:
    return frame.get("actionConversationId") == TEAM


def offers_step(step: str) -> Any:
    def predicate(frame: Frame) -> bool:
        return in_personal(frame) and any(
            f'"step": "{step}"' in json.dumps(card) for card in cards_of(frame)
        )

    return predicate


@pytest.fixture(scope="module")
def partnerships_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = EXAMPLE_PARTNERSHIPS.read_text().replace(
        'aad_object_id = "00000000-0000-0000-0000-0000000000a1"',
        f'aad_object_id = "{PLAYGROUND_USER_AAD}"',
    )
    text = text.replace('faq_file = "faq/coventry.toml"\n', "")
    path = tmp_path_factory.mktemp("config") / "partnerships.toml"
    path.write_text(text)
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(
    tmp_path_factory: pytest.TempPathFactory, partnerships_file: Path
) -> AsyncIterator[Session]:
    running = await start(data_dir=tmp_path_factory.mktemp("data"), partnerships=partnerships_file)
    # The journeys happen on Tuesday 24 November 2026, 10:00 in London.
    await running.bot_post("/_test/clock", {"now": "2026-11-24T10:00:00+00:00"})
    yield running
    await running.stop()


async def _step(session: Session, step: str, **inputs: Any) -> Frame:
    """Press Submit on the card for `step` (the latest one) and return the next card."""
    card_frame = [f for f in session.frames if offers_step(step)(f)][-1]
    mark = session.mark()
    await session.submit(
        card_frame["message"]["messageId"], {"action": "referral", "step": step, **inputs}
    )
    return await session.wait_for(lambda f: in_personal(f) and bool(cards_of(f)), after=mark)


async def test_1_install_in_personal_chat_and_team(session: Session) -> None:
    mark = session.mark()
    await session.install(PERSONAL)
    greeting = await session.wait_for(in_personal, after=mark)
    assert "cannot take concerns about an individual child" in card_texts(greeting)
    assert "999" in card_texts(greeting)
    mark = session.mark()
    await session.install(TEAM)
    intro = await session.wait_for(in_channel, after=mark)
    assert "Coventry Safeguarding Children Partnership" in card_texts(intro)


async def test_2_and_3_a_whole_referral_with_an_emergency_halfway(session: Session) -> None:
    mark = session.mark()
    await session.say("refer")
    await session.wait_for(offers_step("safety"), after=mark)
    await _step(session, "safety", answer="incident")
    await _step(session, "area", area="Coventry", harm_area="Coventry")
    await _step(
        session,
        "referrer",
        name="Sam Patel",
        role="Designated safeguarding lead",
        agency="Riverside Primary School",
        contact="sam.patel@school.example",
        lead_agreed="true",
    )

    # Journey 3: an emergency typed halfway gets 999 first; the draft then carries on.
    mark = session.mark()
    await session.say("theres a man with a knife in the house with the kids now")
    urgent = await session.wait_for(in_personal, after=mark)
    assert "Call 999 now" in card_texts(urgent)
    assert "024 7678 8555" in card_texts(urgent)

    await _step(
        session,
        "child",
        next="continue",
        name="Jane Doe",
        unborn="false",
        date_of_birth="2022-03-14",
        sex="female",
        disability="no",
    )
    await _step(
        session,
        "incident",
        date="2026-11-20",
        la_aware="2026-11-23",
        kind="serious_harm",
        description="Admitted with unexplained fractures.",
    )
    await _step(session, "agencies", involved="childrens_social_care,school", still_involved="yes")
    await _step(
        session,
        "criteria",
        abuse_or_neglect="suspected",
        about_a_professional="false",
        criteria="agencies_working_together",
        reasons="Injuries seen by several agencies.",
    )
    review = await _step(
        session,
        "actions",
        safety_actions="Sibling placed with grandparents.",
        parallel="police",
        media_interest="no",
    )
    assert "Submit referral" in card_texts(review)

    mark = session.mark()
    await _step(session, "review", submit=True)
    acknowledgement = await session.wait_for(
        lambda f: in_personal(f) and "COV-2026-001" in card_texts(f), after=mark
    )
    assert "received" in card_texts(acknowledgement)
    case_card = await session.wait_for(
        lambda f: in_channel(f) and "New referral COV-2026-001" in card_texts(f), after=mark
    )
    assert "Jane" not in card_texts(case_card)
    assert "JD" in card_texts(case_card)
    # Who leads, and why: harmed where the child lives.
    assert "so Coventry Safeguarding Children Partnership leads" in card_texts(case_card)


async def test_4_a_leads_decision_replaces_the_card_and_a_non_leads_is_refused(
    session: Session,
) -> None:
    posted = [f for f in session.frames if in_channel(f) and "New referral" in card_texts(f)][-1]
    message = posted["message"]
    thread = message.get("postConversationId") or f"{TEAM};messageid={message['messageId']}"
    data = {"reference": "COV-2026-001", "on": "2026-11-24"}

    status, refused = await session.invoke(
        thread, message["messageId"], "sin_made", data, OTHER_USER
    )
    assert status == 200
    assert "Only the partnership" in json.dumps(refused)

    status, accepted = await session.invoke(thread, message["messageId"], "sin_made", data, USER)
    assert status == 200
    body = json.dumps(accepted)
    assert "application/vnd.microsoft.card.adaptive" in body
    assert "Recorded: SIN made" in body


async def test_5_a_milestone_falling_due_is_posted_in_the_channel_once(
    session: Session,
) -> None:
    # The SIN was made on 24 Nov: the rapid review's first step (summaries requested) is due
    # on its day 1, Wednesday 25 November.
    await session.bot_post("/_test/clock", {"now": "2026-11-25T09:30:00+00:00"})
    mark = session.mark()
    first = await session.bot_post("/_test/tick", {})
    assert any("rr_ias_requests" in key for key in first["sent"])
    reminder = await session.wait_for(
        lambda f: in_channel(f) and "Rapid review: summaries requested" in card_texts(f),
        after=mark,
    )
    assert "COV-2026-001" in card_texts(reminder)
    second = await session.bot_post("/_test/tick", {})
    assert second["sent"] == []
