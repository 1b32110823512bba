"""Accessibility: every card the bot can send keeps the rules; the wording stays plain.

The rules (README "Accessible, plain-English cards" says why):
1. Labels: every input has a `label`; an Input.Toggle has a `title`, which is its name.
2. Error messages: every input the client can find invalid (`isRequired`, `regex`, `min`, `max`)
   has an `errorMessage`.
3. Action titles: no two actions in one card share a title, counting the actions inside
   ActionSets and nested Action.ShowCard cards, and the card's refresh action.
4. No meaning by colour alone: a TextBlock coloured Attention, Warning or Good also says it in
   words, i.e. holds one of that colour's signal words.
5. Summaries: Teams ignores a card's `speak`, so none is required; a card message that can be
   read away from the conversation (the welcome, the safety signposts, the acknowledgement,
   everything posted to a channel or sent to a user unasked) carries an activity `summary`, which
   Teams shows in the notification and chat list instead of "Card". A `speak`, if a card has one,
   is plain text.
6. Plain English: every sentence of eight or more words in cards/wording.py is at
   Flesch-Kincaid grade 9 or below, domain terms aside (tests/support/readability.py).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.decisions import decision_card
from cards.referral import (
    acknowledgement_card,
    cancel_confirm_card,
    channel_case_card,
    resume_card,
    review_card,
    safety_card,
    safety_redirect_card,
    section_card,
    told_card,
)
from cards.reminders import digest_card, reminder_card
from cards.reports import monthly_report_card
from cards.safety import concern_card, emergency_card, which_referral_card
from cards.welcome import welcome_card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import CaseStatus
from safeguarding.decisions import DecisionKind, agreement_status
from safeguarding.frontdoor import FrontDoorContact
from safeguarding.partnerships import Lead, Partner, Partnership, load_partnerships
from safeguarding.referral import SECTION_STEPS, Step, screen
from safeguarding.timeline import MilestoneKey, compute_timeline
from safeguarding.timeliness import count_timeliness
from safeguarding.triage import Triage, TriageLabel
from tests.support import readability
from tests.support.cards import assert_valid_card
from tests.support.cases import draft_of, make_case, make_referral
from tests.support.timeliness import hand_counted_cases
from usecases.safety import signpost_card

# What a required input's label ends with (the bot checks it; see REQUIRED_LABEL).
REQUIRED_MARK = wording.REQUIRED_LABEL.format(label="")

Card = dict[str, Any]
TODAY = date(2026, 11, 24)

# Rule 4: the words that say what each colour means, so the colour is never the only sign.
SIGNAL_WORDS = {
    "attention": ("error", "overdue", "999", "danger", "cannot", "check", "not "),
    "warning": ("warning", "overdue", "check", "cannot", "not "),
    "good": ("done", "recorded", "agreed", "received", "sent"),
}

# --- walking a card ---


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first, nested ShowCard cards included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def _is_action(obj: dict[str, Any]) -> bool:
    return str(obj.get("type", "")).startswith("Action.")


def cards_in(card: Card) -> Iterator[Card]:
    """The card and every card an Action.ShowCard in it opens, however deep."""
    yield card
    for obj in walk(card):
        if obj is not card and obj.get("type") == "AdaptiveCard":
            yield obj


def actions_of(scope: Any, *, top: bool = True) -> Iterator[dict[str, Any]]:
    """The actions one card shows at once: its own, its ActionSets' and its refresh action.

    A ShowCard's card is a scope of its own: only one is open at a time, under its button.
    """
    if isinstance(scope, dict):
        if not top and scope.get("type") == "AdaptiveCard":
            return
        if _is_action(scope):
            yield scope
        for key, value in scope.items():
            if key == "card" and scope.get("type") == "Action.ShowCard":
                continue
            yield from actions_of(value, top=False)
    elif isinstance(scope, list):
        for item in scope:
            yield from actions_of(item, top=False)


def problems(card: Card) -> list[str]:
    """Every break of rules 1 to 5 in one card, as sentences naming the element."""
    found: list[str] = []
    for obj in walk(card):
        kind = str(obj.get("type", ""))
        if kind.startswith("Input."):
            name = obj.get("title") if kind == "Input.Toggle" else obj.get("label")
            if not (isinstance(name, str) and name.strip()):
                found.append(f"input {obj.get('id')!r} has no label")
            # Required inputs are checked by the bot (so Back can keep a half-filled card) and
            # say so in their label; they still carry the message a client would show.
            required = str(obj.get("label", "")).endswith(REQUIRED_MARK)
            checked = required or any(obj.get(key) for key in ("isRequired", "regex", "min", "max"))
            if checked and not str(obj.get("errorMessage", "")).strip():
                found.append(f"input {obj.get('id')!r} can be invalid but has no errorMessage")
        if kind == "TextBlock":
            colour = str(obj.get("color", "default")).casefold()
            words = SIGNAL_WORDS.get(colour)
            text = str(obj.get("text", "")).casefold()
            if words and not any(word in text for word in words):
                found.append(f"{colour} text says its meaning by colour alone: {obj['text']!r}")
    for scope in cards_in(card):
        titles = [str(action.get("title")) for action in actions_of(scope)]
        for title in sorted({t for t in titles if titles.count(t) > 1}):
            found.append(f"{titles.count(title)} actions are titled {title!r}")
    speak = card.get("speak")
    if speak is not None and (not str(speak).strip() or re.search(r"[*_`\[\]<>]", str(speak))):
        found.append(f"speak is empty or not plain text: {speak!r}")
    return found


# --- every card the bot can send ---


def _partnerships() -> list[Partnership]:
    return list(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())


def _coventry() -> Partnership:
    return next(p for p in _partnerships() if p.id == "coventry")


def _contacts() -> list[FrontDoorContact]:
    door = _coventry().front_door
    office = FrontDoorContact(
        partnership_id="coventry",
        areas=("Coventry",),
        name=door.name,
        number=door.office_hours_number,
        kind="office_hours",
        web_page="https://www.coventry.gov.uk/mash",
    )
    other = dataclasses.replace(office, areas=("Warwickshire",), number="01926 414144")
    return [office, other]


def _case_parts() -> tuple[Any, Any, Any]:
    referral = make_referral(la_aware=date(2026, 11, 17))
    case = make_case(referral)
    partnership = _coventry()
    timeline = compute_timeline(
        case.dates, partnership.clock, WorkingDayCalendar.for_england(), TODAY
    )
    return case, partnership, timeline


def every_card() -> Iterator[tuple[str, Card]]:
    """Each card the bot sends, built with representative inputs, named for the report."""
    all_partnerships = load_partnerships(EXAMPLE_PARTNERSHIPS)
    case, partnership, timeline = _case_parts()
    draft = draft_of(case.referral)
    yield "welcome", welcome_card(_partnerships())
    yield "safety question", safety_card()
    for answer in ("danger", "worry"):
        yield f"safety redirect ({answer})", safety_redirect_card(answer, _contacts())
    for step in SECTION_STEPS:
        card = section_card(step, partnerships=all_partnerships, draft=draft, today=TODAY)
        yield f"section {step.value}", card
        errors = {"errors": wording.REFERRAL_SECTION_MISSING, "other": wording.ERR_CHECK}
        yield (
            f"section {step.value} with errors",
            section_card(
                step,
                partnerships=all_partnerships,
                draft=draft,
                values={"name": ""},
                errors={**errors, "date": wording.ERR_REAL_DATE, "name": wording.ERR_REQUIRED},
                today=TODAY,
            ),
        )
    yield (
        "review",
        review_card(
            draft=draft,
            referral=case.referral,
            screening=screen(case.referral),
            partnership=partnership,
            duplicates=("COV-2026-002",),
            today=TODAY,
        ),
    )
    yield (
        "acknowledgement",
        acknowledgement_card(case=case, partnership=partnership, timeline=timeline),
    )
    for status in CaseStatus:
        filed = case.model_copy(update={"status": status})
        yield (
            f"case card ({status.value})",
            channel_case_card(case=filed, partnership=partnership, timeline=timeline, today=TODAY),
        )
    maybe_same = case.model_copy(update={"possible_duplicates": ["COV-2026-002"]})
    yield (
        "case card (possible duplicate)",
        channel_case_card(case=maybe_same, partnership=partnership, timeline=timeline, today=TODAY),
    )
    yield "told card", told_card(case=case, lead=partnership, told=partnership)
    base = channel_case_card(case=case, partnership=partnership, timeline=timeline, today=TODAY)
    for for_lead in (True, False):
        yield (
            f"decision card (lead: {for_lead})",
            decision_card(
                base,
                reference=case.reference,
                agreement=agreement_status(case),
                available=list(DecisionKind),
                for_lead=for_lead,
                refresh_user_ids=["29:lead"],
                notice=wording.DECISION_ALREADY,
                on_behalf=True,
                agencies_to_ask=("school", "Oak Housing Trust"),
                summaries_outstanding=("gp",),
            ),
        )
    lead = Lead(name="Lee", role="Head", partner=Partner.POLICE, upn="lee@police.example")
    for kind in ("lead_time", "due_today", "overdue"):
        for milestone in (MilestoneKey.SIN, MilestoneKey.RR_IAS_RETURNS):
            yield (
                f"reminder ({kind}, {milestone.value})",
                reminder_card(
                    for_lead=True,
                    reference=case.reference,
                    kind=kind,
                    milestone=milestone,
                    lead_days=3,
                    due=TODAY,
                    original_due=date(2026, 11, 20),
                    working_days_left=-2 if kind == "overdue" else 3,
                    responsible="Coventry City Council",
                    late=True,
                    filed_after_due=True,
                    mention=(lead,),
                    outstanding=("gp", "school"),
                ),
            )
    for view, extra in (
        ("read-only", {}),
        ("refused", {"notice": wording.DECISION_REFUSED_NOT_LEAD}),
        (
            "recorded",
            {
                "status": wording.REMINDER_RECORDED.format(
                    label="Done", role="Head", day="4 January 2027"
                )
            },
        ),
        ("moved", {"status": wording.REMINDER_MOVED.format(day="8 January 2027")}),
        ("closed", {"status": wording.REMINDER_CLOSED_DONE.format(day="4 January 2027")}),
    ):
        yield (
            f"reminder ({view})",
            reminder_card(
                for_lead=False,
                reference=case.reference,
                kind="due_today",
                milestone=MilestoneKey.SIN,
                lead_days=None,
                due=TODAY,
                original_due=None,
                working_days_left=0,
                responsible="Coventry City Council",
                late=False,
                refresh_user_ids=["29:lead"],
                **extra,
            ),
        )
    yield (
        "digest",
        digest_card(
            partnership_name=partnership.name,
            week_of=TODAY,
            rows=[
                ("COV-2026-001", "SIN", TODAY, -2, True),
                ("COV-2026-002", "RR", None, None, False),
            ],
            undelivered=[("COV-2026-003", "SIN", "no channel")],
        ),
    )
    figures = count_timeliness(
        hand_counted_cases(),
        partnership,
        WorkingDayCalendar.for_england(),
        start=date(2027, 1, 1),
        end=date(2027, 3, 31),
        today=date(2027, 3, 30),
    )
    yield (
        "monthly report",
        monthly_report_card(
            partnership_name=partnership.name,
            figures=figures.model_copy(update={"not_counted": ("COV-2027-099",)}),
            chart_url="https://bot.example.org/reports/charts/coventry/2027-03/t.png",
            chart_start=date(2026, 4, 1),
            chart_end=date(2027, 3, 31),
        ),
    )
    yield (
        "digest (empty)",
        digest_card(partnership_name=partnership.name, week_of=TODAY, rows=[], undelivered=[]),
    )
    for in_referral, from_answer in ((False, False), (True, False), (True, True)):
        where = f"in referral: {in_referral}, from an answer: {from_answer}"
        yield (
            f"emergency ({where})",
            emergency_card(_contacts(), in_referral=in_referral, from_answer=from_answer),
        )
        yield (
            f"concern ({where})",
            concern_card(_contacts(), in_referral=in_referral, from_answer=from_answer),
        )
    yield "which referral", which_referral_card(_contacts())
    yield "resume", resume_card(draft, started=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    yield "cancel", cancel_confirm_card()


CARDS = list(every_card())


@pytest.mark.parametrize(("name", "card"), CARDS, ids=[name for name, _ in CARDS])
def test_every_card_keeps_the_accessibility_rules(name: str, card: Card) -> None:
    assert_valid_card(card)
    assert problems(card) == [], name


def test_the_walk_covers_every_kind_of_card() -> None:
    names = " ".join(name for name, _ in CARDS)
    for step in [*SECTION_STEPS, Step.REVIEW]:
        assert step.value in names
    for kind in ("welcome", "acknowledgement", "case card", "decision", "reminder", "digest"):
        assert kind in names
    for kind in ("monthly report",):
        assert kind in names
    for kind in ("emergency", "concern", "which referral", "told", "resume", "cancel"):
        assert kind in names


def _broken(card: Card, change: Callable[[Card], None]) -> Card:
    copied = copy.deepcopy(card)
    change(copied)
    return copied


def test_the_rules_catch_a_card_that_breaks_them() -> None:
    """A deliberate break of each rule is caught: the check is not vacuous."""
    section = dict(CARDS)["section referrer"]

    def unlabel(card: Card) -> None:
        next(o for o in walk(card) if o.get("type") == "Input.Text").pop("label")

    def no_error_message(card: Card) -> None:
        next(o for o in walk(card) if "errorMessage" in o).pop("errorMessage")

    def same_titles(card: Card) -> None:
        for action in card["actions"]:
            action["title"] = "Go"

    def colour_alone(card: Card) -> None:
        card["body"].append({"type": "TextBlock", "text": "Your name", "color": "Attention"})

    def marked_up_speak(card: Card) -> None:
        card["speak"] = "**Bold**"

    for change, expected in (
        (unlabel, "has no label"),
        (no_error_message, "has no errorMessage"),
        (same_titles, "actions are titled 'Go'"),
        (colour_alone, "by colour alone"),
        (marked_up_speak, "speak"),
    ):
        found = problems(_broken(section, change))
        assert any(expected in problem for problem in found), (change.__name__, found)
    # A ShowCard's own actions count too.
    decision = dict(CARDS)["decision card (lead: True)"]

    def nested_same(card: Card) -> None:
        shown = card["actions"][0]["card"]
        shown["actions"].append(dict(shown["actions"][0]))

    assert any("actions are titled" in p for p in problems(_broken(decision, nested_same)))


def test_the_safety_signposts_carry_a_notification_summary() -> None:
    for label in (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN):
        triage = Triage(label=label, safety_signpost=True, cues=())
        say = signpost_card(triage, _contacts(), in_referral=False)
        assert say.summary, label


# --- plain English ---


def _over_grade() -> dict[str, tuple[str, float]]:
    over: dict[str, tuple[str, float]] = {}
    for name, texts in readability.module_wording(wording).items():
        for text in texts:
            for graded in readability.graded(text):
                if graded.grade > readability.MAX_GRADE:
                    over[graded.sentence] = (name, graded.grade)
    return over


def test_every_sentence_is_grade_9_or_below_domain_terms_aside() -> None:
    over = _over_grade()
    report = "\n".join(f"{g:5.1f} {n}: {s}" for s, (n, g) in sorted(over.items()))
    assert not over, f"sentences over grade {readability.MAX_GRADE}:\n{report}"


def test_the_whole_wording_module_reads_plainly() -> None:
    texts = sorted({t for ts in readability.module_wording(wording).values() for t in ts})
    assert readability.text_grade(texts) <= 6.5


@pytest.mark.parametrize(
    ("sentence", "low", "high"),
    [
        ("The cat sat on the mat.", -5.0, 2.0),
        (
            "Institutional responsibilities necessitate comprehensive documentation"
            " of organisational accountability mechanisms.",
            15.0,
            60.0,
        ),
    ],
)
def test_the_grade_function_tells_plain_from_dense(sentence: str, low: float, high: float) -> None:
    assert low <= readability.grade_of(sentence).grade <= high


def test_a_new_dense_sentence_fails_the_grade_rule() -> None:
    dense = (
        "Notwithstanding institutional considerations, practitioners should contemporaneously"
        " document multidisciplinary deliberations."
    )
    assert max(g.grade for g in readability.graded(dense)) > readability.MAX_GRADE
    # A domain term alone does not push a sentence over: it counts as one short word.
    plain = "Tell the Child Safeguarding Practice Review group what you saw and when."
    assert max(g.grade for g in readability.graded(plain)) <= readability.MAX_GRADE


def test_syllable_heuristic() -> None:
    assert [readability.syllables(w) for w in ("cat", "table", "asked", "referral")] == [
        1,
        2,
        1,
        3,
    ]
    assert readability.syllables("MASH") == 1
    assert readability.syllables("2026") == 1
