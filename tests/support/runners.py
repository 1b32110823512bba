"""A running app's notifier on fake time, for reminder runners that tests drive themselves."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import SERVICES
from bot.notifier import Notifier
from tests.support.fakes import FakeTime


def paced_notifier(client: TestClient[Any, Any]) -> tuple[Notifier, FakeTime]:
    """The app's notifier, pacing and backing off on fake time (so no test ever sleeps)."""
    services = client.server.app[SERVICES]
    fake = FakeTime()
    notifier = Notifier(
        adapter=services.adapter,
        conversations=services.conversations,
        bot_app_id="",
        sleep=fake.sleep,
        monotonic=fake.monotonic,
    )
    return notifier, fake


async def settled(*clients: TestClient[Any, Any]) -> None:
    """Wait until the follow-up work of every turn so far (a filing's marker and case card,
    run after the turn's response) is done, on each app."""
    for client in clients:
        await client.server.app[SERVICES].follow_ups.settled()
