"""The case card in the review channel: read-only for everyone, with decision buttons for leads."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cards import wording
from cards.common import Card, text_block
from cards.text import escape_markdown, plain_text
from safeguarding.decisions import (
    Agreement,
    CaseNote,
    DecisionKind,
    PanelAnswer,
    SummariesStatus,
)
from safeguarding.timeline import MilestoneKey

REFRESH_VERB = "refresh"
# The card field a business-unit lead ticks to record the local authority's decision for it.
ON_BEHALF_FIELD = "on_behalf_of_la"
_LOCAL_AUTHORITY_DECISIONS = frozenset({DecisionKind.SIN_MADE, DecisionKind.NOT_NOTIFIABLE})
# The record on the card is a reminder, kept under Teams' 28 KB card limit: the latest entries,
# each shortened; the case keeps them whole.
_NOTES_SHOWN = 8
_NOTE_CLIP = 300
# One toggle per agency, each carrying the agency itself as its value: a multi-select would
# join values with commas, which an agency's name may hold. usecases/decisions.py gathers them.
AGENCY_FIELD_PREFIX = "agency."
# Agencies added by name, one a line.
AGENCIES_NAMED_FIELD = "agencies_named"
# An agency's name on a card, shortened; the case keeps it whole.
_AGENCY_CLIP = 80


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


def _agency(agency: str) -> str:
    return escape_markdown(wording.agency_name(agency), max_length=_AGENCY_CLIP)


def agency_list(agencies: Iterable[str]) -> str:
    """Agencies as a card lists them, escaped: 'Police, GP, Oak Housing Trust'."""
    return wording.AGENCIES_SEPARATOR.join(_agency(agency) for agency in agencies)


def summaries_progress(status: SummariesStatus) -> str | None:
    """The agencies' summaries for the case card, escaped; None when no agency was named."""
    if not status.agencies:
        return None
    asked = len(status.agencies)
    outstanding = status.outstanding
    count = (
        wording.SUMMARIES_IN_COUNT.format(returned=len(status.returned), asked=asked)
        if outstanding
        else wording.SUMMARIES_ALL_IN.format(asked=asked)
    )
    # In the order they came in: the chase reads as a chronology.
    returned = [
        (entry, entry.returned_on) for entry in status.returned if entry.returned_on is not None
    ]
    returned.sort(key=lambda pair: pair[1])
    if returned:
        items = [
            (
                wording.SUMMARIES_AGENCY_IN_BY
                if entry.by_whole_case
                else wording.SUMMARIES_AGENCY_IN
            ).format(agency=_agency(entry.agency), on=wording.day_month(on))
            for entry, on in returned
        ]
        count = wording.SUMMARIES_RETURNED_LIST.format(
            count=count, agencies=wording.AGENCIES_SEPARATOR.join(items)
        )
    parts = [count]
    if outstanding:
        parts.append(wording.SUMMARIES_OUTSTANDING.format(agencies=agency_list(outstanding)))
    return wording.SUMMARIES_PARTS_SEPARATOR.join(parts)


def agency_toggles(agencies: Sequence[str]) -> list[dict[str, Any]]:
    """A box for each agency, whose value when ticked is the agency as the case records it."""
    return [
        {
            "type": "Input.Toggle",
            "id": f"{AGENCY_FIELD_PREFIX}{index}",
            "title": plain_text(wording.agency_name(agency), max_length=_AGENCY_CLIP),
            "valueOn": agency,
            "valueOff": "",
            "value": "",
            "wrap": True,
        }
        for index, agency in enumerate(agencies)
    ]


def _summaries_inputs(
    kind: DecisionKind, to_ask: Sequence[str], outstanding: Sequence[str]
) -> list[dict[str, Any]]:
    if kind is DecisionKind.SUMMARIES_RECEIVED:
        received = [_date("on", wording.DECISION_SUMMARIES_RECEIVED_ON)]
        if outstanding:
            received.append(text_block(wording.DECISION_AGENCIES_RECEIVED, weight="Bolder"))
        return [*received, *agency_toggles(outstanding)]
    asked: list[dict[str, Any]] = [_date("on", wording.DECISION_SUMMARIES_ASKED_ON)]
    if to_ask:
        asked.append(text_block(wording.DECISION_AGENCIES_TO_ASK, weight="Bolder"))
        asked.extend(agency_toggles(to_ask))
    named = _text(AGENCIES_NAMED_FIELD, wording.DECISION_AGENCIES_NAMED, required=False)
    named["isMultiline"] = True
    return [*asked, named, text_block(wording.DECISION_SUMMARIES_NONE_NAMED, isSubtle=True)]


