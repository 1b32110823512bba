"""Cards that send a practitioner to 999 or to the children's front door, at any point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cards import wording
from cards.common import Card, adaptive_card, submit_action, text_block
from cards.text import escape_markdown
from safeguarding.frontdoor import EMERGENCY_NUMBER, FrontDoorContact


def _contact_value(contact: FrontDoorContact) -> str:
    if contact.also is not None:
        # Hours not confirmed: both lines, and the caller chooses.
        return wording.FRONT_DOOR_FACT.format(
            name=contact.name,
            office=contact.number,
            out_name=contact.also.name,
            out_of_hours=contact.also.number,
        )
    when = wording.OFFICE_HOURS if contact.kind == "office_hours" else wording.OUT_OF_HOURS
    return f"{contact.name}: {contact.number} ({when})"


def _contact_facts(contacts: Sequence[FrontDoorContact]) -> list[dict[str, Any]]:
    facts = [
        {
            "title": escape_markdown(", ".join(contact.areas)),
            "value": escape_markdown(_contact_value(contact)),
        }
        for contact in contacts
    ]
    elements: list[dict[str, Any]] = [{"type": "FactSet", "facts": facts}]
    if any(contact.also is not None for contact in contacts):
        elements.append(text_block(wording.FRONT_DOOR_HOURS_NOT_CONFIRMED, isSubtle=True))
    return elements


def emergency_card(contacts: Sequence[FrontDoorContact]) -> Card:
    """999 first and alone at the top; then the front door in force now."""
    body: list[dict[str, Any]] = [
        {
            "type": "Container",
            "style": "attention",
            "bleed": True,
            "items": [
                text_block(
                    wording.EMERGENCY_CALL.format(number=EMERGENCY_NUMBER),
                    size="ExtraLarge",
                    weight="Bolder",
                    color="Attention",
                ),
                text_block(wording.EMERGENCY_EXPLAIN),
            ],
        },
        text_block(wording.EMERGENCY_THEN_FRONT_DOOR, spacing="Medium"),
        *_contact_facts(contacts),
    ]
    return adaptive_card(body)


def concern_card(contacts: Sequence[FrontDoorContact], *, in_referral: bool) -> Card:
    """A current worry about a child: the front door in force now, and why not us."""
    body: list[dict[str, Any]] = [
        text_block(wording.CONCERN_TITLE, size="Large", weight="Bolder"),
        text_block(wording.CONCERN_REASON),
        *_contact_facts(contacts),
        text_block(wording.CONCERN_999, color="Attention", weight="Bolder"),
    ]
    pages = [c.web_page for c in contacts if c.web_page]
    for page in pages:
        body.append(text_block(f"[{escape_markdown(page)}]({page})"))
    body.append(text_block(wording.CONCERN_ALSO_INCIDENT, spacing="Medium"))
    if in_referral:
        actions = [
            submit_action(wording.CONTINUE_MY_REFERRAL, "referral_resume", choice="continue")
        ]
    else:
        actions = [submit_action(wording.START_REFERRAL, "start_referral")]
    return adaptive_card(body, actions)


def which_referral_card(contacts: Sequence[FrontDoorContact]) -> Card:
    """'I want to make a referral': the front door for a child now, or a case review referral."""
    body: list[dict[str, Any]] = [
        text_block(wording.WHICH_REFERRAL_TITLE, size="Large", weight="Bolder"),
        text_block(wording.WHICH_REFERRAL_CHILD),
        *_contact_facts(contacts),
        text_block(wording.CONCERN_999, color="Attention", weight="Bolder"),
        text_block(wording.WHICH_REFERRAL_REVIEW, spacing="Medium"),
    ]
    return adaptive_card(body, [submit_action(wording.START_REVIEW_REFERRAL, "start_referral")])
