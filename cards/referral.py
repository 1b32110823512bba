"""Referral intake cards: pure functions from the referral models to Adaptive Card 1.5 JSON.

Two rules hold everywhere here. Text someone typed (and, to be safe, configured text) only ever
reaches a TextBlock or FactSet through `escape_markdown`, so it shows literally and can never
become a link, a mention or formatting. Input values are the exception: an input box shows its
value as plain text, and escaping it would add backslashes to the answer each time it is sent
back. Every Action.Submit carries `"action"` and `"step"` so the dialog can route it, and every
input id is the section model's field name, so a parser message lands under its input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from cards import wording
from cards.common import Card, adaptive_card, submit_action, text_block
from cards.decisions import summaries_progress
from cards.text import escape_markdown
from safeguarding.calendar import WEEKDAY_NAMES, day_month_year
from safeguarding.cases import REFERENCE, Case, CaseStatus, age_label
from safeguarding.clocks import london_time
from safeguarding.decisions import agency_summaries, lead_authority_told
from safeguarding.frontdoor import FrontDoorContact
from safeguarding.leading import ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND, LeadRule
from safeguarding.partnerships import Partnership, Partnerships
from safeguarding.referral import (
    MAX_CHILDREN,
    SECTION_STEPS,
    Area,
    Child,
    Draft,
    Outcome,
    Referral,
    Screening,
    Step,
)
from safeguarding.timeline import Milestone, MilestoneKey, MilestoneStatus, Timeline

Element = dict[str, Any]

ACTION = "referral"
RESUME_ACTION = "referral_resume"
CANCEL_ACTION = "referral_cancel"

# Input limits, matching the section models (the server checks again).
SHORT_TEXT = 120
ETHNICITY_TEXT = 80
LOCATION_TEXT = 200
OTHER_AGENCY_TEXT = 300
LONG_TEXT = 1500
# Teams refuses a message over about 28 KB; keep a margin for the activity around the card.
CARD_BUDGET = 27 * 1024
# The review card's limits for (long, short) answers, tried in turn until the card fits. The
# first fits any ordinary referral; the rest only matter for twelve children with long, heavily
# escaped answers. The full text is always one Edit away.
REVIEW_LIMITS = ((1500, 2000), (700, 120), (400, 60), (200, 30), (100, 20))

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YES_NO = {"true": wording.YES, "false": wording.NO}
_YES_NO_UNKNOWN = {"yes": wording.YES, "no": wording.NO, "not_known": wording.NOT_KNOWN}


@dataclass(frozen=True)
class GoTo:
    """Another card to change a clashing answer on: the step, the child, the button's title.

    `likely_wrong` names, for the banner, the date judged most likely wrong when it is the one
    on the other card, in place of `clash_input`, this card's input that carries the message.
    """

    step: Step
    title: str
    child_index: int | None = None
    clash_input: str | None = None
    likely_wrong: str | None = None


# --- small pieces ---


def _esc(text: str, *, clip: int = 2000) -> str:
    return escape_markdown(text, max_length=clip)


def _ref(reference: str) -> str:
    """A case reference shown as is when it has the expected form, escaped otherwise."""
    return reference if REFERENCE.match(reference) else _esc(reference)


def long_date(day: date) -> str:
    """A date as people write it, whatever the server's locale: 'Monday 4 January 2027'."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day_month_year(day)}"


def _submit(title: str, step: str, **data: Any) -> Element:
    return submit_action(title, ACTION, step=step, **data)


def _cancel_action() -> Element:
    # No inputs go with it, so an unfinished form (required fields empty) can still be left.
    action = _submit(wording.CANCEL_REFERRAL, "cancel")
    action["associatedInputs"] = "None"
    return action


def _heading(text: str, **options: Any) -> Element:
    return text_block(text, size="Large", weight="Bolder", style="heading", **options)


def _subheading(text: str, **options: Any) -> Element:
    return text_block(text, weight="Bolder", **options)


def _facts(pairs: Iterable[tuple[str, str]]) -> Element:
    """A FactSet; titles are our wording, values must already be escaped."""
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def _container(items: list[Element], **options: Any) -> Element:
    return {"type": "Container", "items": items, **options}


def _action_set(actions: list[Element]) -> Element:
    return {"type": "ActionSet", "actions": actions}


def _date_text(day: date | None) -> str:
    return long_date(day) if day is not None else wording.DATE_NOT_KNOWN


def _labels(keys: Iterable[str], names: Mapping[str, str]) -> str:
    chosen = [names.get(key, key) for key in keys]
    return _esc(", ".join(chosen)) if chosen else wording.NONE_CHOSEN


def _as_text(raw: Any) -> str:
    """A submitted value as the string an input shows; anything odd shows as empty."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float):
        return str(raw)
    if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        return ",".join(raw)
    return ""


def _model_values(section: BaseModel | None) -> dict[str, str]:
    """A saved section as the strings its card's inputs hold."""
    if section is None:
        return {}
    values: dict[str, str] = {}
    for name, raw in section:
        if raw is None:
            continue
        if isinstance(raw, date):
            values[name] = raw.isoformat()
        elif isinstance(raw, tuple):
            values[name] = ",".join(str(item) for item in raw)
        else:
            values[name] = _as_text(raw)
    return values


# --- inputs ---


