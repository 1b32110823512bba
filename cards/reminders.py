"""Reminder and weekly digest cards for the review subgroup's channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cards import wording
from cards.common import Card, adaptive_card, text_block
from cards.decisions import (
    agency_list,
    agency_toggles,
    leads_button,
    on_behalf_toggle,
    refresh_clause,
)
from cards.text import escape_markdown
from safeguarding.calendar import WEEKDAY_NAMES, day_month_year
from safeguarding.decisions import DecisionKind
from safeguarding.partnerships import Lead
from safeguarding.timeline import MilestoneKey

# Milestones a lead can mark done from a reminder: the decision that completes each one.
DONE_DECISIONS: dict[MilestoneKey, DecisionKind] = {
    MilestoneKey.SIN: DecisionKind.SIN_MADE,
    MilestoneKey.NOTIFY_PARTNERS: DecisionKind.PARTNERS_NOTIFIED,
    MilestoneKey.RR_IAS_REQUESTS: DecisionKind.SUMMARIES_REQUESTED,
    MilestoneKey.RR_IAS_RETURNS: DecisionKind.SUMMARIES_RETURNED,
    MilestoneKey.RAPID_REVIEW: DecisionKind.RAPID_REVIEW_SENT,
    MilestoneKey.REPORT_COPY_TO_PANEL: DecisionKind.REPORT_SENT_TO_PANEL,
}


# The key in a reminder's Action.Execute data that carries the reminder's identity.
REMINDER_FIELD = "reminder"


class ReminderIdentity(BaseModel):
    """Which reminder a card is: sent in its refresh and buttons, so it can be drawn again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    milestone: MilestoneKey
    kind: str = Field(max_length=20)
    lead_days: int | None = None
    due: date
    original_due: date | None = None
    responsible: str = Field(max_length=300)
    late: bool = False
    filed_after_due: bool = False
    # The leads an overdue escalation @mentions (Entra object id, else UPN).
    mention: tuple[str, ...] = Field(default=(), max_length=60)


def _title(kind: str, lead_days: int | None, milestone: MilestoneKey, reference: str) -> str:
    name = wording.milestone_name(milestone)
    if kind == "overdue":
        return wording.REMINDER_OVERDUE.format(milestone=name, reference=reference)
    if kind == "due_today" or not lead_days:
        return wording.REMINDER_DUE_TODAY.format(milestone=name, reference=reference)
    return wording.REMINDER_DUE_IN.format(days=lead_days, milestone=name, reference=reference)