def _inputs(
    kind: DecisionKind,
    *,
    answers: Sequence[PanelAnswer] = (),
    to_ask: Sequence[str] = (),
    outstanding: Sequence[str] = (),
) -> list[dict[str, Any]]:
    on = _date("on", wording.DECISION_ON)
    match kind:
        case DecisionKind.SUMMARIES_REQUESTED | DecisionKind.SUMMARIES_RECEIVED:
            return _summaries_inputs(kind, to_ask, outstanding)
        case DecisionKind.NOT_NOTIFIABLE | DecisionKind.LEARNING_REVIEW_OFFERED:
            return [_text("reason", wording.DECISION_REASON, multiline=True)]
        case DecisionKind.CLOSE_CASE:
            return [_text("reason", wording.DECISION_CLOSE_REASON, multiline=True)]
        case DecisionKind.LEAD_AUTHORITY_TOLD:
            return [_date("on", wording.DECISION_LEAD_TOLD_ON)]
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
                _choice("reason_kind", wording.DECISION_SLIP_KIND, wording.SLIP_KINDS),
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
    to_ask: Sequence[str] = (),
    outstanding: Sequence[str] = (),
) -> dict[str, Any]:
    inputs = _inputs(kind, answers=answers, to_ask=to_ask, outstanding=outstanding)
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


def refresh_clause(data: Mapping[str, Any], user_ids: Sequence[str] | None) -> dict[str, Any]:
    """A card's `refresh`: the listed users' copies refresh into their own view.

    `user_ids` None leaves `userIds` out: Teams then refreshes the card for every member of a
    chat or channel of up to 60 people (and, in bigger ones, for whoever picks "Refresh card").
    """
    clause: dict[str, Any] = {
        "action": {
            "type": "Action.Execute",
            "title": wording.DECISION_REFRESH,
            "verb": REFRESH_VERB,
            "data": dict(data),
        },
    }
    if user_ids is not None:
        clause["userIds"] = list(user_ids)[:60]
    return clause


def leads_button(title: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The read-only card's button for leads: the refresh's own Action.Execute, pressed by hand.

    Teams refreshes a card by itself only for the users it lists in channels of over 60
    members, and some clients (the Agents Playground) never do: a lead can always press this.
    """
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": REFRESH_VERB,
        "data": dict(data),
    }


def decision_card(
    base: Card,
    *,
    reference: str,
    agreement: Agreement,
    available: Sequence[DecisionKind],
    for_lead: bool,
    refresh_user_ids: Sequence[str] | None,
    notice: str | None = None,
    notes: Sequence[CaseNote] = (),
    on_behalf: bool = False,
    panel_answers: Sequence[PanelAnswer] = (),
    agencies_to_ask: Sequence[str] = (),
    summaries_outstanding: Sequence[str] = (),
    pressed_by_non_lead: bool = False,
) -> Card:
    """The case card with the agreement and the record so far; for leads, the decision buttons.

    Everyone else's copy is read-only, with a button a lead presses for their own copy;
    `pressed_by_non_lead` says, to someone who pressed it, that only leads record decisions.
    """
    # `on_behalf`: a business-unit lead's card, offering the box to record the local authority's
    # decisions for it; `panel_answers`: the Panel's replies that fit the case;
    # `agencies_to_ask`: the referral's agencies not asked for a summary yet;
    # `summaries_outstanding`: the agencies asked whose summaries are not in.
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
    card["refresh"] = refresh_clause({"reference": reference}, refresh_user_ids)
    if for_lead:
        card["actions"] = [
            _decision_action(
                kind,
                reference,
                on_behalf=on_behalf,
                answers=panel_answers,
                to_ask=agencies_to_ask,
                outstanding=summaries_outstanding,
            )
            for kind in available
        ]
        if not available:
            body.append(text_block(wording.DECISION_NONE_AVAILABLE, isSubtle=True))
    else:
        card["actions"] = [leads_button(wording.DECISION_GET_BUTTONS, {"reference": reference})]
        if pressed_by_non_lead:
            body.append(text_block(wording.DECISION_LEADS_ONLY_PRESSED, weight="Bolder"))
        else:
            body.append(text_block(wording.DECISION_LEADS_ONLY, isSubtle=True))
    return card