class _Form:
    """Builds one section card's inputs, each followed by its message when it has one."""

    def __init__(self, step: Step, prefill: Mapping[str, str], errors: Mapping[str, str]) -> None:
        self.step = step
        self.prefill = prefill
        self.errors = errors
        self.ids: set[str] = set()
        self.order: list[str] = []
        self.body: list[Element] = []

    def add(self, element: Element) -> None:
        """Add an input (with its server message below it) or any other element."""
        self.body.append(element)
        input_id = element.get("id")
        if isinstance(input_id, str) and element["type"].startswith("Input."):
            self.ids.add(input_id)
            self.order.append(input_id)
            message = self.errors.get(input_id)
            if message:
                self.body.append(
                    text_block(
                        _esc(wording.ERROR_PREFIX.format(message=message)),
                        color="Attention",
                        spacing="None",
                        id=f"{input_id}_error",
                    )
                )

    def note(self, text: str) -> None:
        self.body.append(text_block(text, isSubtle=True, spacing="Small"))

    def _input(
        self,
        kind: str,
        input_id: str,
        label: str,
        *,
        required: bool,
        placeholder: str | None = None,
    ) -> Element:
        element: Element = {"type": kind, "id": input_id, "label": label}
        if placeholder:
            element["placeholder"] = placeholder
        if required:
            # Said in the label and checked by the server, not by the client: Teams refuses to
            # send a card with a required input empty, and Back must keep what is on the card.
            key = f"{self.step.value}.{input_id}"
            element["label"] = wording.REQUIRED_LABEL.format(label=label)
            element["errorMessage"] = wording.REQUIRED_MESSAGES.get(key, wording.ERR_REQUIRED)
        return element

    def text(
        self,
        input_id: str,
        label: str,
        *,
        max_length: int,
        placeholder: str | None = None,
        required: bool = False,
        multiline: bool = False,
    ) -> None:
        element = self._input(
            "Input.Text", input_id, label, required=required, placeholder=placeholder
        )
        element["maxLength"] = max_length
        if multiline:
            element["isMultiline"] = True
        value = self.prefill.get(input_id, "")
        if value:
            # A value longer than the box allows cannot have come from the card; keep the size.
            element["value"] = value[:max_length]
        self.add(element)

    def day(self, input_id: str, label: str, *, required: bool = False) -> None:
        element = self._input("Input.Date", input_id, label, required=required)
        value = self.prefill.get(input_id, "")
        if _ISO_DATE.match(value):
            element["value"] = value
        self.add(element)

    def choice(
        self,
        input_id: str,
        label: str,
        choices: Mapping[str, str],
        *,
        required: bool = False,
        multi: bool = False,
        compact: bool = False,
        placeholder: str | None = None,
    ) -> None:
        element = self._input(
            "Input.ChoiceSet", input_id, label, required=required, placeholder=placeholder
        )
        element["choices"] = [{"title": title, "value": key} for key, title in choices.items()]
        element["style"] = "compact" if compact else "expanded"
        element["wrap"] = True
        if multi:
            element["isMultiSelect"] = True
        raw = self.prefill.get(input_id, "")
        chosen = [part.strip() for part in raw.split(",") if part.strip() in choices]
        if chosen:
            element["value"] = ",".join(chosen) if multi else chosen[0]
        self.add(element)

    def toggle(self, input_id: str, title: str) -> None:
        element: Element = {
            "type": "Input.Toggle",
            "id": input_id,
            "title": title,
            "valueOn": "true",
            "valueOff": "false",
            "wrap": True,
        }
        on = self.prefill.get(input_id, "").strip().casefold() in ("true", "yes")
        element["value"] = "true" if on else "false"
        self.add(element)


# --- the sections ---


def _area_inputs(form: _Form, partnerships: Partnerships) -> None:
    # Both places are choices, never free text: the rule of who leads must know which it is.
    choices = {area: area for area, _ in partnerships.all_areas()} | wording.PLACES_NOT_LISTED
    form.choice(
        "area",
        wording.AREA_LABEL,
        choices,
        required=True,
        compact=True,
        placeholder=wording.AREA_PLACEHOLDER,
    )
    form.text("other_area", wording.OTHER_AREA_LABEL, max_length=SHORT_TEXT)
    form.choice(
        "harm_area",
        wording.HARM_AREA_LABEL,
        choices,
        required=True,
        compact=True,
        placeholder=wording.AREA_PLACEHOLDER,
    )
    form.note(wording.AREA_NOTE)


def _referrer_inputs(form: _Form) -> None:
    for input_id, label in (
        ("name", wording.REFERRER_NAME_LABEL),
        ("role", wording.REFERRER_ROLE_LABEL),
        ("agency", wording.REFERRER_AGENCY_LABEL),
        ("contact", wording.REFERRER_CONTACT_LABEL),
    ):
        form.text(
            input_id,
            label,
            max_length=SHORT_TEXT,
            required=True,
        )
    form.choice(
        "lead_agreed",
        wording.LEAD_AGREED_LABEL,
        _YES_NO,
        required=True,
    )
    form.note(wording.LEAD_AGREED_NOTE)


def _child_inputs(form: _Form, *, name_required: bool) -> None:
    form.text(
        "name",
        wording.CHILD_NAME_LABEL,
        max_length=SHORT_TEXT,
        required=name_required,
    )
    form.note(wording.CHILD_NAME_NOTE)
    form.toggle("unborn", wording.CHILD_UNBORN_TITLE)
    form.day("date_of_birth", wording.CHILD_DOB_LABEL)
    form.day("expected_date", wording.CHILD_EXPECTED_LABEL)
    form.choice("sex", wording.CHILD_SEX_LABEL, wording.SEX_CHOICES, compact=True)
    form.text("ethnicity", wording.CHILD_ETHNICITY_LABEL, max_length=ETHNICITY_TEXT)
    form.choice("disability", wording.CHILD_DISABILITY_LABEL, _YES_NO_UNKNOWN)
    form.choice("statuses", wording.CHILD_STATUSES_LABEL, wording.CHILD_STATUS_CHOICES, multi=True)


def _incident_inputs(form: _Form, *, ask_adult: bool) -> None:
    form.day(
        "date",
        wording.INCIDENT_DATE_LABEL,
        required=True,
    )
    if ask_adult:
        form.toggle("confirm_adult", wording.CONFIRM_ADULT_TITLE)
    form.day("la_aware", wording.LA_AWARE_LABEL)
    form.choice(
        "kind",
        wording.INCIDENT_KIND_LABEL,
        wording.INCIDENT_KIND_CHOICES,
        required=True,
    )
    form.text("location", wording.INCIDENT_LOCATION_LABEL, max_length=LOCATION_TEXT)
    form.text(
        "description",
        wording.INCIDENT_DESCRIPTION_LABEL,
        max_length=LONG_TEXT,
        required=True,
        multiline=True,
        placeholder=wording.INCIDENT_DESCRIPTION_PLACEHOLDER,
    )


