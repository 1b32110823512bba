"""The case card in the review channel: read-only for everyone, with decision buttons for leads."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from cards import wording
from cards.common import Card, text_block
from cards.text import escape_markdown
from safeguarding.decisions import Agreement, DecisionKind
from safeguarding.timeline import MilestoneKey

REFRESH_VERB = "refresh"


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
    id_: str, label: str, choices: dict[str, str], *, multi: bool = False
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


def _inputs(kind: DecisionKind) -> list[dict[str, Any]]:
    on = _date("on", wording.DECISION_ON)
    match kind:
        case DecisionKind.NOT_NOTIFIABLE | DecisionKind.LEARNING_REVIEW_OFFERED:
            return [_text("reason", wording.DECISION_REASON, multiline=True)]
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
            return [on, _choice("reply", wording.DECISION_PANEL_REPLY, wording.PANEL_REPLIES)]
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


def _decision_action(kind: DecisionKind, reference: str) -> dict[str, Any]:
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
            "body": _inputs(kind) or [text_block(wording.DECISION_CONFIRM)],
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


def decision_card(
    base: Card,
    *,
    reference: str,
    agreement: Agreement,
    available: Sequence[DecisionKind],
    for_lead: bool,
    refresh_user_ids: Sequence[str],
    notice: str | None = None,
) -> Card:
    """The channel's case card with the agreement so far, and for leads the decision buttons."""
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
        card["actions"] = [_decision_action(kind, reference) for kind in available]
        if not available:
            body.append(text_block(wording.DECISION_NONE_AVAILABLE, isSubtle=True))
    else:
        card.pop("actions", None)
        body.append(text_block(wording.DECISION_LEADS_ONLY, isSubtle=True))
    return card
