"""The case card in the review channel: read-only for everyone, with decision buttons for leads."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from cards import wording
from cards.common import Card, text_block
from cards.text import escape_markdown
from safeguarding.decisions import Agreement, CaseNote, DecisionKind, PanelAnswer
from safeguarding.timeline import MilestoneKey

REFRESH_VERB = "refresh"
# The card field a business-unit lead ticks to record the local authority's decision for it.
ON_BEHALF_FIELD = "on_behalf_of_la"
_LOCAL_AUTHORITY_DECISIONS = frozenset({DecisionKind.SIN_MADE, DecisionKind.NOT_NOTIFIABLE})
# The record on the card is a reminder, kept under Teams' 28 KB card limit: the latest entries,
# each shortened; the case keeps them whole.
_NOTES_SHOWN = 8
_NOTE_CLIP = 300


def _date(id_: str, label: str) -> dict[str, Any]:
    return {
        "type": "Input.Date",
        "id": id_,
        "label": label,
        "isRequired": True,
        "errorMessage": wording.DECISION_INPUT_REQUIRED,
    }


def _text(
    id_: str, label: str, *, multiline: bool = False, required: bool = True
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": id_, "label": label, "maxLength": 1000}
    if multiline:
        element["isMultiline"] = True
    if required:
        element.update(isRequired=True, errorMessage=wording.DECISION_INPUT_REQUIRED)
    return element


def _choice(
    id_: str, label: str, choices: Mapping[Any, str], *, multi: bool = False
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": [{"title": title, "value": value} for value, title in choices.items()],
    }
    if multi:
        element.update(isMultiSelect=True, style="expanded")
    else:
        element.update(isRequired=True, errorMessage=wording.DECISION_INPUT_REQUIRED)
    return element


def on_behalf_toggle() -> dict[str, Any]:
    """The box a business-unit lead ticks to record the local authority's decision for it."""
    return {
        "type": "Input.Toggle",
        "id": ON_BEHALF_FIELD,
        "title": wording.DECISION_ON_BEHALF,
        "valueOn": "true",
        "valueOff": "false",
        "value": "false",
    }


def _inputs(kind: DecisionKind, *, answers: Sequence[PanelAnswer] = ()) -> list[dict[str, Any]]:
    on = _date("on", wording.DECISION_ON)
    match kind:
        case DecisionKind.NOT_NOTIFIABLE | DecisionKind.LEARNING_REVIEW_OFFERED:
            return [_text("reason", wording.DECISION_REASON, multiline=True)]
        case DecisionKind.CLOSE_CASE:
            return [_text("reason", wording.DECISION_CLOSE_REASON, multiline=True)]
        case DecisionKind.SAFETY_ACTION:
            return [
                on,
                _choice("needed", wording.DECISION_SAFETY_NEEDED, wording.SAFETY_CHOICES),
                _text("actions", wording.DECISION_SAFETY_ACTIONS, multiline=True, required=False),
            ]
        case DecisionKind.DISAGREE:
            return [_text("reason", wording.DECISION_DISAGREE_REASON, multiline=True)]
        case DecisionKind.AGREE:
            return []
        case DecisionKind.PROPOSE_RECOMMENDATION:
            return [
                _choice("outcome", wording.DECISION_OUTCOME, wording.RECOMMENDATION_OUTCOMES),
                _choice(
                    "criteria",
                    wording.DECISION_CRITERIA,
                    dict(wording.CRITERION_CHOICES),
                    multi=True,
                ),
                _choice(
                    "have_regard",
                    wording.DECISION_HAVE_REGARD,
                    wording.HAVE_REGARD_CHOICES,
                    multi=True,
                ),
                _text("reasons", wording.DECISION_REASONS, multiline=True),
            ]
        case DecisionKind.PANEL_REPLY:
            # Without the case's own list, every reply the Panel can give.
            replies = {answer: wording.PANEL_REPLIES[answer] for answer in answers} or dict(
                wording.PANEL_REPLIES
            )
            return [
                on,
                _choice("reply", wording.DECISION_PANEL_REPLY, replies),
                _text(
                    "requested", wording.DECISION_PANEL_REQUESTED, multiline=True, required=False
                ),
            ]
        case DecisionKind.LEARNING_REVIEW_COMPLETED:
            return [
                on,
                _choice("outcome", wording.DECISION_LEARNING_OUTCOME, wording.LEARNING_OUTCOMES),
                _text("summary", wording.DECISION_LEARNING_SUMMARY, multiline=True),
            ]
        case DecisionKind.LEARNING_SHARED:
            return [
                on,
                _choice(
                    "how",
                    wording.DECISION_LEARNING_SHARED,
                    wording.LEARNING_SHARING_CHOICES,
                ),
                _text("link", wording.DECISION_LINK_IF_PUBLISHED, required=False),
            ]
        case DecisionKind.REVIEWER_APPOINTED:
            return [on, _text("reviewer", wording.DECISION_REVIEWER)]
        case DecisionKind.PUBLICATION_DECISION:
            return [
                _choice("publish", wording.DECISION_PUBLISH, wording.PUBLISH_CHOICES),
                _text("reason", wording.DECISION_PUBLISH_REASON, multiline=True, required=False),
            ]
        case DecisionKind.PUBLICATION_PLANNED:
            return [_date("planned_for", wording.DECISION_PLANNED_FOR)]
        case DecisionKind.PUBLISHED:
            return [on, _text("link", wording.DECISION_LINK)]
        case DecisionKind.SLIP:
            milestones = {key.value: wording.milestone_name(key) for key in MilestoneKey}
            return [
                _choice("milestone", wording.DECISION_MILESTONE, milestones),
                _date("to", wording.DECISION_NEW_DATE),
                _text("reason", wording.DECISION_REASON, multiline=True),
            ]
        case _:
            return [on]


