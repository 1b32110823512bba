"""Triage: the targets on the held-out set, must-never-regress safety cases, robustness, data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.triage import Triage, TriageLabel, classify, normalise
from safeguarding.triage_eval import DatasetError, Example, evaluate, parse_examples

DATA = Path(__file__).parent / "data"
DEV = DATA / "triage_dev.jsonl"
HOLDOUT = DATA / "triage_holdout.jsonl"


def load(path: Path) -> list[Example]:
    return parse_examples(path.read_text(encoding="utf-8").splitlines())


# --- targets -----------------------------------------------------------------------------------


def test_holdout_meets_the_targets() -> None:
    report = evaluate(load(HOLDOUT))
    assert report.emergency_recall == 1.0, report.safety_misses
    assert report.signpost_recall >= 0.99, report.safety_misses
    assert report.macro_f1 >= 0.85
    assert report.score(TriageLabel.REVIEW_REFERRAL).precision >= 0.90


def test_dev_set_has_no_safety_misses() -> None:
    report = evaluate(load(DEV))
    assert report.safety_misses == ()
    assert report.macro_f1 >= 0.95


# --- must never regress ------------------------------------------------------------------------

EMERGENCIES = [
    "theres a man with a knife in the house with the kids now",
    "baby not breathing",
    "bby isnt breathin",
    "my 4 yr old has been missing since this morning",
    "cant find her shes 3",
    "she has taken tablets and is going sleepy",
    "fire in the flat and the children are inside",
    "he says he will kill the kids",
    "dad is hitting mum right now and the kids are there",
    "the kids are safe with gran now but dad is outside the house with a knife",
    "girl in danger now",
    "HELP he's got a knife",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies_are_never_missed(text: str) -> None:
    result = classify(text)
    assert result.label is TriageLabel.EMERGENCY, result.cues
    assert result.safety_signpost


PAST_EVENTS = [
    "child died after being shaken last month, LA notified panel",
    "16 yr old was stabbed in march, known to CSC, I think this meets the criteria for a CSPR",
    "the boy was found not breathing last month and later died, police investigating",
    "she took an overdose last year and is doing well now",
]


@pytest.mark.parametrize("text", PAST_EVENTS)
def test_past_events_are_not_emergencies(text: str) -> None:
    assert classify(text).label is not TriageLabel.EMERGENCY


def test_review_referral_with_siblings_at_home_gets_the_signpost() -> None:
    result = classify(
        "baby died last week, police investigating neglect, the two older siblings are still "
        "living with mum"
    )
    assert result.label is TriageLabel.REVIEW_REFERRAL
    assert result.safety_signpost


def test_not_in_danger_now_is_still_a_concern_with_a_signpost() -> None:
    result = classify("not in danger right now but mum's ex keeps turning up at the house")
    assert result.label is TriageLabel.INDIVIDUAL_CONCERN
    assert result.safety_signpost


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("a child died of leukaemia at the hospice, no concerns", TriageLabel.OTHER_SERVICE),
        ("SUDI, parents intoxicated, known to CSC, refer for RR", TriageLabel.REVIEW_REFERRAL),
        ("any update on COV-2026-003", TriageLabel.CASE_STATUS),
        ("what are the criteria for a CSPR", TriageLabel.PROCESS_QUESTION),
        ("thanks", TriageLabel.CHIT_CHAT),
        ("status", TriageLabel.CASE_STATUS),
    ],
)
def test_landmark_messages(text: str, label: TriageLabel) -> None:
    assert classify(text).label is label


def test_unknown_text_about_a_child_falls_to_a_concern() -> None:
    result = classify("the little boy from number 12 again")
    assert result.label is TriageLabel.INDIVIDUAL_CONCERN
    assert result.safety_signpost


def test_bare_refer_is_a_referral_with_a_signpost() -> None:
    result = classify("refer")
    assert (result.label, result.safety_signpost) == (TriageLabel.REVIEW_REFERRAL, True)


# --- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t", "?!...", "👍"])
def test_empty_and_symbol_only_input_is_chit_chat(text: str | None) -> None:
    result = classify(text)
    assert result.label is TriageLabel.CHIT_CHAT
    assert not result.safety_signpost


def test_very_long_input_is_classified() -> None:
    text = "he has a knife and the kids are here now. " + "blah " * 50_000
    assert classify(text).label is TriageLabel.EMERGENCY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "HELP he's got a knife",
            Triage(TriageLabel.EMERGENCY, True, ("emergency:weapon", "now")),
        ),
        (
            "refer",
            Triage(
                TriageLabel.REVIEW_REFERRAL,
                True,
                ("review:bare_referral", "signpost:referral_may_be_about_a_child"),
            ),
        ),
        (
            "the little boy from number 12 again",
            Triage(TriageLabel.INDIVIDUAL_CONCERN, True, ("fallback:text_about_a_child",)),
        ),
        (
            "a child died of leukaemia at the hospice, no concerns",
            Triage(TriageLabel.OTHER_SERVICE, False, ("other:child_death_without_suspicion",)),
        ),
        (
            "any update on COV-2026-003",
            Triage(
                TriageLabel.CASE_STATUS,
                False,
                ("status:progress_words", "specific_case", "status:case_reference"),
            ),
        ),
        (
            "what are the criteria for a CSPR",
            Triage(TriageLabel.PROCESS_QUESTION, False, ("process:topic", "process:question")),
        ),
        ("thanks", Triage(TriageLabel.CHIT_CHAT, False, ("chat:greeting_or_thanks",))),
        ("", Triage(TriageLabel.CHIT_CHAT, False, ("empty",))),
    ],
)
def test_the_whole_result_is_known_with_its_cues_in_order(text: str, expected: Triage) -> None:
    # Pure and deterministic: the label, the signpost and the cues that decided it, in order.
    assert classify(text) == expected


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_consistent_answer(text: str) -> None:
    result = classify(text)
    if result.label in (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN):
        assert result.safety_signpost


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("isnt", "is not"),
        ("Hes got a KNIFE", "he is got a knife"),
        ("bby in dangr", "baby in danger"),
        ("4yo", "4 year old"),
        ("RR for COV-2026-003", "rapid review for casereference"),
        ("can't, won't", "can not | will not"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


# --- evaluation --------------------------------------------------------------------------------


def test_evaluate_reports_misses_and_timing_from_the_callers_clock() -> None:
    examples = [
        Example("a", "baby not breathing", TriageLabel.EMERGENCY, True),
        Example("b", "hello", TriageLabel.EMERGENCY, True),
        Example("c", "thanks", TriageLabel.CHIT_CHAT, False),
        Example("d", "what are the criteria for a CSPR", TriageLabel.PROCESS_QUESTION, False),
    ]
    ticks = iter([10.0, 10.002])
    report = evaluate(examples, timer=lambda: next(ticks))
    assert report.emergency_recall == 0.5
    assert report.signpost_recall == 0.5
    assert [m.id for m in report.safety_misses] == ["b"]
    assert report.ms_per_message == pytest.approx(0.5)
    assert report.score(TriageLabel.CHIT_CHAT).precision == 0.5
    assert evaluate(examples).ms_per_message is None


@pytest.mark.parametrize(
    ("lines", "line", "problem"),
    [
        (
            ['{"id": "1", "text": "hi", "label": "chit_chat", "safety_signpost": false}', "{"],
            2,
            "JSON",
        ),
        (['{"id": "1", "text": "hi", "label": "greeting", "safety_signpost": false}'], 1, "label"),
        (['{"id": "1", "text": "hi", "label": "chit_chat"}'], 1, "safety_signpost"),
        (["", '["a list"]'], 2, "object"),
        (['{"id": 1, "text": "hi", "label": "chit_chat", "safety_signpost": false}'], 1, "'id'"),
    ],
)
def test_parse_examples_names_the_bad_line(lines: list[str], line: int, problem: str) -> None:
    with pytest.raises(DatasetError) as caught:
        parse_examples(lines)
    assert caught.value.line == line
    assert problem in str(caught.value)


# --- the data sets -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "total", "per_label"), [(DEV, 420, 55), (HOLDOUT, 140, 20)])
def test_data_set_is_well_formed_and_balanced(path: Path, total: int, per_label: int) -> None:
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(set(obj) == {"id", "text", "label", "safety_signpost"} for obj in raw)
    examples = load(path)
    assert len(examples) >= total
    counts = Counter(e.label for e in examples)
    assert set(counts) == set(TriageLabel)
    assert min(counts.values()) >= per_label, counts
    assert len({e.id for e in examples}) == len(examples)
    assert len({e.text.strip().lower() for e in examples}) == len(examples)
    always = (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN)
    assert all(e.safety_signpost for e in examples if e.label in always)


def test_no_text_is_in_both_data_sets() -> None:
    dev = {e.text.strip().lower() for e in load(DEV)}
    holdout = {e.text.strip().lower() for e in load(HOLDOUT)}
    assert dev.isdisjoint(holdout)


@pytest.mark.parametrize(
    "text",
    [
        "he is back home now and has a knife",
        "hes back home and he has a knife",
    ],
)
def test_an_adult_back_home_with_a_weapon_is_an_emergency(text: str) -> None:
    assert classify(text).label is TriageLabel.EMERGENCY


def test_ongoing_risk_in_a_referral_answer() -> None:
    from safeguarding.triage import mentions_ongoing_risk

    assert mentions_ongoing_risk("the siblings are still at home with him")
    assert mentions_ongoing_risk("the other children remain in the home with dad")
    assert not mentions_ongoing_risk("Sibling placed with grandparents under a safety plan.")
    assert not mentions_ongoing_risk("Admitted to hospital with unexplained fractures.")