def _agencies_inputs(form: _Form) -> None:
    form.choice("involved", wording.AGENCIES_INVOLVED_LABEL, wording.AGENCY_CHOICES, multi=True)
    form.text("other", wording.AGENCIES_OTHER_LABEL, max_length=OTHER_AGENCY_TEXT)
    form.choice("still_involved", wording.STILL_INVOLVED_LABEL, _YES_NO_UNKNOWN)


def _criteria_inputs(form: _Form) -> None:
    form.choice(
        "abuse_or_neglect",
        wording.ABUSE_OR_NEGLECT_LABEL,
        wording.ABUSE_OR_NEGLECT_CHOICES,
        required=True,
    )
    form.choice(
        "about_a_professional",
        wording.ABOUT_A_PROFESSIONAL_LABEL,
        _YES_NO,
        required=True,
    )
    form.choice("criteria", wording.CRITERIA_LABEL, wording.REFERRER_CRITERION_CHOICES, multi=True)
    form.text(
        "reasons",
        wording.REASONS_LABEL,
        max_length=LONG_TEXT,
        required=True,
        multiline=True,
    )


def _actions_inputs(form: _Form) -> None:
    form.text(
        "safety_actions",
        wording.SAFETY_ACTIONS_LABEL,
        max_length=LONG_TEXT,
        required=True,
        multiline=True,
    )
    form.choice("parallel", wording.PARALLEL_LABEL, wording.PARALLEL_CHOICES, multi=True)
    form.choice("media_interest", wording.MEDIA_INTEREST_LABEL, _YES_NO_UNKNOWN)


def _saved_section(step: Step, draft: Draft, child_index: int | None) -> BaseModel | None:
    if step is Step.CHILD:
        if child_index is not None and 0 <= child_index < len(draft.children):
            return draft.children[child_index]
        return None
    saved: dict[Step, BaseModel | None] = {
        Step.AREA: draft.area,
        Step.REFERRER: draft.referrer,
        Step.INCIDENT: draft.incident,
        Step.AGENCIES: draft.agencies,
        Step.CRITERIA: draft.criteria,
        Step.ACTIONS: draft.actions,
    }
    return saved.get(step)


def _progress(step: Step) -> Element:
    steps = [*SECTION_STEPS, Step.REVIEW]
    number = steps.index(step) + 1 if step in steps else 0
    title = wording.STEP_TITLES.get(step.value, step.value)
    return text_block(
        wording.PROGRESS.format(number=number, total=len(steps), title=title), isSubtle=True
    )


def _child_label(child: Child, on: date | None) -> str:
    if on is None and not child.unborn:
        return child.initials  # no day to count an age from yet
    # For an unborn child age_label ignores the day.
    return age_label(child, on if on is not None else date.min)


def section_card(
    step: Step,
    *,
    partnerships: Partnerships,
    draft: Draft,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    child_index: int | None = None,
    today: date | None = None,
    go_to: GoTo | None = None,
) -> Card:
    """One section of the referral as a form, prefilled, with any messages under their inputs.

    Every section has Back (to the step before, or to the review when editing from it), which
    sends what is on the card so nothing typed is lost; `go_to` offers the card where a
    clashing answer can be changed.
    """
    # `values` are the raw answers just sent, shown again after an error; without them the
    # inputs show the draft's saved section. `today` only helps show the ages of children
    # already added before the incident date is known.
    errors = errors or {}
    if values is not None:
        prefill = {str(key): _as_text(raw) for key, raw in values.items()}
    else:
        prefill = _model_values(_saved_section(step, draft, child_index))
    editing = (
        step is Step.CHILD and child_index is not None and 0 <= child_index < len(draft.children)
    )
    form = _Form(step, prefill, errors)
    actions: list[Element] = []
    intro: list[Element] = []
    if step is Step.AREA:
        _area_inputs(form, partnerships)
    elif step is Step.REFERRER:
        if draft.referrer is None and draft.referrer_from is not None:
            prefilled = wording.REFERRER_PREFILLED.format(reference=_ref(draft.referrer_from))
            intro.append(text_block(prefilled, isSubtle=True))
        _referrer_inputs(form)
    elif step is Step.CHILD:
        added = draft.children
        on = draft.incident.date if draft.incident is not None else today
        if added:
            labels = "; ".join(_child_label(child, on) for child in added)
            intro.append(text_block(_esc(wording.CHILDREN_ADDED.format(children=labels))))
        if editing:
            assert child_index is not None  # editing says so; for the type checker
            intro.append(
                text_block(
                    wording.CHILD_EDITING.format(number=child_index + 1, total=len(added)),
                    weight="Bolder",
                )
            )
        elif added:
            intro.append(text_block(wording.CHILD_BLANK_TO_CONTINUE, isSubtle=True))
        # With children already added, a blank form means "no more": it must be sendable.
        _child_inputs(form, name_required=editing or not added)
        extra = {"child_index": child_index} if editing else {}
        # Adding another child is for the way forward, not for changing one from the review.
        room = len(added) + (0 if editing else 1) < MAX_CHILDREN and not draft.editing
        if room:
            actions.append(
                _submit(wording.CHILD_ADD_ANOTHER, step.value, next="add_child", **extra)
            )
        actions.append(_submit(wording.CONTINUE, step.value, next="continue", **extra))
    elif step is Step.INCIDENT:
        ask_adult = "confirm_adult" in errors or (values is not None and "confirm_adult" in values)
        _incident_inputs(form, ask_adult=ask_adult)
    elif step is Step.AGENCIES:
        _agencies_inputs(form)
    elif step is Step.CRITERIA:
        _criteria_inputs(form)
    elif step is Step.ACTIONS:
        _actions_inputs(form)
    if not actions:
        actions.append(_submit(wording.CONTINUE, step.value))
    if go_to is not None:
        target: dict[str, Any] = {"go_to": go_to.step.value}
        if go_to.child_index is not None:
            target["go_to_child"] = go_to.child_index
        extra_data = {"child_index": child_index} if editing else {}
        actions.append(_submit(go_to.title, step.value, **target, **extra_data))
    back_extra = {"child_index": child_index} if editing else {}
    back_title = wording.BACK_TO_REVIEW if draft.editing else wording.BACK
    actions.append(_submit(back_title, step.value, back=True, **back_extra))
    actions.append(_cancel_action())

    body: list[Element] = [
        _progress(step),
        _heading(wording.STEP_TITLES.get(step.value, step.value)),
    ]
    if errors:
        named = [
            _banner_name(step, key, go_to)
            for key in form.order
            if errors.get(key) and f"{step.value}.{key}" in wording.FIELD_NAMES
        ]
        banner = (
            wording.ERRORS_CHECK_FIELDS.format(fields=wording.FIELDS_SEPARATOR.join(named))
            if named
            else wording.ERRORS_SUMMARY
        )
        summary = [text_block(banner, color="Attention", weight="Bolder", id="errors")]
        summary += [
            text_block(_esc(wording.ERROR_PREFIX.format(message=message)), color="Attention")
            for key, message in errors.items()
            if key not in form.ids and message
        ]
        body.append(_container(summary, style="attention"))
    body += intro
    body += form.body
    return adaptive_card(body, actions)


