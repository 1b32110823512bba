"""Reading referral card submissions into the section models, with one message per input.

A card's Action.Submit sends every input as a string (Input.Date as YYYY-MM-DD, Input.Toggle as
"true"/"false", a multi-select ChoiceSet as "a,b,c"); an empty input may be missing or "".
Nothing here trusts that: any odd value becomes a message on its input, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cards import wording
from cards.referral import GoTo
from safeguarding.calendar import day_month_year
from safeguarding.leading import PLACES_NOT_LISTED, NoLead, route
from safeguarding.partnerships import Partnerships
from safeguarding.referral import (
    AGENCIES,
    CRITERIA,
    MAX_CHILDREN,
    PARALLEL_PROCESSES,
    AbuseOrNeglect,
    Actions,
    Agencies,
    Area,
    Child,
    ChildStatus,
    Criteria,
    Draft,
    Incident,
    IncidentKind,
    ReferralError,
    Referrer,
    Sex,
    Step,
    YesNoUnknown,
    adults_at,
    birth_likely_wrong,
    born_after,
    date_problems,
    pending_key,
)

FORM_ERROR = "_form"  # the key for a message that belongs to no single input

# The choices each input accepts are the domain's own Literals.
YES_NO_UNKNOWN: tuple[str, ...] = get_args(YesNoUnknown)
SEXES: tuple[str, ...] = get_args(Sex)
CHILD_STATUSES: tuple[str, ...] = get_args(ChildStatus)
INCIDENT_KINDS: tuple[str, ...] = get_args(IncidentKind)
ABUSE_OR_NEGLECT: tuple[str, ...] = get_args(AbuseOrNeglect)

_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T[0-9:.+\-Z]*)?$")
# Tabs and newlines are kept (multiline inputs); other control characters are never wanted.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Before this, a date can only be a slip of the keyboard or the picker.
_EARLIEST_YEAR = 1900

# The inputs on each section card, which are also the section model's fields.
SECTION_FIELDS: dict[Step, tuple[str, ...]] = {
    Step.AREA: ("area", "other_area", "harm_area"),
    Step.REFERRER: ("name", "role", "agency", "contact", "lead_agreed"),
    Step.CHILD: (
        "name",
        "unborn",
        "date_of_birth",
        "expected_date",
        "sex",
        "ethnicity",
        "disability",
        "statuses",
    ),
    Step.INCIDENT: ("date", "la_aware", "kind", "location", "description", "confirm_adult"),
    Step.AGENCIES: ("involved", "other", "still_involved"),
    Step.CRITERIA: ("abuse_or_neglect", "about_a_professional", "criteria", "reasons"),
    Step.ACTIONS: ("safety_actions", "parallel", "media_interest"),
}


_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class ParsedSection:
    """A submitted section: the model when it holds together, else one message per input id."""

    section: BaseModel | None
    errors: dict[str, str] = field(default_factory=dict)
    adult_confirmed: bool = False
    # Set, with no section and no errors, when the child card came back empty with Continue
    # while the draft already has children: nothing to save, and the dialog moves on.
    blank: bool = False
    # A date that clashes with one on another card: the card offers to go to that one.
    go_to: GoTo | None = None


class _Form:
    """The raw answers of one card, read into typed values while messages are collected."""

    def __init__(self, step: Step, value: Mapping[str, Any]) -> None:
        self.step = step
        self.value = value
        self.errors: dict[str, str] = {}
        self.data: dict[str, Any] = {}

    def fail(self, key: str, message: str) -> None:
        # The first problem found with an input is the one worth showing.
        self.errors.setdefault(key, message)

    def missing(self, key: str) -> None:
        message = wording.REQUIRED_MESSAGES.get(f"{self.step.value}.{key}", wording.ERR_REQUIRED)
        self.fail(key, message)

    def raw(self, key: str) -> str | None:
        """The answer as a stripped string, or None when it is absent, empty or unreadable."""
        found = self.value.get(key)
        if found is None:
            return None
        if isinstance(found, bool):
            text = "true" if found else "false"
        elif isinstance(found, str):
            text = found
        elif isinstance(found, int | float):
            text = str(found)
        elif isinstance(found, list | tuple) and all(isinstance(item, str) for item in found):
            # Not what Teams sends, but a list of choices means the same as "a,b,c".
            text = ",".join(found)
        else:
            self.fail(key, wording.ERR_UNREADABLE)
            return None
        text = _CONTROL.sub("", text).strip()
        return text or None

    def text(self, key: str, *, required: bool) -> str | None:
        text = self.raw(key)
        if text is None and required:
            self.missing(key)
        if text is not None:
            self.data[key] = text
        return text

    def day(self, key: str, *, required: bool) -> date | None:
        text = self.raw(key)
        if text is None:
            if required:
                self.missing(key)
            return None
        parsed = _parse_date(text)
        if parsed is None:
            self.fail(key, wording.ERR_REAL_DATE)
            return None
        self.data[key] = parsed
        return parsed

    def boolean(self, key: str, *, required: bool, default: bool = False) -> bool | None:
        text = self.raw(key)
        if text is None:
            if required:
                self.missing(key)
                return None
            self.data[key] = default
            return default
        lowered = text.casefold()
        if lowered in _TRUE or lowered in _FALSE:
            self.data[key] = lowered in _TRUE
            return lowered in _TRUE
        self.fail(key, wording.ERR_YES_NO)
        return None

    def choice(
        self, key: str, options: Collection[str], *, required: bool, default: str | None = None
    ) -> str | None:
        text = self.raw(key)
        if text is None:
            if required:
                self.missing(key)
            elif default is not None:
                self.data[key] = default
            return None
        if text not in options:
            self.fail(key, wording.ERR_CHOOSE_OPTION)
            return None
        self.data[key] = text
        return text

    def multi(self, key: str, options: Collection[str]) -> tuple[str, ...]:
        text = self.raw(key)
        chosen: list[str] = []
        for part in (text or "").split(","):
            item = part.strip()
            if item and item not in chosen:
                chosen.append(item)
        if any(item not in options for item in chosen):
            self.fail(key, wording.ERR_CHOOSE_FROM_LIST)
            return ()
        self.data[key] = tuple(chosen)
        return tuple(chosen)


def _parse_date(text: str) -> date | None:
    match = _ISO_DATE.match(text)
    if match is None:
        return None
    try:
        parsed = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return parsed if parsed.year >= _EARLIEST_YEAR else None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _translate(step: Step, error: ErrorDetails) -> tuple[str, str]:
    """One pydantic error as (input id, plain-English message)."""
    inputs = SECTION_FIELDS.get(step, ())
    loc = error.get("loc", ())
    key = loc[0] if loc and isinstance(loc[0], str) and loc[0] in inputs else FORM_ERROR
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ReferralError):
        target = cause.field if cause.field in inputs else FORM_ERROR
        return target, _sentence(cause.message)
    if kind in ("missing", "string_too_short"):
        return key, wording.REQUIRED_MESSAGES.get(f"{step.value}.{key}", wording.ERR_REQUIRED)
    if kind == "string_too_long":
        return key, wording.ERR_TOO_LONG.format(max=ctx.get("max_length", ""))
    if kind in ("literal_error", "enum"):
        return key, wording.ERR_CHOOSE_OPTION
    if kind.startswith("date"):
        return key, wording.ERR_REAL_DATE
    if kind.startswith("bool"):
        return key, wording.ERR_YES_NO
    return key, wording.ERR_CHECK


def _build(form: _Form, model: type[_M]) -> _M | None:
    """The model from the answers read so far; its own complaints join the form's messages."""
    try:
        built = model.model_validate(form.data)
    except ValidationError as exc:
        already_marked = bool(form.errors)
        for error in exc.errors():
            if already_marked and error.get("type") == "missing":
                continue  # an input left out because it already has a message
            key, message = _translate(form.step, error)
            # An input already marked (say, as missing) keeps its clearer message.
            form.fail(key, message)
        return None
    except ReferralError as exc:  # a model check raised outside pydantic's wrapping
        form.fail(exc.field if exc.field in SECTION_FIELDS[form.step] else FORM_ERROR, exc.message)
        return None
    return None if form.errors else built