def _mentions(leads: Sequence[Lead]) -> tuple[list[str], list[dict[str, Any]]]:
    texts: list[str] = []
    entities: list[dict[str, Any]] = []
    for lead in leads:
        who = lead.aad_object_id or lead.upn
        if not who:
            continue
        # Names come from the partnerships file, but are escaped like any other text.
        name = escape_markdown(lead.name)
        texts.append(f"<at>{name}</at>")
        entities.append(
            {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": who, "name": name}}
        )
    return texts, entities


def reminder_card(
    *,
    reference: str,
    kind: str,
    milestone: MilestoneKey,
    lead_days: int | None,
    due: date,
    original_due: date | None,
    working_days_left: int | None,
    responsible: str,
    late: bool,
    filed_after_due: bool = False,
    mention: Sequence[Lead] = (),
    outstanding: Sequence[str] = (),
    for_lead: bool,
    refresh_user_ids: Sequence[str] | None = None,
    notice: str | None = None,
    status: str | None = None,
    pressed_by_non_lead: bool = False,
) -> Card:
    """A milestone reminder: what is due when, who is responsible; Done and Slip for leads.

    Posted read-only (`for_lead` False) with a `refresh` carrying the reminder's identity, so a
    lead's copy refreshes into the one with the buttons (`for_lead`); the read-only copy has a
    button doing the same for a lead whose client does not refresh. `status` says what became
    of it (recorded, moved, done): the reminder is then read-only and not refreshed again.
    `pressed_by_non_lead` says, to someone not a lead who pressed that button, why not.
    """
    # `outstanding`: for the summaries-in milestone, the agencies whose summaries are not in.
    identity = ReminderIdentity.model_validate(
        {
            "milestone": milestone,
            "kind": kind,
            "lead_days": lead_days,
            "due": due,
            "original_due": original_due,
            "responsible": responsible,
            "late": late,
            "filed_after_due": filed_after_due,
            "mention": [who for lead in mention if (who := lead.aad_object_id or lead.upn)],
        }
    ).model_dump(mode="json")
    for_lead = for_lead and status is None
    facts = [
        {"title": wording.REMINDER_CASE, "value": reference},
        {"title": wording.REMINDER_MILESTONE, "value": wording.milestone_name(milestone)},
        {"title": wording.REMINDER_DUE, "value": day_month_year(due)},
    ]
    if original_due is not None and original_due != due:
        facts.append(
            {"title": wording.REMINDER_ORIGINAL_DUE, "value": day_month_year(original_due)}
        )
    if working_days_left is not None:
        facts.append(
            {"title": wording.REMINDER_TIME_LEFT, "value": wording.time_left(working_days_left)}
        )
    facts.append({"title": wording.REMINDER_RESPONSIBLE, "value": escape_markdown(responsible)})
    chase = milestone is MilestoneKey.RR_IAS_RETURNS and bool(outstanding)
    if chase:
        facts.append({"title": wording.REMINDER_OUTSTANDING, "value": agency_list(outstanding)})
    body: list[dict[str, Any]] = []
    if notice:
        body.append(
            {
                "type": "Container",
                "style": "warning",
                "items": [text_block(escape_markdown(notice), weight="Bolder")],
            }
        )
    body += [
        text_block(
            _title(kind, lead_days, milestone, reference),
            weight="Bolder",
            size="Medium",
            color="Attention" if kind == "overdue" else "Default",
        ),
    ]
    # Two different reasons a reminder comes after its day: say only the true one(s).
    if filed_after_due:
        body.append(text_block(wording.REMINDER_FILED_AFTER_DUE, isSubtle=True))
    if late:
        body.append(text_block(wording.REMINDER_LATE, isSubtle=True))
    if chase:
        body.append(text_block(wording.REMINDER_CHASE))
    body.append({"type": "FactSet", "facts": facts})
    texts, entities = _mentions(mention if kind == "overdue" else ())
    if texts:
        body.append(text_block(wording.REMINDER_ESCALATION.format(leads=", ".join(texts))))
    if status is not None:
        # Ready to show: the caller escaped anything in it from outside the bot.
        body.append(text_block(status, weight="Bolder"))
    elif pressed_by_non_lead and not for_lead:
        body.append(text_block(wording.REMINDER_LEADS_ONLY_PRESSED, weight="Bolder"))
    elif not for_lead:
        body.append(text_block(wording.REMINDER_LEADS_ONLY, isSubtle=True))
    refresh_data = {"reference": reference, REMINDER_FIELD: identity}
    if for_lead:
        actions = _actions(reference, milestone, chase, outstanding, identity)
    elif status is None:
        actions = [leads_button(wording.REMINDER_GET_BUTTONS, refresh_data)]
    else:
        actions = []
    card = adaptive_card(body, actions)
    if status is None:
        card["refresh"] = refresh_clause(refresh_data, refresh_user_ids)
    if entities:
        card["msteams"] = {"entities": entities}
    return card


def _actions(
    reference: str,
    milestone: MilestoneKey,
    chase: bool,
    outstanding: Sequence[str],
    identity: dict[str, Any],
) -> list[dict[str, Any]]:
    ident = {REMINDER_FIELD: identity}
    actions: list[dict[str, Any]] = []
    if chase:
        # Recorded as each agency's summary comes in; Done below still says they are all in.
        received = DecisionKind.SUMMARIES_RECEIVED
        inputs = [
            {
                "type": "Input.Date",
                "id": "on",
                "label": wording.DECISION_SUMMARIES_RECEIVED_ON,
                "isRequired": True,
                "errorMessage": wording.DECISION_INPUT_REQUIRED,
            },
            text_block(wording.DECISION_AGENCIES_RECEIVED, weight="Bolder"),
            *agency_toggles(outstanding),
        ]
        actions.append(
            _show(wording.decision_label(received), received.value, reference, inputs, **ident)
        )
    done = DONE_DECISIONS.get(milestone)
    if done is not None:
        actions.append(
            _show(wording.REMINDER_DONE, done.value, reference, _done_inputs(done), **ident)
        )
    actions.append(
        _show(
            wording.REMINDER_SLIP,
            DecisionKind.SLIP.value,
            reference,
            [
                {
                    "type": "Input.Date",
                    "id": "to",
                    "label": wording.DECISION_NEW_DATE,
                    "isRequired": True,
                    "errorMessage": wording.DECISION_INPUT_REQUIRED,
                },
                {
                    "type": "Input.ChoiceSet",
                    "id": "reason_kind",
                    "label": wording.DECISION_SLIP_KIND,
                    "choices": [
                        {"title": title, "value": value}
                        for value, title in wording.SLIP_KINDS.items()
                    ],
                    "isRequired": True,
                    "errorMessage": wording.DECISION_INPUT_REQUIRED,
                },
                {
                    "type": "Input.Text",
                    "id": "reason",
                    "label": wording.DECISION_REASON,
                    "isMultiline": True,
                    "isRequired": True,
                    "errorMessage": wording.DECISION_INPUT_REQUIRED,
                },
            ],
            milestone=milestone.value,
            **ident,
        )
    )
    return actions


def _done_inputs(done: DecisionKind) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = [
        {
            "type": "Input.Date",
            "id": "on",
            "label": wording.REMINDER_DONE_ON,
            "isRequired": True,
            "errorMessage": wording.DECISION_INPUT_REQUIRED,
        },
    ]
    if done is DecisionKind.SIN_MADE:
        # Everyone in the channel sees one card: the box is for the business unit recording the
        # local authority's SIN for it, and is ignored for anyone else.
        inputs.append(on_behalf_toggle())
    return inputs


def _show(
    title: str, verb: str, reference: str, inputs: list[dict[str, Any]], **data: Any
) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": inputs,
            "actions": [
                {
                    "type": "Action.Execute",
                    "title": wording.DECISION_RECORD,
                    "verb": verb,
                    "data": {"reference": reference, **data},
                }
            ],
        },
    }