def _banner_name(step: Step, key: str, go_to: GoTo | None) -> str:
    """How the banner names an input with a message: the date most likely wrong, if elsewhere."""
    if go_to is not None and go_to.clash_input == key and go_to.likely_wrong:
        return go_to.likely_wrong
    return wording.FIELD_NAMES[f"{step.value}.{key}"]


# --- before the form: the safety question ---


def safety_card() -> Card:
    """The first question: danger now, a current worry, or a serious incident that happened."""
    body = [
        _heading(wording.SAFETY_TITLE),
        text_block(wording.SAFETY_QUESTION),
    ]
    actions = [
        _submit(wording.SAFETY_DANGER, "safety", answer="danger"),
        _submit(wording.SAFETY_WORRY, "safety", answer="worry"),
        _submit(wording.SAFETY_INCIDENT, "safety", answer="incident"),
    ]
    return adaptive_card(body, actions)


def _contact_items(contact: FrontDoorContact, number: int) -> list[Element]:
    hours = (
        wording.CONTACT_OFFICE_HOURS
        if contact.kind == "office_hours"
        else wording.CONTACT_OUT_OF_HOURS
    )
    items = [
        _subheading(_esc(", ".join(contact.areas)), spacing="Medium"),
        text_block(
            _esc(wording.contact_line(contact.name, contact.number, hours)),
            spacing="None",
        ),
    ]
    if contact.also is not None:
        # Hours not confirmed: the out-of-hours line too, and the caller chooses.
        also = contact.also
        items.append(
            text_block(
                _esc(wording.contact_line(also.name, also.number, wording.CONTACT_OUT_OF_HOURS)),
                spacing="None",
            )
        )
    if contact.web_page:
        items.append(
            text_block(
                _esc(wording.CONTACT_WEB_PAGE.format(url=contact.web_page)),
                isSubtle=True,
                spacing="None",
            )
        )
        # A button, not a markdown link; its title is fixed wording, since titles are plain text.
        items.append(
            _action_set(
                [
                    {
                        "type": "Action.OpenUrl",
                        "title": wording.CONTACT_WEB_PAGE_ACTION.format(number=number),
                        "url": contact.web_page,
                    }
                ]
            )
        )
    return items


def safety_redirect_card(
    answer: Literal["danger", "worry"], contacts: Sequence[FrontDoorContact]
) -> Card:
    """Danger: 999 first, then the front doors; a worry: the front doors, and why not here."""
    doors: list[Element] = []
    # Numbered in order, so that each web page button reads differently.
    for number, contact in enumerate(contacts, start=1):
        doors += _contact_items(contact, number)
    if not doors:
        doors.append(text_block(wording.FRONT_DOOR_UNLISTED))
    if any(contact.also is not None for contact in contacts):
        doors.append(text_block(wording.FRONT_DOOR_HOURS_NOT_CONFIRMED, isSubtle=True))
    body: list[Element] = []
    if answer == "danger":
        body.append(
            _container(
                [
                    text_block(
                        wording.REDIRECT_DANGER_TITLE,
                        size="ExtraLarge",
                        weight="Bolder",
                        color="Attention",
                    ),
                    text_block(wording.REDIRECT_DANGER_TEXT),
                ],
                style="attention",
                bleed=True,
            )
        )
        body.append(text_block(wording.REDIRECT_DANGER_THEN, spacing="Medium"))
        body += doors
    else:
        body.append(_heading(wording.REDIRECT_WORRY_TITLE))
        body.append(text_block(wording.REDIRECT_WORRY_REASON))
        body.append(_subheading(wording.REDIRECT_FRONT_DOORS_NOW, spacing="Medium"))
        body += doors
        body.append(text_block(wording.REDIRECT_WORRY_999, spacing="Medium"))
    actions = [
        _submit(wording.REDIRECT_CONTINUE, "safety_redirect", choice="continue"),
        _submit(wording.REDIRECT_END, "safety_redirect", choice="end"),
    ]
    return adaptive_card(body, actions)


# --- the review ---


def _edit_action(step: Step, title: str, **extra: Any) -> Element:
    return _submit(title, Step.REVIEW.value, edit=step.value, **extra)


def _review_section(
    title: str, facts: list[tuple[str, str]], step: Step, edit: str | None = None, **extra: Any
) -> Element:
    # Each Edit says what it edits: seven buttons all called "Edit" cannot be told apart.
    edit_title = edit if edit is not None else wording.STEP_EDITS.get(step.value, wording.EDIT)
    return _container(
        [
            _subheading(title),
            _facts(facts),
            _action_set([_edit_action(step, edit_title, **extra)]),
        ],
        separator=True,
        spacing="Medium",
    )


@dataclass
class _Clipper:
    """Escapes answers for the review card, shortening them to a limit; notes when it had to."""

    long: int
    short: int
    clipped: bool = False

    def __call__(self, text: str | None, *, long: bool = False) -> str:
        if not text:
            return wording.NOT_GIVEN
        limit = self.long if long else self.short
        if len(text) > limit:
            self.clipped = True
        return _esc(text, clip=limit)