def _refuse(form: _Form, exc: ReferralError) -> ParsedSection:
    key = exc.field if exc.field in SECTION_FIELDS[form.step] else FORM_ERROR
    form.fail(key, _sentence(exc.message))
    return ParsedSection(section=None, errors=form.errors)


def _place(form: _Form, key: str, partnerships: Partnerships) -> str | None:
    """A place chosen on the area card: a configured area as configured, or a place not listed."""
    chosen = form.text(key, required=True)
    if chosen is None:
        return None
    if chosen in PLACES_NOT_LISTED:
        return chosen
    partnership = partnerships.for_area(chosen)
    if partnership is None:
        form.fail(key, wording.ERR_UNKNOWN_AREA)
        return None
    # Keep the area as configured, whatever case the answer came in.
    wanted = chosen.casefold()
    form.data[key] = next(a for a in partnership.areas if a.casefold() == wanted)
    return str(form.data[key])


def _parse_area(form: _Form, partnerships: Partnerships) -> ParsedSection:
    home = _place(form, "area", partnerships)
    harmed = _place(form, "harm_area", partnerships)
    form.text("other_area", required=False)
    if home is not None and harmed is not None:
        routing = route(home, harmed, partnerships)
        if isinstance(routing, NoLead):
            form.fail("harm_area", wording.NO_LEAD_MESSAGES[routing])
        else:
            form.data["partnership_id"] = routing.filed_with.id
            form.data["lead_rule"] = routing.rule
            if routing.told is not None:
                form.data["told_partnership_id"] = routing.told.id
    if form.errors:
        _build(form, Area)  # still collect length problems on the other inputs
        return ParsedSection(section=None, errors=form.errors)
    area = _build(form, Area)
    return ParsedSection(section=area, errors=form.errors)


