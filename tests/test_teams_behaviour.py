"""Teams behaviour over HTTP: greeting, help, card submits, channels, references, the Notifier."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from usecases.errors import ChannelNotConfiguredError, ConversationUnknownError

Client = TestClient[Any, Any]


async def _post(client: Client, body: dict[str, Any]) -> int:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    return response.status


def _card_texts(card: dict[str, Any]) -> str:
    return json.dumps(card)


async def test_install_in_personal_chat_greets_with_the_safety_card(
    bot: Client, connector: FakeConnector
) -> None:
    assert await _post(bot, activities.personal_install(connector.url)) == 201
    assert len(connector.sent) == 1
    cards = connector.sent[0].cards
    assert len(cards) == 1
    text = _card_texts(cards[0])
    assert "999" in text
    assert "cannot take concerns about an individual child" in text
    assert "024 7678 8555" in text  # Coventry MASH, from the partnerships file
    assert "Start a referral" in text


async def test_greeting_is_sent_once_when_teams_sends_both_install_events(
    bot: Client, connector: FakeConnector
) -> None:
    await _post(bot, activities.personal_install(connector.url))
    await _post(bot, activities.installation_add(connector.url))
    assert len(connector.sent) == 1


async def test_help_answers_with_the_same_card(bot: Client, connector: FakeConnector) -> None:
    await _post(bot, activities.personal_install(connector.url))
    await _post(bot, activities.message(connector.url, "Help"))
    assert len(connector.sent) == 2
    assert connector.sent[0].cards == connector.sent[1].cards


async def test_card_submit_without_text_does_not_crash(
    bot: Client, connector: FakeConnector
) -> None:
    assert await _post(bot, activities.card_submit(connector.url, {"action": "help"})) == 201
    assert await _post(bot, activities.card_submit(connector.url, {"unrelated": 1})) == 201
    assert await _post(bot, activities.card_submit(connector.url, {})) == 201
    assert len(connector.sent) == 3
    assert connector.sent[0].cards  # help card
    assert connector.sent[1].text is not None
    assert "no longer active" in connector.sent[1].text


async def test_a_duplicate_delivery_is_answered_once(bot: Client, connector: FakeConnector) -> None:
    activity = activities.message(connector.url, "help")
    await _post(bot, activity)
    await _post(bot, activity)
    assert len(connector.sent) == 1


async def test_mention_is_stripped_in_channels(bot: Client, connector: FakeConnector) -> None:
    assert await _post(bot, activities.channel_message(connector.url, "help")) == 201
    assert len(connector.sent) == 1
    assert connector.sent[0].cards, "the mention was not stripped, so 'help' was not recognised"


async def test_added_to_a_team_records_team_and_channel(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    await _post(bot, activities.team_install(connector.url, team_id="team-id"))
    doc = await store.get(Collection.CONVERSATIONS, "channel:team-id")
    assert doc is not None
    assert doc.data["team_id"] == "team-id"
    assert doc.data["teams_channel_id"] == "team-id"
    assert doc.data["tenant_id"] == activities.TENANT
    assert doc.data["service_url"] == connector.url
    # Coventry's review channel is this team in the example file: the bot says so there.
    assert connector.sent[0].conversation_id == "team-id"
    assert connector.sent[0].text is not None
    assert "Coventry" in connector.sent[0].text


async def test_personal_chat_reference_is_stored_with_the_tenant(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    await _post(bot, activities.message(connector.url, "hello"))
    doc = await store.get(Collection.CONVERSATIONS, f"user:{activities.USER['id']}")
    assert doc is not None
    assert doc.data["kind"] == "personal"
    assert doc.data["tenant_id"] == activities.TENANT
    assert doc.data["user_aad_object_id"] == activities.USER["aadObjectId"]


async def test_notifier_posts_a_card_to_the_review_channel(
    bot: Client, connector: FakeConnector
) -> None:
    await _post(bot, activities.team_install(connector.url, team_id="team-id"))
    services = bot.server.app[SERVICES]
    coventry = services.partnerships.partnerships["coventry"]
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    activity_id = await services.notifier.post_to_review_channel(coventry, card, summary="test")
    assert activity_id
    post = connector.sent[-1]
    assert post.conversation_id == "team-id"
    assert post.activity_id is None  # a new top-level post, not a reply
    assert post.cards == [card]

    await services.notifier.update_in_review_channel(coventry, activity_id, {**card, "body": [1]})
    update = connector.sent[-1]
    assert (update.method, update.activity_id) == ("PUT", activity_id)


async def test_notifier_sends_to_a_users_personal_chat(
    bot: Client, connector: FakeConnector
) -> None:
    await _post(bot, activities.message(connector.url, "hello"))
    services = bot.server.app[SERVICES]
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    await services.notifier.send_to_user_id(activities.USER["id"], card)
    assert connector.sent[-1].cards == [card]
    assert connector.sent[-1].conversation_id.startswith("a:personal-")


async def test_notifier_says_what_is_missing(bot: Client, connector: FakeConnector) -> None:
    services = bot.server.app[SERVICES]
    warwickshire = services.partnerships.partnerships["warwickshire"]
    coventry = services.partnerships.partnerships["coventry"]
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    with pytest.raises(ChannelNotConfiguredError, match="warwickshire"):
        await services.notifier.post_to_review_channel(warwickshire, card)
    with pytest.raises(ConversationUnknownError, match="installed"):
        await services.notifier.post_to_review_channel(coventry, card)
    assert connector.sent == []


async def test_referrals_and_case_status_stay_out_of_channels(
    bot: Client, connector: FakeConnector
) -> None:
    from cards import wording

    # "refer" points to refer in the personal chat; a status question, typed as the command or
    # in words, points to status there.
    for text, pointer in (
        ("refer", wording.PERSONAL_CHAT_ONLY),
        ("status", wording.PERSONAL_CHAT_ONLY_STATUS),
        ("any update on COV-2026-001", wording.PERSONAL_CHAT_ONLY_STATUS),
    ):
        before = len(connector.sent)
        assert await _post(bot, activities.channel_message(connector.url, text)) == 201
        [reply] = connector.sent[before:]
        assert reply.text == pointer
    assert "type *status*" in wording.PERSONAL_CHAT_ONLY_STATUS
    submit = activities.channel_message(connector.url, "x")
    del submit["text"]
    submit["value"] = {"action": "referral", "step": "safety", "answer": "incident"}
    before = len(connector.sent)
    await _post(bot, submit)
    assert connector.sent[before].text == wording.PERSONAL_CHAT_ONLY