def _child_facts(child: Child, answer: _Clipper, incident: date) -> list[tuple[str, str]]:
    facts = [
        (wording.FACT_NAME, answer(child.name)),
        # Exactly what the channel's case card will show: initials and age at the incident.
        (wording.FACT_CHANNEL_INITIALS, _esc(age_label(child, incident))),
    ]
    if child.unborn:
        facts.append((wording.FACT_EXPECTED, _date_text(child.expected_date)))
    else:
        facts.append((wording.FACT_BORN, _date_text(child.date_of_birth)))
    facts += [
        (wording.FACT_SEX, wording.SEX_CHOICES.get(child.sex, child.sex)),
        (wording.FACT_ETHNICITY, answer(child.ethnicity)),
        (wording.FACT_DISABILITY, _YES_NO_UNKNOWN.get(child.disability, child.disability)),
        (wording.FACT_STATUSES, _labels(child.statuses, wording.CHILD_STATUS_CHOICES)),
    ]
    return facts


def _route_label(route: Outcome) -> str:
    return wording.OUTCOME_LABELS.get(route.value, route.value)


def _screening_items(screening: Screening) -> list[Element]:
    # Every route that applies, each with its sentence: a case can belong to more than one.
    items = [_subheading(wording.SCREENING_HEADING)]
    for route in screening.routes:
        items.append(text_block(_esc(_route_label(route)), weight="Bolder", spacing="Small"))
        explanation = wording.SCREENING_EXPLANATIONS.get(route.value)
        if explanation:
            items.append(text_block(explanation, spacing="None"))
    if Outcome.RAPID_REVIEW not in screening.routes:
        items.append(text_block(wording.SCREENING_STILL_CONSIDERED))
    return items


def _review_sections(
    referral: Referral, partnership: Partnership, answer: _Clipper, told: Partnership | None
) -> list[Element]:
    area, referrer, incident = referral.area, referral.referrer, referral.incident
    agencies, criteria, actions = referral.agencies, referral.criteria, referral.actions
    area_facts = lead_facts(area, partnership, told, kind=incident.kind)
    if not area_facts:
        area_facts = [
            (wording.FACT_AREA, _esc(area.area)),
            (wording.FACT_PARTNERSHIP, _esc(partnership.name)),
        ]
        if area.other_area:
            area_facts.append((wording.FACT_OTHER_AREA, answer(area.other_area)))
    sections = [
        _review_section(wording.STEP_TITLES["area"], area_facts, Step.AREA),
        _review_section(
            wording.STEP_TITLES["referrer"],
            [
                (wording.FACT_NAME, answer(referrer.name)),
                (wording.FACT_ROLE, answer(referrer.role)),
                (wording.FACT_AGENCY, answer(referrer.agency)),
                (wording.FACT_CONTACT, answer(referrer.contact)),
                (wording.FACT_LEAD_AGREED, wording.YES if referrer.lead_agreed else wording.NO),
            ],
            Step.REFERRER,
        ),
    ]
    several = len(referral.children) > 1
    for index, child in enumerate(referral.children):
        edit = (
            wording.EDIT_CHILD_NUMBERED.format(number=index + 1) if several else wording.EDIT_CHILD
        )
        sections.append(
            _review_section(
                wording.CHILD_HEADING.format(number=index + 1),
                _child_facts(child, answer, incident.date),
                Step.CHILD,
                edit,
                child_index=index,
            )
        )
    kind = wording.INCIDENT_KIND_CHOICES.get(incident.kind, incident.kind)
    abuse = wording.ABUSE_OR_NEGLECT_CHOICES.get(criteria.abuse_or_neglect, "")
    professional = wording.YES if criteria.about_a_professional else wording.NO
    still = _YES_NO_UNKNOWN.get(agencies.still_involved, agencies.still_involved)
    media = _YES_NO_UNKNOWN.get(actions.media_interest, actions.media_interest)
    sections += [
        _review_section(
            wording.STEP_TITLES["incident"],
            [
                (wording.FACT_INCIDENT_DATE, long_date(incident.date)),
                (wording.FACT_LA_AWARE, _date_text(incident.la_aware)),
                (wording.FACT_INCIDENT_KIND, kind),
                (wording.FACT_LOCATION, answer(incident.location)),
                (wording.FACT_DESCRIPTION, answer(incident.description, long=True)),
            ],
            Step.INCIDENT,
        ),
        _review_section(
            wording.STEP_TITLES["agencies"],
            [
                (wording.FACT_AGENCIES, _labels(agencies.involved, wording.AGENCY_CHOICES)),
                (wording.FACT_OTHER_AGENCY, answer(agencies.other)),
                (wording.FACT_STILL_INVOLVED, still),
            ],
            Step.AGENCIES,
        ),
        _review_section(
            wording.STEP_TITLES["criteria"],
            [
                (wording.FACT_ABUSE_OR_NEGLECT, abuse),
                (wording.FACT_ABOUT_A_PROFESSIONAL, professional),
                (wording.FACT_CRITERIA, _labels(criteria.criteria, wording.CRITERION_CHOICES)),
                (wording.FACT_REASONS, answer(criteria.reasons, long=True)),
            ],
            Step.CRITERIA,
        ),
        _review_section(
            wording.STEP_TITLES["actions"],
            [
                (wording.FACT_SAFETY_ACTIONS, answer(actions.safety_actions, long=True)),
                (wording.FACT_PARALLEL, _labels(actions.parallel, wording.PARALLEL_CHOICES)),
                (wording.FACT_MEDIA_INTEREST, media),
            ],
            Step.ACTIONS,
        ),
    ]
    return sections


def _size(card: Card) -> int:
    return len(json.dumps(card).encode())


def _same_as_saved(kept: Mapping[str, str], saved: BaseModel | None) -> bool:
    """Whether a card's kept answers are what is saved (a card left by Back unchanged)."""
    if saved is None:
        return False
    values = _model_values(saved)

    def norm(text: str) -> tuple[str, ...]:
        # Choice sets come back in any order; the rest as typed, less outer spaces.
        return (
            tuple(sorted(part.strip() for part in text.split(",")))
            if "," in text
            else (text.strip(),)
        )

    return all(norm(text) == norm(values.get(key, "")) for key, text in kept.items())