def _parse_referrer(form: _Form) -> ParsedSection:
    for key in ("name", "role", "agency", "contact"):
        form.text(key, required=True)
    form.boolean("lead_agreed", required=True)
    referrer = _build(form, Referrer)
    return ParsedSection(section=referrer, errors=form.errors)


def _child_blank(form: _Form) -> bool:
    answers = [form.raw(key) for key in SECTION_FIELDS[Step.CHILD]]
    meaningful = [
        a for a in answers if a is not None and a.casefold() not in ("false", "not_known")
    ]
    return not meaningful and not form.errors


def _check_dates(form: _Form, today: date) -> None:
    """Every date that cannot be right gets its message, whatever else is wrong on the card."""
    unborn = form.data.get("unborn") is True
    problems = date_problems(
        today,
        date_of_birth=None if unborn else form.data.get("date_of_birth"),
        expected_date=form.data.get("expected_date") if unborn else None,
        incident=form.data.get("date"),
        la_aware=form.data.get("la_aware"),
    )
    for key, problem in problems.items():
        form.fail(key, wording.DATE_PROBLEMS[problem])


def incident_date_of(draft: Draft) -> date | None:
    """The incident date the referral holds now: as typed on the incident card and left there
    (by Back, or to change a clashing date on another card), else as saved."""
    typed = draft.pending.get(pending_key(Step.INCIDENT), {}).get("date")
    kept = _parse_date(typed) if typed else None
    if kept is not None:
        return kept
    return draft.incident.date if draft.incident is not None else None


def _born_after_incident(incident: date, today: date) -> tuple[str, GoTo]:
    """A date of birth after the incident date: the message under it, and the button to the
    incident card; the banner names the incident date when that is the likely slip."""
    on = day_month_year(incident)
    if birth_likely_wrong(incident, today):
        message = wording.ERR_BORN_AFTER_CHECK_BIRTH.format(incident=on)
        return message, GoTo(Step.INCIDENT, wording.GO_TO_INCIDENT_DATE)
    message = wording.ERR_BORN_AFTER_CHECK_INCIDENT.format(incident=on)
    go_to = GoTo(
        Step.INCIDENT,
        wording.GO_TO_INCIDENT_DATE,
        clash_input="date_of_birth",
        likely_wrong=wording.FIELD_NAMES["incident.date"],
    )
    return message, go_to