def _decision_action(
    kind: DecisionKind,
    reference: str,
    *,
    on_behalf: bool = False,
    answers: Sequence[PanelAnswer] = (),
) -> dict[str, Any]:
    inputs = _inputs(kind, answers=answers)
    if on_behalf and kind in _LOCAL_AUTHORITY_DECISIONS:
        inputs.append(on_behalf_toggle())
    execute = {
        "type": "Action.Execute",
        "title": wording.DECISION_RECORD,
        "verb": kind.value,
        "data": {"reference": reference},
    }
    return {
        "type": "Action.ShowCard",
        "title": wording.decision_label(kind),
        "card": {
            "type": "AdaptiveCard",
            "body": inputs or [text_block(wording.DECISION_CONFIRM)],
            "actions": [execute],
        },
    }


def _agreement_block(agreement: Agreement) -> list[dict[str, Any]]:
    if agreement.proposal is None:
        return []
    facts = [
        {
            "title": wording.AGREEMENT_PROPOSAL,
            "value": wording.RECOMMENDATION_OUTCOMES[agreement.proposal.outcome],
        },
    ]
    for view in agreement.views:
        if view.agreed:
            state = wording.AGREEMENT_AGREED.format(
                name=escape_markdown(view.actor.name if view.actor else "")
            )
        elif view.reason is not None:
            state = wording.AGREEMENT_DISAGREED.format(reason=escape_markdown(view.reason))
        else:
            state = wording.AGREEMENT_AWAITED
        facts.append({"title": wording.partner_name(view.partner), "value": state})
    heading = wording.AGREEMENT_FINAL if agreement.final else wording.AGREEMENT_PENDING
    return [
        text_block(heading, weight="Bolder", spacing="Medium"),
        {"type": "FactSet", "facts": facts},
    ]


def _notes_block(notes: Sequence[CaseNote]) -> list[dict[str, Any]]:
    if not notes:
        return []
    facts = []
    for note in notes[-_NOTES_SHOWN:]:
        title, value = wording.note_fact(note)
        facts.append({"title": title, "value": escape_markdown(value, max_length=_NOTE_CLIP)})
    return [
        text_block(wording.NOTES_HEADING, weight="Bolder", spacing="Medium"),
        {"type": "FactSet", "facts": facts},
    ]


def decision_card(
    base: Card,
    *,
    reference: str,
    agreement: Agreement,
    available: Sequence[DecisionKind],
    for_lead: bool,
    refresh_user_ids: Sequence[str],
    notice: str | None = None,
    notes: Sequence[CaseNote] = (),
    on_behalf: bool = False,
    panel_answers: Sequence[PanelAnswer] = (),
) -> Card:
    """The case card with the agreement and the record so far; for leads, the decision buttons."""
    # `on_behalf`: a business-unit lead's card, offering the box to record the local authority's
    # decisions for it; `panel_answers`: the Panel's replies that fit the case.
    card = copy.deepcopy(base)
    body: list[dict[str, Any]] = card.setdefault("body", [])
    if notice:
        body.insert(
            0,
            {
                "type": "Container",
                "style": "warning",
                "items": [text_block(escape_markdown(notice), weight="Bolder")],
            },
        )
    body.extend(_agreement_block(agreement))
    body.extend(_notes_block(notes))
    card["refresh"] = {
        "action": {
            "type": "Action.Execute",
            "title": wording.DECISION_REFRESH,
            "verb": REFRESH_VERB,
            "data": {"reference": reference},
        },
        "userIds": list(refresh_user_ids)[:60],
    }
    if for_lead:
        card["actions"] = [
            _decision_action(kind, reference, on_behalf=on_behalf, answers=panel_answers)
            for kind in available
        ]
        if not available:
            body.append(text_block(wording.DECISION_NONE_AVAILABLE, isSubtle=True))
    else:
        card.pop("actions", None)
        body.append(text_block(wording.DECISION_LEADS_ONLY, isSubtle=True))
    return card
