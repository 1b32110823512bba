"""Item 7 of issue 15: every configured lead can act from the first case card of a deployment.

The card's `refresh.userIds` takes Teams ids, which the partnerships file does not hold. The bot
learns a lead's Teams id from their personal chat, or else asks the review team's roster (by
Entra object id) and keeps the answer; when a lead's id cannot be known, `userIds` is left out
and Teams refreshes the card for every member of a channel of up to 60 people. Over HTTP
against the fake connector.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from storage.base import Collection
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cards import assert_valid_card
from tests.support.cases import file_case
from tests.support.clicks import click, post, verbs
from tests.support.connector import FakeConnector

Client = TestClient[Any, Any]

# Coventry's leads in examples/partnerships.toml, by Entra object id; none has chatted.
COVENTRY_LEADS = {
    "00000000-0000-0000-0000-0000000000b1": "29:new-bm",
    "00000000-0000-0000-0000-0000000000a1": "29:new-la",
    "00000000-0000-0000-0000-0000000000a2": "29:new-health",
    "00000000-0000-0000-0000-0000000000a3": "29:new-police",
}
NEW_LA = {
    "id": "29:new-la",
    "name": "LA Lead",
    "aadObjectId": "00000000-0000-0000-0000-0000000000a1",
}
STRANGER = {"id": "29:x", "name": "Someone", "aadObjectId": "00000000-0000-0000-0000-0000000000ff"}


async def _first_card(bot: Client, connector: FakeConnector, store: TinyDBStore) -> dict[str, Any]:
    """A new deployment: the bot joins the team, a case is filed, its card is posted."""
    await post(bot, activities.team_install(connector.url, team_id="team-id"))
    await file_case(store, activities.USER["id"])
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    services = bot.server.app[SERVICES]
    coventry = services.partnerships.partnerships["coventry"]
    before = len(connector.sent)
    await services.case_cards.announce_case(loaded[0], coventry)
    [posted] = [s for s in connector.sent[before:] if s.method == "POST"]
    [card] = posted.cards
    assert_valid_card(card)
    return card


async def _refresh(bot: Client, connector: FakeConnector, who: dict[str, Any]) -> dict[str, Any]:
    return await click(bot, connector, who, "refresh")


async def test_leads_the_bot_never_met_are_found_in_the_roster_and_get_the_buttons(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    connector.roster.update(COVENTRY_LEADS)
    card = await _first_card(bot, connector, store)
    assert sorted(card["refresh"]["userIds"]) == sorted(COVENTRY_LEADS.values())
    # Teams was asked by object id, in the team's conversation.
    assert {m for _, m in connector.member_lookups} >= set(COVENTRY_LEADS)
    assert {c for c, _ in connector.member_lookups} == {"team-id"}
    # The lead's client refreshes their copy: the buttons are there on the very first card.
    mine = await _refresh(bot, connector, NEW_LA)
    assert "sin_made" in verbs(mine)
    # Kept in the conversation registry: the next card asks Teams nothing more.
    asked = len(connector.member_lookups)
    services = bot.server.app[SERVICES]
    coventry = services.partnerships.partnerships["coventry"]
    assert sorted(await services.case_cards.refresh_ids(coventry) or []) == sorted(
        COVENTRY_LEADS.values()
    )
    asked_after = [m for _, m in connector.member_lookups[asked:]]
    assert not set(asked_after) & set(COVENTRY_LEADS)
    # The roster's answers are kept without names, under hashed keys.
    kept = [d for d in await store.list(Collection.CONVERSATIONS) if d.key.startswith("member:")]
    assert len(kept) == len(COVENTRY_LEADS)
    assert "Member" not in json.dumps([d.data for d in kept])


async def test_where_teams_finds_members_by_teams_id_only_the_paged_roster_is_read(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    # As the Agents Playground: a lookup by object id answers 404; the roster pages name them.
    connector.paged_only = True
    connector.roster.update(COVENTRY_LEADS)
    card = await _first_card(bot, connector, store)
    assert sorted(card["refresh"]["userIds"]) == sorted(COVENTRY_LEADS.values())
    # Four leads, two a page: the pages were followed to the end for the last lead.
    assert ("team-id", "pagedmembers") in connector.member_lookups
    assert "sin_made" in verbs(await _refresh(bot, connector, NEW_LA))


async def test_a_lead_in_no_page_of_the_roster_is_left_out(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    connector.paged_only = True
    connector.roster.update({k: v for k, v in COVENTRY_LEADS.items() if v != "29:new-police"})
    card = await _first_card(bot, connector, store)
    assert "userIds" not in card["refresh"]


async def test_a_lead_not_found_leaves_user_ids_out_so_teams_refreshes_for_everyone(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    # The police lead has not joined the team yet: the roster answers 404 for them.
    connector.roster.update({k: v for k, v in COVENTRY_LEADS.items() if v != "29:new-police"})
    card = await _first_card(bot, connector, store)
    assert "userIds" not in card["refresh"]
    assert card["refresh"]["action"]["verb"] == "refresh"
    assert "sin_made" in verbs(await _refresh(bot, connector, NEW_LA))
    # Anyone else in the channel refreshes into the read-only card.
    theirs = await _refresh(bot, connector, STRANGER)
    assert verbs(theirs) == set()
    assert "userIds" not in theirs["refresh"]


async def test_a_roster_teams_refuses_still_posts_the_card_and_leads_can_act(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    connector.roster_status = 403
    card = await _first_card(bot, connector, store)
    # One failure and the team is left alone for a while: not one slow call per lead.
    assert len(connector.member_lookups) == 1
    assert "userIds" not in card["refresh"]
    assert "sin_made" in verbs(await _refresh(bot, connector, NEW_LA))
    # Not asked again at once for every card: a miss is retried after a while.
    asked = len(connector.member_lookups)
    services = bot.server.app[SERVICES]
    await services.case_cards.refresh_ids(services.partnerships.partnerships["coventry"])
    assert len(connector.member_lookups) == asked


async def test_a_lead_met_in_a_personal_chat_is_not_looked_up(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    connector.roster.update(COVENTRY_LEADS)
    chat = activities.message(connector.url, "hello")
    chat["from"] = {**NEW_LA, "id": "29:la-chat"}
    chat["conversation"] = {**chat["conversation"], "id": "a:la-chat"}
    await post(bot, chat)
    card = await _first_card(bot, connector, store)
    assert "29:la-chat" in card["refresh"]["userIds"]
    assert NEW_LA["aadObjectId"] not in {m for _, m in connector.member_lookups}