def _unsaved_sections(draft: Draft) -> list[str]:
    # Draft.pending keys: a step's value, or "child:<n>" / "child:new".
    names: list[str] = []
    for key, kept in draft.pending.items():
        step_name, _, index = key.partition(":")
        if step_name in {s.value for s in Step}:
            child = int(index) if index.isdigit() else None
            if _same_as_saved(kept, _saved_section(Step(step_name), draft, child)):
                continue  # left as it was saved: nothing is waiting to be saved
        step = step_name
        if step == Step.CHILD.value:
            if index.isdigit():
                names.append(wording.UNSAVED_CHILD.format(number=int(index) + 1))
            continue  # a new child never added is not part of the referral
        names.append(wording.UNSAVED_SECTIONS.get(step, step))
    return names


def review_card(
    *,
    draft: Draft,
    referral: Referral,
    screening: Screening,
    partnership: Partnership,
    duplicates: Sequence[str],
    today: date,
    told: Partnership | None = None,
) -> Card:
    """Every answer by section, each with Edit; the screening; a duplicate warning; Submit."""
    head: list[Element] = [
        _progress(Step.REVIEW),
        _heading(wording.REVIEW_TITLE),
        text_block(wording.REVIEW_INTRO),
    ]
    if duplicates:
        references = ", ".join(_ref(reference) for reference in duplicates)
        unit = partnership.business_unit
        contacts = [_esc(c) for c in (unit.email, unit.phone, unit.web_page) if c]
        warning = [
            text_block(wording.DUPLICATE_WARNING.format(references=references)),
            text_block(wording.DUPLICATE_ADVICE),
        ]
        if contacts:
            warning.append(
                text_block(wording.DUPLICATE_CONTACT.format(contacts=" · ".join(contacts)))
            )
        head.append(_container(warning, style="warning"))
    if referral.area.lead_rule is LeadRule.LEAD_NOT_SERVED:
        head.append(_container([text_block(wording.LEAD_MUST_BE_TOLD)], style="warning"))
    unsaved = _unsaved_sections(draft)
    if unsaved:
        # Changes left by Back are kept, not filed: say so, so nothing is filed unseen.
        note = wording.REVIEW_UNSAVED.format(sections=wording.FIELDS_SEPARATOR.join(unsaved))
        head.append(_container([text_block(note)], style="warning"))
    tail = [_container(_screening_items(screening), style="emphasis", spacing="Large")]
    submit = _submit(wording.SUBMIT_REFERRAL, Step.REVIEW.value, submit=True)
    back = _submit(wording.BACK, Step.REVIEW.value, back=True)
    back["associatedInputs"] = "None"
    card: Card = {}
    # Full answers when they fit; otherwise shorter and shorter, so Teams never refuses the card.
    for long, short in REVIEW_LIMITS:
        answer = _Clipper(long, short)
        body = head + _review_sections(referral, partnership, answer, told)
        if answer.clipped:
            body.append(text_block(wording.REVIEW_CLIPPED_NOTE, isSubtle=True))
        card = adaptive_card(body + tail, [submit, back, _cancel_action()])
        if _size(card) <= CARD_BUDGET:
            break
    return card


# --- after submitting ---


def acknowledgement_card(
    *, case: Case, partnership: Partnership, timeline: Timeline, told: Partnership | None = None
) -> Card:
    """To the referrer: the reference, what happens next and the statutory clock's first step.

    A case the partnership only takes part in (`Case.collaborator`) has no clock here: Children
    Act 2004 s16C(1) has the local authority where the child was harmed notify and lead.
    """
    subgroup = wording.ACK_SUBGROUP_COLLABORATOR if case.collaborator else wording.ACK_SUBGROUP
    unit = partnership.business_unit
    contacts = [_esc(c) for c in (unit.email, unit.phone, unit.web_page) if c]
    has_channel = bool(partnership.review_channel.channel_id)
    body: list[Element] = [
        _heading(wording.ACK_TITLE.format(reference=_ref(case.reference))),
        _subheading(wording.ACK_NEXT_HEADING, spacing="Medium"),
    ]
    if has_channel:
        body.append(
            text_block(
                subgroup.format(
                    partnership=_esc(partnership.name),
                    subgroup=_esc(partnership.review_channel.name),
                )
            )
        )
    else:
        # Filed, but no one at the partnership sees it in Teams: never promise a review here.
        body.append(_no_channel_notice(case, partnership, contacts))
    area = case.referral.area
    reason = lead_reason(area, partnership, kind=case.referral.incident.kind)
    if reason is not None:
        body.append(text_block(reason))
    if told is not None:
        body.append(text_block(wording.ACK_TOLD.format(partnership=_esc(told.name))))
    if area.lead_rule is LeadRule.LEAD_NOT_SERVED:
        body.append(_container([text_block(wording.LEAD_MUST_BE_TOLD)], style="warning"))
    sin_due = _milestone_due(timeline, MilestoneKey.SIN)
    if case.collaborator:
        body.append(
            text_block(wording.ACK_LEAD_ELSEWHERE.format(partnership=_esc(partnership.name)))
        )
    elif case.dates.la_aware is not None and sin_due is not None:
        # A referral can reach the partnership after the SIN's date: say so from the first card.
        overdue = timeline.get(MilestoneKey.SIN).status is MilestoneStatus.OVERDUE
        sentence = wording.ACK_SIN_OVERDUE if overdue else wording.ACK_SIN_DUE
        body.append(text_block(sentence.format(due=long_date(sin_due))))
    else:
        body.append(text_block(wording.ACK_LA_NOT_AWARE))
    if contacts and has_channel:
        body.append(text_block(wording.ACK_BUSINESS_UNIT.format(contacts=" · ".join(contacts))))
    body.append(
        _container(
            [text_block(wording.ACK_FRONT_DOOR_REMINDER)], style="attention", spacing="Medium"
        )
    )
    body.append(text_block(wording.ACK_STATUS_ANY_TIME, spacing="Medium"))
    # The next steps Teams offers as suggested actions under the card, on the card too: some
    # clients show no suggested actions under a card. Each does what its typed word does.
    actions = [
        submit_action(wording.SUGGEST_CHECK_STATUS, "status"),
        submit_action(wording.SUGGEST_START_ANOTHER, "start_referral"),
    ]
    return adaptive_card(body, actions)


