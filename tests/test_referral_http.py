"""One whole referral over HTTP against the fake connector: the case card lands in the channel."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.referral import STEPS

Client = TestClient[Any, Any]


async def _post(client: Client, body: dict[str, Any]) -> None:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()


async def test_a_referral_over_http_posts_the_case_card_to_the_review_channel(
    bot: Client, connector: FakeConnector
) -> None:
    url = connector.url
    await _post(bot, activities.team_install(url, team_id="team-id"))
    await _post(bot, activities.personal_install(url))
    await _post(bot, activities.card_submit(url, {"action": "start_referral"}))
    for step, inputs in STEPS:
        await _post(
            bot, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )

    personal = [s for s in connector.sent if s.conversation_id.startswith("a:personal-")]
    acknowledgement = json.dumps(personal[-1].cards)
    assert "COV-2026-001" in acknowledgement

    channel = [s for s in connector.to("team-id") if s.cards]
    assert len(channel) == 1
    post = channel[0]
    assert post.activity_id is None  # a new post in the channel, not a reply
    posted = json.dumps(post.cards)
    assert "COV-2026-001" in posted
    assert "Jane" not in posted
    assert "unexplained fractures" not in posted


async def test_the_home_partnership_is_told_in_its_own_channel_when_another_leads(
    bot: Client, connector: FakeConnector
) -> None:
    url = connector.url
    await _post(bot, activities.team_install(url, team_id="team-id"))  # Coventry's channel
    await _post(bot, activities.personal_install(url))
    await _post(bot, activities.card_submit(url, {"action": "start_referral"}))
    # The child lives in Coventry and was harmed in Warwickshire.
    harmed_elsewhere = {"area": "Coventry", "harm_area": "Warwickshire"}
    steps = [(step, harmed_elsewhere if step == "area" else inputs) for step, inputs in STEPS]
    for step, inputs in steps:
        await _post(
            bot, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )

    personal = [s for s in connector.sent if s.conversation_id.startswith("a:personal-")]
    assert "WAR-2026-001" in json.dumps(personal[-1].cards)
    # Warwickshire leads (its channel is not set up in the example file); Coventry, where the
    # child lives, gets the short card in its channel, through the same notifier.
    [post] = [s for s in connector.to("team-id") if s.cards]
    posted = json.dumps(post.cards)
    assert "WAR-2026-001" in posted
    assert "Warwickshire Safeguarding" in posted
    assert "JD, 4 years" in posted
    assert "Jane" not in posted
    assert "unexplained fractures" not in posted


async def test_turns_that_change_no_dialog_state_do_not_write_it(
    bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    url = connector.url

    async def dialog_state_etag() -> str:
        [doc] = [d for d in await store.list(Collection.STATE) if d.key.startswith("bot:")]
        return doc.etag

    await _post(bot, activities.message(url, "help"))
    written = await dialog_state_etag()
    for _ in range(3):
        await _post(bot, activities.message(url, "help"))
    assert await dialog_state_etag() == written

    await _post(bot, activities.card_submit(url, {"action": "start_referral"}))
    started = await dialog_state_etag()
    assert started != written  # the referral dialog is on the stack now
    for step, inputs in STEPS[:-1]:
        # Each card's answers go to the draft; the dialog stack stays as it is.
        await _post(
            bot, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )
    assert await dialog_state_etag() == started
