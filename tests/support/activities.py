"""Builders of the activities Teams sends, as JSON bodies."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)

BOT = {"id": "28:bot-id", "name": "Case Review Referrals"}
USER = {
    "id": "29:user-1",
    "name": "A Practitioner",
    "aadObjectId": "00000000-0000-0000-0000-000000000001",
}
TENANT = "tenant-1"


def _base(service_url: str, conversation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": f"act-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "timestamp": "2026-11-24T10:00:00Z",
        "from": USER,
        "recipient": BOT,
        "conversation": conversation,
        "channelData": {"tenant": {"id": TENANT}},
        **extra,
    }


def personal(service_url: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The conversation fields of a personal chat."""
    who = user or USER
    return {
        "id": f"a:personal-{who['id']}",
        "conversationType": "personal",
        "tenantId": TENANT,
    }


def message(service_url: str, text: str | None, **extra: Any) -> dict[str, Any]:
    """A typed message in a personal chat."""
    activity = _base(service_url, personal(service_url), type="message", **extra)
    if text is not None:
        activity["text"] = text
    return activity


def card_submit(service_url: str, value: dict[str, Any]) -> dict[str, Any]:
    """An Action.Submit from a card: a message with no text and the inputs in value."""
    return _base(service_url, personal(service_url), type="message", value=value)


def personal_install(service_url: str) -> dict[str, Any]:
    """The bot added to a personal chat (conversationUpdate with the bot in membersAdded)."""
    return _base(service_url, personal(service_url), type="conversationUpdate", membersAdded=[BOT])


def installation_add(service_url: str) -> dict[str, Any]:
    """installationUpdate add in a personal chat."""
    return _base(service_url, personal(service_url), type="installationUpdate", action="add")


def team_install(service_url: str, team_id: str = "team-id") -> dict[str, Any]:
    """The bot added to a team: conversationUpdate in the General channel."""
    activity = _base(
        service_url,
        {"id": team_id, "conversationType": "channel", "tenantId": TENANT, "isGroup": True},
        type="conversationUpdate",
        membersAdded=[BOT],
    )
    activity["channelData"] = {
        "tenant": {"id": TENANT},
        "team": {"id": team_id, "name": "Reviews"},
        "channel": {"id": team_id, "name": "General"},
        "eventType": "teamMemberAdded",
    }
    return activity


def channel_message(service_url: str, text: str, team_id: str = "team-id") -> dict[str, Any]:
    """A channel message that @mentions the bot."""
    activity = _base(
        service_url,
        {"id": f"{team_id};messageid=1", "conversationType": "channel", "isGroup": True},
        type="message",
        text=f"<at>{BOT['name']}</at> {text}",
        entities=[
            {
                "type": "mention",
                "mentioned": BOT,
                "text": f"<at>{BOT['name']}</at>",
            }
        ],
    )
    activity["channelData"] = {
        "tenant": {"id": TENANT},
        "team": {"id": team_id},
        "channel": {"id": team_id},
    }
    return activity


def action_execute(
    service_url: str, verb: str, data: dict[str, Any], *, trigger: str = "manual"
) -> dict[str, Any]:
    """An Action.Execute invoke (adaptiveCard/action): pressed, or Teams' own refresh."""
    return _base(
        service_url,
        personal(service_url),
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": trigger,
        },
    )
