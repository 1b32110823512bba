"""Shared building blocks for Adaptive Cards (schema 1.5, as Teams renders it)."""

from __future__ import annotations

from typing import Any

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"

Card = dict[str, Any]


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    """An Adaptive Card 1.5 with the given body and actions."""
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": "1.5",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def text_block(text: str, **options: Any) -> dict[str, Any]:
    """A wrapping TextBlock; `text` must already be escaped if it holds user input."""
    return {"type": "TextBlock", "text": text, "wrap": True, **options}


def submit_action(title: str, action: str, **data: Any) -> dict[str, Any]:
    """An Action.Submit whose data names the action the bot should take."""
    return {"type": "Action.Submit", "title": title, "data": {"action": action, **data}}