def _no_channel_notice(case: Case, partnership: Partnership, contacts: list[str]) -> Element:
    """The referral is filed, but must reach a partnership with no review channel another way."""
    name = _esc(partnership.name)
    reference = _ref(case.reference)
    then = (
        wording.ACK_NO_CHANNEL_SEND_TO.format(contacts=" · ".join(contacts))
        if contacts
        else wording.ACK_NO_CHANNEL_NO_CONTACT.format(partnership=name, reference=reference)
    )
    return _container(
        [
            text_block(wording.ACK_NO_CHANNEL.format(partnership=name, reference=reference)),
            text_block(then),
        ],
        style="warning",
    )


def _milestone_due(timeline: Timeline, key: MilestoneKey) -> date | None:
    try:
        return timeline.get(key).due
    except KeyError:
        return None


def _due_fact(timeline: Timeline, key: MilestoneKey, due: str, done: str) -> tuple[str, str]:
    """A milestone's line on the case card: due (when, or why not known), or done and when."""
    try:
        milestone: Milestone = timeline.get(key)
    except KeyError:
        return due, wording.DUE_NOT_SET
    if milestone.completed_on is not None:
        return done, long_date(milestone.completed_on)
    return due, _due_text(milestone)


def _due_text(milestone: Milestone) -> str:
    if milestone.due is None:
        return wording.DUE_NOT_SET
    text = long_date(milestone.due)
    if milestone.basis_projected:
        text = wording.DUE_PROJECTED.format(due=text)
    if milestone.status is MilestoneStatus.OVERDUE and milestone.working_days_left is not None:
        days = wording.working_days(-milestone.working_days_left)
        text = wording.DUE_OVERDUE.format(due=text, days=days)
    if milestone.alternative_due is not None:
        text = wording.DUE_ALTERNATIVE.format(
            due=text, alternative=long_date(milestone.alternative_due)
        )
    return text


def _london_day(moment: datetime) -> date:
    # A stored moment may have lost its zone; the project stores UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return london_time(aware).date()


def _summaries_fact(case: Case) -> list[tuple[str, str]]:
    # Only once agencies are named: a case asked as a whole (as before) has nothing to list.
    progress = summaries_progress(agency_summaries(case))
    return [(wording.FACT_AGENCY_SUMMARIES, progress)] if progress is not None else []


def _clock_facts(case: Case, timeline: Timeline) -> list[tuple[str, str]]:
    """The SIN and rapid-review dates, or, for a case another authority leads, who counts them."""
    if not case.collaborator:
        return [
            _due_fact(timeline, MilestoneKey.SIN, wording.FACT_SIN_DUE, wording.FACT_SIN_MADE),
            _due_fact(
                timeline,
                MilestoneKey.RAPID_REVIEW,
                wording.FACT_RAPID_REVIEW_DUE,
                wording.FACT_RAPID_REVIEW_SENT,
            ),
        ]
    # Children Act 2004 s16C(1): the local authority where the child was harmed notifies and
    # leads; the partnership that has the case tells it and takes part.
    told = lead_authority_told(case)
    return [
        (wording.FACT_LEAD_CLOCK, wording.LEAD_CLOCK_ELSEWHERE),
        (wording.FACT_LEAD_TOLD, long_date(told) if told else wording.LEAD_TOLD_NOT_YET),
    ]


def channel_case_card(
    *,
    case: Case,
    partnership: Partnership,
    timeline: Timeline,
    today: date,
    told: Partnership | None = None,
) -> Card:
    """For the review subgroup's channel: the case without names or the account of events."""
    referral = case.referral
    incident = referral.incident
    # Initials and age only: a channel is seen by many more people than the referral needs.
    children = "; ".join(age_label(child, incident.date) for child in referral.children)
    facts = lead_facts(referral.area, partnership, told, kind=incident.kind)
    if not facts:
        facts = [(wording.FACT_AREA, _esc(referral.area.area))]
        if referral.area.other_area:
            facts.append((wording.FACT_OTHER_AREA, _esc(referral.area.other_area)))
    routes = wording.ROUTES_SEPARATOR.join(_route_label(r) for r in case.screening.routes)
    # Where the case is, first: the dates below say what is due or done.
    status = (wording.FACT_CASE_STATUS, wording.CASE_STATUS_FACTS[case.status.value])
    facts = [status, *facts]
    facts += [
        (
            wording.FACT_INCIDENT_KIND,
            wording.INCIDENT_KIND_CHOICES.get(incident.kind, incident.kind),
        ),
        (wording.FACT_INCIDENT_DATE, long_date(incident.date)),
        (wording.FACT_LA_AWARE, _date_text(case.dates.la_aware)),
        (wording.FACT_REFERRING_AGENCY, _esc(referral.referrer.agency)),
        (wording.FACT_CHILDREN, _esc(children)),
        (wording.FACT_SCREENING, _esc(routes)),
        *_clock_facts(case, timeline),
        *_summaries_fact(case),
        (wording.FACT_PARALLEL, _labels(referral.actions.parallel, wording.PARALLEL_CHOICES)),
        (
            wording.FACT_MEDIA_INTEREST,
            _YES_NO_UNKNOWN.get(referral.actions.media_interest, wording.NOT_KNOWN),
        ),
        (wording.FACT_RECEIVED, long_date(_london_day(case.submitted_at))),
    ]
    body: list[Element] = [
        _heading(_case_title(case)),
        text_block(_esc(partnership.name), isSubtle=True, spacing="None"),
    ]
    if case.possible_duplicates:
        # References only: the match itself (initials, date of birth) is not shown here.
        references = ", ".join(_ref(r) for r in case.possible_duplicates)
        note = wording.CASE_MAYBE_DUPLICATE.format(references=references)
        body.append(_container([text_block(note)], style="warning"))
    body.append(_facts(facts))
    if case.collaborator and lead_authority_told(case) is None:
        body.append(_container([text_block(wording.LEAD_MUST_BE_TOLD)], style="warning"))
    body.append(_privacy_line(case))
    return adaptive_card(body)


def _privacy_line(case: Case) -> Element:
    """How the card shows the children, or that their details were erased."""
    if case.erasure is not None:
        day = long_date(_london_day(case.erasure.at))
        return text_block(wording.CASE_ERASED.format(day=day), isSubtle=True, size="Small")
    return text_block(wording.CHANNEL_CASE_PRIVACY, isSubtle=True, size="Small")


