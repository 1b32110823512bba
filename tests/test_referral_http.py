"""One whole referral over HTTP against the fake connector: the case card lands in the channel.

Each test runs on both stores: embedded, and PostgreSQL (dialog state, drafts and filing alike).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from storage.base import Collection, Store
from storage.cases import CaseRepository
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.referral import STEPS_TO_REVIEW
from tests.support.runners import settled

Client = TestClient[Any, Any]


@pytest.fixture(params=["tinydb", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Store]:
    """The store the app runs on (conftest's `bot` takes it): each backend in turn."""
    active: Store
    if request.param == "postgres":
        active = await PostgresStore.open(request.getfixturevalue("postgres_url"))
    else:
        active = TinyDBStore(settings.data_dir)
    yield active
    await active.close()


async def _post(client: Client, body: dict[str, Any]) -> None:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()


async def test_a_referral_over_http_posts_the_case_card_to_the_review_channel(
    bot: Client, connector: FakeConnector, store: Store
) -> None:
    url = connector.url
    await _post(bot, activities.team_install(url, team_id="team-id"))
    await _post(bot, activities.personal_install(url))
    await _post(bot, activities.card_submit(url, {"action": "start_referral"}))
    steps: list[tuple[str, dict[str, Any]]] = [*STEPS_TO_REVIEW, ("review", {"submit": True})]
    for step, inputs in steps:
        await _post(
            bot, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )
    # The case card goes out once the filing turn has answered.
    await settled(bot)

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

    # Filed in the store the app ran on, its trail begun, the dialog's state kept there too.
    case = await store.get(Collection.CASES, "COV-2026-001")
    assert case is not None
    assert case.data["partnership_id"] == "coventry"
    assert await CaseRepository(store).audit_trail("COV-2026-001")
    assert await store.list(Collection.STATE, prefix="bot:")


async def test_the_home_partnership_is_told_in_its_own_channel_when_another_leads(
    bot: Client, connector: FakeConnector
) -> None:
    url = connector.url
    await _post(bot, activities.team_install(url, team_id="team-id"))  # Coventry's channel
    await _post(bot, activities.personal_install(url))
    await _post(bot, activities.card_submit(url, {"action": "start_referral"}))
    steps: list[tuple[str, dict[str, Any]]] = [
        *(
            (step, {"area": "Coventry", "harm_area": "Warwickshire"} if step == "area" else inputs)
            for step, inputs in STEPS_TO_REVIEW
        ),
        ("review", {"submit": True}),
    ]
    for step, inputs in steps:
        await _post(
            bot, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )
    # The case card goes out once the filing turn has answered.
    await settled(bot)

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
    for step, inputs in STEPS_TO_REVIEW:
        # Each card's answers go to the draft; the dialog stack stays as it is.
        await _post(
            bot, activities.card_submit(url, {"action": "referral", "step": step, **inputs})
        )
    assert await dialog_state_etag() == started
