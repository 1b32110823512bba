"""Posting activities to the real app over HTTP, and a lead's Action.Execute on a case card."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from tests.support import activities
from tests.support.cards import assert_valid_card
from tests.support.connector import FakeConnector

Client = TestClient[Any, Any]


async def post(client: Client, body: dict[str, Any]) -> Any:
    """POST an activity; the invoke response's body, or None for a message (201)."""
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status in (200, 201), await response.text()
    return await response.json() if response.status == 200 else None


async def click(
    client: Client, connector: FakeConnector, who: dict[str, Any], verb: str, **data: Any
) -> dict[str, Any]:
    """A lead's click on case COV-2026-001's card in the review channel; the card shown back."""
    return await execute(client, connector, who, verb, {"reference": "COV-2026-001", **data})


async def refresh(
    client: Client, connector: FakeConnector, who: dict[str, Any], card: dict[str, Any]
) -> dict[str, Any]:
    """What Teams sends when `who`'s copy of a posted card refreshes; the card they see."""
    action = card["refresh"]["action"]
    return await execute(
        client, connector, who, action["verb"], action["data"], trigger="automatic"
    )


def leads_button(card: dict[str, Any]) -> dict[str, Any]:
    """The read-only card's button for leads (an Action.Execute, not behind a ShowCard)."""
    [button] = [a for a in card.get("actions", []) if a["type"] == "Action.Execute"]
    return button


async def press_leads_button(
    client: Client, connector: FakeConnector, who: dict[str, Any], card: dict[str, Any]
) -> dict[str, Any]:
    """`who` presses the read-only card's button for leads; the card shown back to them."""
    button = leads_button(card)
    return await execute(client, connector, who, button["verb"], button["data"])


async def execute(
    client: Client,
    connector: FakeConnector,
    who: dict[str, Any],
    verb: str,
    data: dict[str, Any],
    *,
    trigger: str = "manual",
) -> dict[str, Any]:
    """An Action.Execute by `who` in the review channel; the card shown back."""
    body = activities.action_execute(connector.url, verb, data, trigger=trigger)
    body["from"] = who
    body["conversation"] = {"id": "team-id", "conversationType": "channel", "isGroup": True}
    body["channelData"] = {"tenant": {"id": activities.TENANT}, "team": {"id": "team-id"}}
    result = await post(client, body)
    assert result["statusCode"] == 200
    assert result["type"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = result["value"]
    assert_valid_card(card)
    return card


def verbs(card: dict[str, Any]) -> set[str]:
    """The decisions a card offers (each behind an Action.ShowCard)."""
    return {
        action["card"]["actions"][0]["verb"]
        for action in card.get("actions", [])
        if action["type"] == "Action.ShowCard"
    }
