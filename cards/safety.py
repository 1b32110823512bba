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
        return wording.front_door_fact(
            contact.name, contact.number, contact.also.name, contact.also.number
        )
    when = wording.OFFICE_HOURS if contact.kind == "office_hours" else wording.OUT_OF_HOURS
    return wording.contact_line(contact.name, contact.number, when)


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


def _in_referral_line(from_answer: bool) -> dict[str, Any]:
    # Typed mid-referral, the referral's card is above the signpost; sent for what was typed
    # into a card, the next card follows below it. Either way nothing is lost.
    text = wording.SIGNPOST_ANSWER_SAVED if from_answer else wording.SIGNPOST_REFERRAL_SAVED
    return text_block(text, spacing="Medium")


def emergency_card(
    contacts: Sequence[FrontDoorContact], *, in_referral: bool = False, from_answer: bool = False
) -> Card:
    """999 first and alone at the top; then the front door in force now.

    `in_referral`: a referral is in progress, and the card says it is saved; `from_answer`:
    sent because of what was typed into one of its cards, and the card says so.
    """
    alarm: list[dict[str, Any]] = [
        text_block(
            wording.EMERGENCY_CALL.format(number=EMERGENCY_NUMBER),
            size="ExtraLarge",
            weight="Bolder",
            color="Attention",
        ),
    ]
    if from_answer:
        alarm.append(text_block(wording.SIGNPOST_FROM_ANSWER_DANGER, weight="Bolder"))
    alarm.append(text_block(wording.EMERGENCY_EXPLAIN))
    body: list[dict[str, Any]] = [
        {"type": "Container", "style": "attention", "bleed": True, "items": alarm},
        text_block(wording.EMERGENCY_THEN_FRONT_DOOR, spacing="Medium"),
        *_contact_facts(contacts),
    ]
    if in_referral or from_answer:
        body.append(_in_referral_line(from_answer))
    return adaptive_card(body)


def concern_card(
    contacts: Sequence[FrontDoorContact], *, in_referral: bool, from_answer: bool = False
) -> Card:
    """A current worry about a child: the front door in force now, and why not us.

    Outside a referral it offers one; in a referral (`in_referral`, `from_answer` as for
    `emergency_card`) it says the referral is saved, and has no button: the referral's card is
    already above it, or comes next below it.
    """
    body: list[dict[str, Any]] = [
        text_block(wording.CONCERN_TITLE, size="Large", weight="Bolder"),
    ]
    if from_answer:
        body.append(text_block(wording.SIGNPOST_FROM_ANSWER_RISK, weight="Bolder"))
    body += [
        text_block(wording.CONCERN_REASON),
        *_contact_facts(contacts),
        text_block(wording.CONCERN_999, color="Attention", weight="Bolder"),
    ]
    pages = [c.web_page for c in contacts if c.web_page]
    for page in pages:
        body.append(text_block(f"[{escape_markdown(page)}]({page})"))
    if in_referral or from_answer:
        body.append(_in_referral_line(from_answer))
        return adaptive_card(body)
    body.append(text_block(wording.CONCERN_ALSO_INCIDENT, spacing="Medium"))
    return adaptive_card(body, [submit_action(wording.START_REFERRAL, "start_referral")])


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
