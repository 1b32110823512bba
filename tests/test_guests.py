"""A practitioner from another organisation, as a guest in the partnership's tenant, refers a case
end to end over HTTP.

An NHS nurse or a police officer invited as a guest (Entra B2B) signs in to the partnership's
organisation in Teams and chats with the bot there. Teams then sends what it sends for any
member of that tenant: the partnership's (the host's) tenant id in `channelData.tenant.id` and
`conversation.tenantId`, and the guest's own object id in the host directory as
`from.aadObjectId` (a different object from the one in their home tenant). So a tenant
allow-list (`REVIEW_BOT_ALLOWED_TENANTS`) admits guests when it holds the partnership's tenant
alone; the referral is filed and acknowledged as anyone's, and the referrer is recorded by the
guest's id in the host tenant. README "Practitioners from other organisations" says what else
works.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import load_settings
from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.referral import STEPS_TO_REVIEW
from tests.support.runners import settled

Client = TestClient[Any, Any]
HOST_TENANT = activities.TENANT  # the partnership's tenant: the bot, its team and its guests
HOME_TENANT = "9a9a9a9a-0000-4000-8000-0000000000e1"  # the nurse's trust: never in the activity
GUEST = {
    "id": "29:1guest-nurse",
    # Teams shows a guest's name with "(Guest)"; it is never stored or logged.
    "name": "Jo Nurse (Guest)",
    # The guest user's object id in the partnership's directory.
    "aadObjectId": "00000000-0000-0000-0000-0000000000a7",
}


def as_guest(activity: dict[str, Any]) -> dict[str, Any]:
    """The same activity as Teams sends it from a guest's personal chat with the bot."""
    return {
        **activity,
        "from": GUEST,
        "conversation": {
            "id": f"a:personal-{GUEST['id']}",
            "conversationType": "personal",
            "tenantId": HOST_TENANT,
        },
        "channelData": {"tenant": {"id": HOST_TENANT}},
    }


@pytest.fixture
async def guest_bot(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    store: TinyDBStore,
    clock: FakeClock,
) -> AsyncIterator[Client]:
    # The allow-list holds the partnership's tenant only (read where the bot supports it).
    monkeypatch.setenv("REVIEW_BOT_ALLOWED_TENANTS", HOST_TENANT)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data", reminders_enabled=False)
    client: Client = TestClient(
        TestServer(create_app(settings, store=store, clock=clock, screen=shared_screen()))
    )
    await client.start_server()
    yield client
    await client.close()


async def _post(client: Client, body: dict[str, Any]) -> None:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()


async def test_a_guest_refers_a_case_end_to_end(
    guest_bot: Client, connector: FakeConnector, store: TinyDBStore
) -> None:
    url = connector.url
    await _post(guest_bot, activities.team_install(url, team_id="team-id"))
    await _post(guest_bot, as_guest(activities.personal_install(url)))
    await _post(guest_bot, as_guest(activities.message(url, "refer")))
    await _post(guest_bot, as_guest(activities.card_submit(url, {"action": "start_referral"})))
    for step, inputs in [*STEPS_TO_REVIEW, ("review", {"submit": True})]:
        body = {"action": "referral", "step": step, **inputs}
        await _post(guest_bot, as_guest(activities.card_submit(url, body)))

    # The guest is answered in their own chat with the bot, with the case's reference...
    to_guest = connector.to(f"a:personal-{GUEST['id']}")
    assert to_guest, "the guest was not answered"
    assert "COV-2026-001" in json.dumps(to_guest[-1].cards)
    # ... and the case card reaches the partnership's review channel (once the filing turn's
    # follow-ups are done).
    await settled(guest_bot)
    channel = [s for s in connector.to("team-id") if s.cards]
    assert len(channel) == 1
    assert "COV-2026-001" in json.dumps(channel[0].cards)

    case = await store.get(Collection.CASES, "COV-2026-001")
    assert case is not None
    stored = json.dumps(case.data)
    assert GUEST["aadObjectId"] in stored  # recorded by the guest's id in the host tenant
    assert HOME_TENANT not in stored
    assert "(Guest)" not in stored  # Teams' display name is not the referrer's record