def child_card_clash(
    draft: Draft, child_index: int | None, values: Mapping[str, Any] | None, today: date
) -> tuple[dict[str, str], GoTo | None]:
    """A child's card about to be shown with its date of birth after the incident date (as
    typed or saved): the message under the date of birth, and the button to the incident card.

    This is how the card looks when "Change JMS's date of birth" opens it: the problem is on it
    from the start, not only after Continue.
    """
    incident = incident_date_of(draft)
    if incident is None:
        return {}, None
    born: date | None = None
    if values is not None:
        form = _Form(Step.CHILD, values)
        unborn = (form.raw("unborn") or "").casefold() in _TRUE
        typed = form.raw("date_of_birth")
        born = _parse_date(typed) if typed and not unborn else None
    elif child_index is not None and 0 <= child_index < len(draft.children):
        saved = draft.children[child_index]
        born = None if saved.unborn else saved.date_of_birth
    if born is None or born <= incident:
        return {}, None
    message, go_to = _born_after_incident(incident, today)
    return {"date_of_birth": message}, go_to


def _parse_child(form: _Form, draft: Draft, today: date, child_index: int | None) -> ParsedSection:
    index = child_index if child_index is not None and child_index < len(draft.children) else None
    adding = form.raw("next") == "add_child"
    if index is None and draft.children and not adding and _child_blank(form):
        return ParsedSection(section=None, errors={}, blank=True)
    if index is None and len(draft.children) >= MAX_CHILDREN:
        form.fail(FORM_ERROR, wording.ERR_TOO_MANY_CHILDREN.format(max=MAX_CHILDREN))
    form.text("name", required=True)
    unborn = form.boolean("unborn", required=False)
    # Only the date that fits the toggle is kept: an unborn child has no date of birth.
    if unborn:
        form.day("expected_date", required=True)
    else:
        form.day("date_of_birth", required=unborn is not None)
    form.choice("sex", SEXES, required=False, default="not_known")
    form.text("ethnicity", required=False)
    form.choice("disability", YES_NO_UNKNOWN, required=False, default="not_known")
    form.multi("statuses", CHILD_STATUSES)
    _check_dates(form, today)
    go_to: GoTo | None = None
    # The incident date as saved, or as typed on its card and not saved yet (the way here from
    # the incident card's "Change JMS's date of birth"): Continue must not slip past either.
    incident = incident_date_of(draft)
    born = form.data.get("date_of_birth")
    if incident is not None and not unborn and isinstance(born, date) and born > incident:
        message, go_to = _born_after_incident(incident, today)
        form.fail("date_of_birth", message)
    child = _build(form, Child)
    if child is None:
        return ParsedSection(section=None, errors=form.errors, go_to=go_to)
    return ParsedSection(section=child, errors={})


