"""The greeting and help card: what the bot is for, and who to call about a child instead."""

from __future__ import annotations

from typing import Any

from cards import wording
from cards.common import Card, adaptive_card, submit_action, text_block
from cards.text import escape_markdown
from safeguarding.partnerships import Partnership

# Past this many partnerships the card would be a phone book; point to the council instead.
MAX_LISTED_FRONT_DOORS = 6


def _front_door_facts(partnerships: list[Partnership]) -> list[dict[str, Any]]:
    facts = []
    for partnership in partnerships:
        door = partnership.front_door
        facts.append(
            {
                "title": escape_markdown(", ".join(partnership.areas)),
                "value": escape_markdown(
                    wording.front_door_fact(
                        door.name,
                        door.office_hours_number,
                        door.out_of_hours_name,
                        door.out_of_hours_number,
                    )
                ),
            }
        )
    return facts


def welcome_card(partnerships: list[Partnership]) -> Card:
    """The card shown on install and on `help`."""
    safety: list[dict[str, Any]] = [
        text_block(wording.NOT_FOR_INDIVIDUAL_CHILDREN_TITLE, weight="Bolder", color="Attention"),
        text_block(wording.NOT_FOR_INDIVIDUAL_CHILDREN),
    ]
    if 0 < len(partnerships) <= MAX_LISTED_FRONT_DOORS:
        safety.append(text_block(wording.FRONT_DOORS_HEADING, weight="Bolder", spacing="Medium"))
        safety.append({"type": "FactSet", "facts": _front_door_facts(partnerships)})
    else:
        safety.append(text_block(wording.FRONT_DOOR_UNLISTED))
    body = [
        text_block(wording.WELCOME_TITLE, size="Large", weight="Bolder", style="heading"),
        text_block(wording.WELCOME_PURPOSE),
        {"type": "Container", "style": "attention", "bleed": True, "items": safety},
        text_block(wording.HOW_TO_START, spacing="Medium"),
    ]
    actions = [
        submit_action(wording.START_REFERRAL, "start_referral"),
        submit_action(wording.HELP, "help"),
    ]
    return adaptive_card(body, actions)
