"""The Notifier against a misbehaving connector: 429, 5xx after landing, gone channels, pacing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from bot.notifier import Notifier
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeTime
from usecases.errors import ConversationGoneError, DeliveryUncertainError, RateLimitedError

Client = TestClient[Any, Any]
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": []}


@pytest.fixture
async def notifier(bot: Client, connector: FakeConnector) -> tuple[Notifier, FakeTime]:
    response = await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    connector.sent.clear()
    services = bot.server.app[SERVICES]
    fake = FakeTime()
    return (
        Notifier(
            adapter=services.adapter,
            conversations=services.conversations,
            bot_app_id="",
            sleep=fake.sleep,
            monotonic=fake.monotonic,
        ),
        fake,
    )


def _coventry(bot: Client) -> Any:
    return bot.server.app[SERVICES].partnerships.partnerships["coventry"]


async def test_429_then_success_posts_once_after_retry_after(
    bot: Client, connector: FakeConnector, notifier: tuple[Notifier, FakeTime]
) -> None:
    sender, time = notifier
    connector.script = ["429:3"]
    activity_id = await sender.post_to_review_channel(_coventry(bot), CARD)
    assert activity_id
    assert len(connector.sent) == 1
    assert 3.0 in time.slept


async def test_429_every_time_gives_up_with_a_rate_limit_error(
    bot: Client, connector: FakeConnector, notifier: tuple[Notifier, FakeTime]
) -> None:
    sender, _ = notifier
    connector.script = ["429:1"] * 10
    with pytest.raises(RateLimitedError):
        await sender.post_to_review_channel(_coventry(bot), CARD)
    assert connector.sent == []


async def test_500_after_the_post_landed_is_not_posted_again(
    bot: Client, connector: FakeConnector, notifier: tuple[Notifier, FakeTime]
) -> None:
    sender, _ = notifier
    connector.script = ["500-landed"]
    with pytest.raises(DeliveryUncertainError):
        await sender.post_to_review_channel(_coventry(bot), CARD)
    assert len(connector.sent) == 1  # it landed once, and was not sent a second time


async def test_a_channel_that_no_longer_exists(
    bot: Client, connector: FakeConnector, notifier: tuple[Notifier, FakeTime]
) -> None:
    sender, _ = notifier
    connector.script = ["404"]
    with pytest.raises(ConversationGoneError):
        await sender.post_to_review_channel(_coventry(bot), CARD)


async def test_posts_to_one_conversation_are_paced(
    bot: Client, connector: FakeConnector, notifier: tuple[Notifier, FakeTime]
) -> None:
    sender, time = notifier
    for _ in range(3):
        await sender.post_to_review_channel(_coventry(bot), CARD)
    assert len(connector.sent) == 3
    assert len(time.slept) == 2
    assert all(0 < s <= 1 / 7 for s in time.slept)


async def test_posts_made_at_the_same_moment_each_wait_for_their_own_slot(
    bot: Client, connector: FakeConnector
) -> None:
    services = bot.server.app[SERVICES]
    await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        # Time stands still while they wait: all three asked at the same moment.
        waits.append(seconds)
        await asyncio.sleep(0)

    sender = Notifier(
        adapter=services.adapter,
        conversations=services.conversations,
        bot_app_id="",
        sleep=sleep,
        monotonic=lambda: 1000.0,
    )
    before = len(connector.sent)  # the channel's introduction
    await asyncio.gather(*(sender.post_to_review_channel(_coventry(bot), CARD) for _ in range(3)))
    assert len(connector.sent) == before + 3
    assert waits == pytest.approx([1 / 7, 2 / 7])


async def test_a_connector_that_hangs_is_uncertain_and_not_posted_again(
    bot: Client, connector: FakeConnector
) -> None:
    services = bot.server.app[SERVICES]
    await bot.post(
        "/api/messages",
        data=json.dumps(activities.team_install(connector.url, team_id="team-id")),
        headers={"Content-Type": "application/json"},
    )
    fake = FakeTime()
    sender = Notifier(
        adapter=services.adapter,
        conversations=services.conversations,
        bot_app_id="",
        sleep=fake.sleep,
        monotonic=fake.monotonic,
        send_timeout_s=0.2,
    )
    connector.script = ["hang", "ok"]
    before = len(connector.sent)
    with pytest.raises(DeliveryUncertainError):
        await sender.post_to_review_channel(_coventry(bot), CARD)
    assert len(connector.sent) == before
    assert connector.script == ["ok"]  # no second attempt was made


def test_only_a_failure_to_connect_counts_as_never_sent() -> None:
    import requests
    import urllib3

    from bot.notifier import _never_sent

    refused = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    not_connected = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/v3", refused)  # type: ignore[arg-type]
    )
    dropped = requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())
    )
    assert _never_sent(not_connected) is True
    assert _never_sent(requests.exceptions.ConnectTimeout()) is True
    assert _never_sent(dropped) is False  # may have been posted before the line dropped
    assert _never_sent(requests.exceptions.ReadTimeout()) is False