def _parse_incident(form: _Form, draft: Draft, today: date) -> ParsedSection:
    form.day("date", required=True)
    form.day("la_aware", required=False)
    form.choice("kind", INCIDENT_KINDS, required=True)
    form.text("location", required=False)
    form.text("description", required=True)
    confirmed = form.boolean("confirm_adult", required=False) is True
    # The toggle is not a field of Incident: keep it out of the model's data.
    form.data.pop("confirm_adult", None)
    _check_dates(form, today)
    go_to: GoTo | None = None
    day = form.data.get("date")
    if isinstance(day, date):
        clashing = born_after(draft.children, day)
        if clashing:
            index = clashing[0]
            child = draft.children[index]
            names = {"child": child.initials, "born": day_month_year(child.date_of_birth or day)}
            title = wording.GO_TO_BIRTH.format(child=child.initials)
            if birth_likely_wrong(day, today):
                form.fail("date", wording.ERR_INCIDENT_BEFORE_BIRTH_CHECK_BIRTH.format(**names))
                # The banner names the date judged wrong, as the message under the date does.
                blamed = wording.FIELD_BIRTH_OF.format(child=child.initials)
                go_to = GoTo(
                    Step.CHILD, title, child_index=index, clash_input="date", likely_wrong=blamed
                )
            else:
                form.fail("date", wording.ERR_INCIDENT_BEFORE_BIRTH_CHECK_INCIDENT.format(**names))
                go_to = GoTo(Step.CHILD, title, child_index=index)
        adults = adults_at(draft.children, day)
        if adults and not confirmed:
            adult = draft.children[adults[0]]
            form.fail("confirm_adult", wording.ERR_ADULT_AT_INCIDENT.format(child=adult.initials))
    incident = _build(form, Incident)
    if incident is None:
        return ParsedSection(
            section=None, errors=form.errors, adult_confirmed=confirmed, go_to=go_to
        )
    return ParsedSection(section=incident, errors={}, adult_confirmed=confirmed)


def _parse_agencies(form: _Form) -> ParsedSection:
    involved = form.multi("involved", AGENCIES)
    other = form.text("other", required=False)
    form.choice("still_involved", YES_NO_UNKNOWN, required=False, default="not_known")
    if not involved and other is None and "involved" not in form.errors:
        form.missing("involved")
    agencies = _build(form, Agencies)
    return ParsedSection(section=agencies, errors=form.errors)


def _parse_criteria(form: _Form) -> ParsedSection:
    form.choice("abuse_or_neglect", ABUSE_OR_NEGLECT, required=True)
    # Asked every time: a blank must not quietly mean "no", the screening turns on it.
    form.boolean("about_a_professional", required=True)
    form.multi("criteria", CRITERIA)
    form.text("reasons", required=True)
    criteria = _build(form, Criteria)
    return ParsedSection(section=criteria, errors=form.errors)


def _parse_actions(form: _Form) -> ParsedSection:
    form.text("safety_actions", required=True)
    form.multi("parallel", PARALLEL_PROCESSES)
    form.choice("media_interest", YES_NO_UNKNOWN, required=False, default="not_known")
    actions = _build(form, Actions)
    return ParsedSection(section=actions, errors=form.errors)


# What Back keeps of an answer, at most: the longest any input allows.
_KEPT_TEXT = 1500


def raw_inputs(step: Step, value: Mapping[str, Any]) -> dict[str, str]:
    """A card's answers as typed, unchecked, for showing the card again: its own inputs only."""
    form = _Form(step, value if isinstance(value, Mapping) else {})
    kept: dict[str, str] = {}
    for key in SECTION_FIELDS.get(step, ()):
        text = form.raw(key)
        if text is not None:
            kept[key] = text[:_KEPT_TEXT]
    return kept


def parse_section(
    step: Step,
    value: Mapping[str, Any],
    *,
    partnerships: Partnerships,
    draft: Draft,
    today: date,
    child_index: int | None = None,
) -> ParsedSection:
    """Read one section card's submission into its model, or say what to fix on which input.

    `child_index` is the child being edited, as the submit model read it from the card.
    """
    answers: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    form = _Form(step, answers)
    parsers: dict[Step, Callable[[], ParsedSection]] = {
        Step.AREA: lambda: _parse_area(form, partnerships),
        Step.REFERRER: lambda: _parse_referrer(form),
        Step.CHILD: lambda: _parse_child(form, draft, today, child_index),
        Step.INCIDENT: lambda: _parse_incident(form, draft, today),
        Step.AGENCIES: lambda: _parse_agencies(form),
        Step.CRITERIA: lambda: _parse_criteria(form),
        Step.ACTIONS: lambda: _parse_actions(form),
    }
    parser = parsers.get(step)
    if parser is None:
        return ParsedSection(section=None, errors={FORM_ERROR: wording.ERR_CHECK})
    return parser()