def told_card(*, case: Case, lead: Partnership, told: Partnership) -> Card:
    """For the child's home partnership when another leads: who leads, why, initials and age."""
    referral = case.referral
    incident = referral.incident
    area = referral.area
    unit = lead.business_unit
    contacts = " · ".join(_esc(c) for c in (unit.email, unit.phone, unit.web_page) if c)
    # Initials and age only, as on the case card.
    children = "; ".join(age_label(child, incident.date) for child in referral.children)
    facts = [
        (wording.FACT_LEADS, _esc(lead.name)),
        (wording.FACT_LEAD_WHY, lead_reason(area, lead, kind=incident.kind) or wording.NOT_GIVEN),
        (wording.FACT_HOME_AREA, _place(area.area, area.other_area)),
        (wording.FACT_HARM_AREA, _place(area.harm_area or area.area)),
        (
            wording.FACT_INCIDENT_KIND,
            wording.INCIDENT_KIND_CHOICES.get(incident.kind, incident.kind),
        ),
        (wording.FACT_INCIDENT_DATE, long_date(incident.date)),
        (wording.FACT_CHILDREN, _esc(children)),
        (wording.FACT_RECEIVED, long_date(_london_day(case.submitted_at))),
    ]
    if contacts:
        facts.append((wording.FACT_LEAD_CONTACT, contacts))
    body: list[Element] = [
        _heading(wording.TOLD_CARD_TITLE.format(reference=_ref(case.reference))),
        text_block(_esc(told.name), isSubtle=True, spacing="None"),
        text_block(
            wording.TOLD_CARD_INTRO.format(lead=_esc(lead.name), home=_esc(area.area)),
        ),
        _facts(facts),
        _privacy_line(case),
    ]
    return adaptive_card(body)


# --- which partnership leads ---


def _place(place: str, name: str | None = None) -> str:
    """A place from the area card as a fact shows it: an area, or a place not listed (named)."""
    label = wording.PLACES_NOT_LISTED.get(place)
    return _esc(place) if label is None else _place_named(label, name)


def _place_named(label: str, name: str | None) -> str:
    return wording.PLACE_NAMED.format(place=label, name=_esc(name)) if name else label


def _home_phrase(area: Area) -> str:
    """Where the child lives, as it reads inside a sentence."""
    if area.area == ELSEWHERE_IN_ENGLAND:
        return _esc(area.other_area) if area.other_area else wording.HOME_NOT_LISTED
    if area.area == OUTSIDE_ENGLAND:
        return _place_named(wording.HOME_OUTSIDE_ENGLAND, area.other_area)
    return _esc(area.area)


def lead_reason(area: Area, partnership: Partnership, *, kind: str) -> str | None:
    """Which partnership leads and why, in one sentence; None for a referral made before.

    `kind` is the incident's: a child who died is not said only to have been harmed.
    """
    if area.lead_rule is None or area.harm_area is None:
        return None
    return wording.LEAD_REASONS[area.lead_rule].format(
        lead=_esc(partnership.name),
        partnership=_esc(partnership.name),
        harm=_esc(area.harm_area),
        home=_home_phrase(area),
        what=wording.LEAD_WHAT_HAPPENED.get(kind, wording.LEAD_WHAT_HAPPENED["serious_harm"]),
    )


def lead_facts(
    area: Area, partnership: Partnership, told: Partnership | None, *, kind: str
) -> list[tuple[str, str]]:
    """Both places, who leads, why and who takes part; empty for a referral made before."""
    reason = lead_reason(area, partnership, kind=kind)
    if reason is None or area.harm_area is None:
        return []
    not_here = area.lead_rule is LeadRule.LEAD_NOT_SERVED
    facts = [
        (wording.FACT_HOME_AREA, _place(area.area, area.other_area)),
        (wording.FACT_HARM_AREA, _place(area.harm_area)),
        (wording.FACT_LEADS, wording.LEAD_NOT_HERE if not_here else _esc(partnership.name)),
        (wording.FACT_LEAD_WHY, reason),
    ]
    if not_here:
        facts.append((wording.FACT_TAKES_PART, _esc(partnership.name)))
    elif told is not None:
        posted = told.review_channel.channel_id
        line = wording.TOLD_IN_CHANNEL if posted else wording.TOLD_NO_CHANNEL
        facts.append((wording.FACT_TAKES_PART, line.format(partnership=_esc(told.name))))
    elif area.area in (ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND):
        home = wording.HOME_NOT_SERVED.format(home=_home_phrase(area))
        facts.append((wording.FACT_TAKES_PART, home))
    return facts


# --- resuming and cancelling ---


def resume_card(draft: Draft, *, started: datetime | None) -> Card:
    """A referral is in progress: continue it or start again."""
    step = wording.STEP_TITLES.get(draft.step.value, draft.step.value)
    body = [text_block(wording.RESUME_IN_PROGRESS.format(step=step), weight="Bolder")]
    if started is not None:
        aware = started if started.tzinfo is not None else started.replace(tzinfo=UTC)
        local = london_time(aware)
        when = f"{long_date(local.date())}, {local:%H:%M}"
        body.append(text_block(wording.RESUME_STARTED.format(when=when)))
    body.append(text_block(wording.RESUME_QUESTION))
    actions = [
        submit_action(wording.CONTINUE, RESUME_ACTION, choice="continue"),
        submit_action(wording.RESUME_RESTART, RESUME_ACTION, choice="restart"),
    ]
    return adaptive_card(body, actions)


def cancel_confirm_card() -> Card:
    """Are you sure? Cancelling deletes what has been entered."""
    body = [text_block(wording.CANCEL_CONFIRM, weight="Bolder")]
    actions = [
        submit_action(wording.CANCEL_YES, CANCEL_ACTION, choice="yes"),
        submit_action(wording.CANCEL_NO, CANCEL_ACTION, choice="no"),
    ]
    return adaptive_card(body, actions)


def _case_title(case: Case) -> str:
    """The case card's heading: "New referral" only until a lead moves the case on."""
    title = (
        wording.CHANNEL_CASE_TITLE
        if case.status is CaseStatus.REFERRED
        else wording.CHANNEL_CASE_TITLE_DECIDED
    )
    return title.format(reference=_ref(case.reference))