def digest_card(
    *,
    partnership_name: str,
    week_of: date,
    rows: Sequence[tuple[str, str, date | None, int | None, bool]],
    undelivered: Sequence[tuple[str, str, str]],
) -> Card:
    """The weekly digest: every open case's next milestone, overdue first; failed reminders.

    `week_of` is the Monday of the week it covers: "Week of Monday 30 November 2026".
    """
    body: list[dict[str, Any]] = [
        text_block(
            wording.DIGEST_TITLE.format(partnership=escape_markdown(partnership_name)),
            weight="Bolder",
            size="Medium",
        ),
        text_block(
            wording.DIGEST_WEEK.format(
                day=f"{WEEKDAY_NAMES[week_of.weekday()]} {day_month_year(week_of)}"
            ),
            isSubtle=True,
        ),
    ]
    if not rows:
        body.append(text_block(wording.DIGEST_NOTHING_OPEN))
    facts = []
    for reference, milestone, due, days_left, overdue in rows:
        when = day_month_year(due) if due else wording.DIGEST_NOT_YET_KNOWN
        if days_left is not None:
            when += " · " + wording.digest_time_left(days_left, overdue=overdue)
        facts.append({"title": reference, "value": f"{escape_markdown(milestone)}: {when}"})
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    if undelivered:
        items = [text_block(wording.DIGEST_UNDELIVERED, weight="Bolder")]
        items.extend(
            text_block(f"{reference} · {escape_markdown(what)}: {escape_markdown(why)}")
            for reference, what, why in undelivered
        )
        body.append({"type": "Container", "style": "warning", "items": items})
    return adaptive_card(body)
