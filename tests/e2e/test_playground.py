"""Journeys through a real Teams client: the Microsoft 365 Agents Playground, on loopback.

The journeys run in order against one bot and one Playground (starting them costs seconds):
install, a whole referral with an emergency typed halfway, a lead's decision, a reminder, a
lead who never chatted with the bot acting from the first card, the reminder's buttons for
leads only, a practitioner going back to correct a date, and junk and another organisation's
activities answered without a 5xx or a word.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.settings import EXAMPLE_PARTNERSHIPS
from tests.support.clicks import verbs
from tests.support.playground import (
    OTHER_USER,
    PERSONAL,
    TEAM,
    TENANT_ID,
    USER,
    Frame,
    Session,
    card_texts,
    cards_of,
    start,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The Playground's user-id-0 is Coventry's local authority lead in these journeys; the other
# leads are Playground users who never chat with the bot (user-id-1 is not a lead).
PLAYGROUND_USER_AAD = "00000000-0000-0000-0000-0000000000020"
POLICE_LEAD = "user-id-2"
LEADS_AS_PLAYGROUND_USERS = {
    "00000000-0000-0000-0000-0000000000a1": PLAYGROUND_USER_AAD,
    "00000000-0000-0000-0000-0000000000a3": "00000000-0000-0000-0000-0000000000022",
    "00000000-0000-0000-0000-0000000000b1": "00000000-0000-0000-0000-0000000000023",
    "00000000-0000-0000-0000-0000000000a2": "00000000-0000-0000-0000-0000000000024",
}


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
    text = EXAMPLE_PARTNERSHIPS.read_text()
    for example, playground in LEADS_AS_PLAYGROUND_USERS.items():
        text = text.replace(f'aad_object_id = "{example}"', f'aad_object_id = "{playground}"')
    text = text.replace('faq_file = "faq/coventry.toml"\n', "")
    path = tmp_path_factory.mktemp("config") / "partnerships.toml"
    path.write_text(text)
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(
    tmp_path_factory: pytest.TempPathFactory, partnerships_file: Path
) -> AsyncIterator[Session]:
    # The Playground's own tenant is the only one served: every journey runs under the list.
    running = await start(
        data_dir=tmp_path_factory.mktemp("data"),
        partnerships=partnerships_file,
        settings={"REVIEW_BOT_ALLOWED_TENANTS": TENANT_ID},
    )
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
    assert "Your referral is saved. Carry on with the card above" in card_texts(urgent)

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
    # Item 7 of issue 15: on the first card of a deployment every lead is named for the
    # refresh, those who never chatted with the bot found in the team's roster.
    [card] = cards_of(case_card)
    assert sorted(card["refresh"]["userIds"]) == [
        "user-id-0",
        "user-id-2",
        "user-id-3",
        "user-id-4",
    ]
    # The Playground shows no suggested actions under a card: the next steps are on the
    # acknowledgement itself, and "Check status" answers as typing status does.
    [ack] = cards_of(acknowledgement)
    assert [a["title"] for a in ack["actions"]] == ["Check status", "Start another"]
    assert "Type *status* at any time" in card_texts(acknowledgement)
    mark = session.mark()
    await session.submit(acknowledgement["message"]["messageId"], ack["actions"][0]["data"])
    status = await session.wait_for(
        lambda f: in_personal(f) and not cards_of(f) and "COV-2026-001" in card_texts(f),
        after=mark,
    )
    assert "received" in card_texts(status)
    # Told apart from other referrals by initials and age, as on the channel.
    assert "JD, 4 years" in card_texts(status)


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


def _refresh_action(card: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    action = card["refresh"]["action"]
    return action["verb"], action["data"]


def _thread_of(frame: Frame) -> tuple[str, str]:
    message = frame["message"]
    thread = message.get("postConversationId") or f"{TEAM};messageid={message['messageId']}"
    return thread, message["messageId"]


def _card_of(response: Any) -> dict[str, Any]:
    assert response["type"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = response["value"]
    return card


async def test_6_a_lead_who_never_chatted_gets_the_buttons_from_the_first_card(
    session: Session,
) -> None:
    posted = next(f for f in session.frames if in_channel(f) and "New referral" in card_texts(f))
    [card] = cards_of(posted)
    thread, message_id = _thread_of(posted)
    # The Playground never refreshes a card by itself (Teams, in a channel of over 60 members,
    # only for the users it lists): the posted card is read-only, with a button for leads that
    # sends what the refresh would. The police lead presses it: the decisions are there.
    [button] = [a for a in card["actions"] if a["type"] == "Action.Execute"]
    assert button["title"] == "Record a decision (leads)"
    assert (button["verb"], button["data"]) == _refresh_action(card)
    status, theirs = await session.invoke(
        thread, message_id, button["verb"], button["data"], POLICE_LEAD
    )
    assert status == 200
    leads_copy = _card_of(theirs)
    assert "summaries_requested" in verbs(leads_copy)
    assert "Record a decision (leads)" not in json.dumps(leads_copy)
    # Someone in the channel who is not a lead sees the card read-only, and why.
    status, others = await session.invoke(
        thread, message_id, button["verb"], button["data"], OTHER_USER
    )
    assert status == 200
    assert verbs(_card_of(others)) == set()
    assert "only the partnership's leads record decisions" in json.dumps(_card_of(others)).lower()


async def test_7_a_reminder_is_read_only_and_a_leads_done_shows_what_was_recorded(
    session: Session,
) -> None:
    found = [
        f
        for f in session.frames
        if in_channel(f) and "Rapid review: summaries requested" in card_texts(f)
    ]
    [posted] = [f for f in found if cards_of(f)[0]["body"][0]["text"].startswith("Due")]
    [card] = cards_of(posted)
    # Read-only: one button, which a lead presses for their own copy with Done and Slip.
    [button] = card["actions"]
    assert (button["type"], button["title"]) == ("Action.Execute", "Record what was done (leads)")
    assert (button["verb"], button["data"]) == _refresh_action(card)
    thread, message_id = _thread_of(posted)
    verb, data = button["verb"], button["data"]
    status, stranger = await session.invoke(thread, message_id, verb, data, OTHER_USER)
    assert status == 200
    assert [a["type"] for a in _card_of(stranger)["actions"]] == ["Action.Execute"]
    assert "Your copy stays read-only" in json.dumps(_card_of(stranger))
    status, lead = await session.invoke(thread, message_id, verb, data, USER)
    assert status == 200
    leads_copy = _card_of(lead)
    assert "Record what was done (leads)" not in json.dumps(leads_copy)
    [done] = [a["card"] for a in leads_copy["actions"] if a["title"] == "Done"]
    action = done["actions"][0]
    status, shown = await session.invoke(
        thread, message_id, action["verb"], {**action["data"], "on": "2026-11-25"}, USER
    )
    assert status == 200
    after = json.dumps(_card_of(shown))
    assert "Done: recorded by" in after
    assert "New referral" not in after
    assert "actions" not in _card_of(shown)


async def test_8_back_and_go_to_correct_a_date_and_keep_what_was_typed(session: Session) -> None:
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
    # A date of birth typed wrongly: after the incident.
    child = {
        "name": "JMS",
        "unborn": "false",
        "date_of_birth": "2026-11-22",
        "sex": "male",
        "disability": "no",
    }
    await _step(session, "child", next="continue", **child)
    incident = {
        "date": "2026-11-20",
        "la_aware": "2026-11-23",
        "kind": "serious_harm",
        "description": "Admitted with a head injury.",
    }
    refused = await _step(session, "incident", **incident)
    [card] = cards_of(refused)
    assert "JMS was born on 22 November 2026, after this date" in card_texts(refused)
    # The banner names the date judged most likely wrong, as the message does.
    assert "Check: JMS's date of birth." in card_texts(refused)
    # The error offers the field most likely wrong; what was typed on the incident is kept.
    [go_to] = [a for a in card["actions"] if a["title"] == "Change JMS's date of birth"]
    mark = session.mark()
    await session.submit(refused["message"]["messageId"], {**go_to["data"], **incident})
    child_card = await session.wait_for(lambda f: in_personal(f) and bool(cards_of(f)), after=mark)
    values = {e["id"]: e.get("value") for e in cards_of(child_card)[0]["body"] if "id" in e}
    assert values["name"] == "JMS"
    assert values["date_of_birth"] == "2026-11-22"
    # The child card marks the date of birth at once, with the incident date, and offers the
    # incident date instead; Continue with it unchanged is refused there.
    said = card_texts(child_card)
    assert "date_of_birth_error" in said
    assert "after the incident date" in said
    assert "20 November 2026" in said
    assert "Change the incident date" in said
    unchanged = await _step(session, "child", next="continue", child_index=0, **child)
    assert "date_of_birth_error" in card_texts(unchanged)
    back_again = await _step(
        session, "child", next="continue", child_index=0, **{**child, "date_of_birth": "2025-08-01"}
    )
    kept = {e["id"]: e.get("value") for e in cards_of(back_again)[0]["body"] if "id" in e}
    assert (kept["date"], kept["description"]) == ("2026-11-20", "Admitted with a head injury.")
    # Back from the incident card goes to the child, as corrected.
    [incident_card] = cards_of(back_again)
    [back] = [a for a in incident_card["actions"] if a["title"] == "Back"]
    mark = session.mark()
    await session.submit(back_again["message"]["messageId"], {**back["data"], **incident})
    previous = await session.wait_for(lambda f: in_personal(f) and bool(cards_of(f)), after=mark)
    again = {e["id"]: e.get("value") for e in cards_of(previous)[0]["body"] if "id" in e}
    assert again["date_of_birth"] == "2025-08-01"
    mark = session.mark()
    await session.say("cancel")
    await session.wait_for(in_personal, after=mark)


async def _status_answered(session: Session) -> None:
    """Type `status` and wait for its answer (what came before it has arrived by then)."""
    mark = session.mark()
    await session.say("status")
    await session.wait_for(lambda f: in_personal(f) and "COV-2026-001" in card_texts(f), after=mark)


async def test_9_junk_and_another_tenant_get_no_5xx_and_no_word(session: Session) -> None:
    # An invoke the bot does not handle: 200 relayed, nothing posted (it was a 501, which the
    # Playground shows as "UserBotError", and for some invokes an apology in the chat).
    mark = session.mark()
    status, body = await session.call(
        "POST",
        "/_conversation/v1/invoke",
        {
            "name": "composeExtension/query",
            "conversation": {"id": PERSONAL},
            "from": {"id": USER},
            "value": {"commandId": 5, "parameters": "junk"},
        },
    )
    assert (status, body) == (200, {})
    # A click whose reference is no reference: said in place of the card, not an apology.
    [greeting] = [f for f in session.frames if in_personal(f)][:1]
    status, body = await session.invoke(
        PERSONAL, greeting["message"]["messageId"], "sin_made", {"reference": "COV 2026 001"}, USER
    )
    assert status == 200
    assert body["value"] == "That card is no longer active. Type *help* to start again."
    # Another organisation's install and "help", through the Playground: refused (403 to it),
    # so nothing is said; the Playground's own tenant is answered as before.
    status, template = await session.call(
        "GET", f"/_internal/v1/customActivities/template?conversationId={PERSONAL}&type=install"
    )
    assert status == 200
    assert template["channelData"]["tenant"]["id"] == TENANT_ID
    other = copy.deepcopy(template)
    other["channelData"]["tenant"]["id"] = other["conversation"]["tenantId"] = "another-tenant"
    help_from_other = {**copy.deepcopy(other), "type": "message", "text": "help", "id": "other-1"}
    help_from_other.pop("action")
    for activity in (other, help_from_other):
        assert (await session.call("POST", "/_internal/v1/customActivities", activity))[0] == 200
    await _status_answered(session)
    said = [f for f in session.frames[mark:] if in_personal(f)]
    assert [card_texts(f) for f in said if "Start a referral" in card_texts(f)] == []
    assert all("something went wrong" not in card_texts(f) for f in said)
    # The same activity posted to the bot itself: 403, as the Playground was answered.
    async with session.http.post(f"{session.bot_url}/api/messages", json=help_from_other) as r:
        assert r.status == 403
