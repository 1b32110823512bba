"""The learned second opinion: its file, its features, and what it decides with the rules."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from safeguarding.triage import TriageLabel, asks_which_referral, classify
from safeguarding.triage_eval import EvalReport
from safeguarding.triage_model import (
    MODEL_FILE,
    ModelFileError,
    decide,
    features,
    features_digest,
    load_model,
    model_from_dict,
)

MODEL = load_model()


def test_the_shipped_model_has_every_label_and_thresholds_below_a_half() -> None:
    assert set(MODEL.labels) == set(TriageLabel)
    # Thresholds below a half: the screen leans to 999 and the front door, never away.
    assert 0 < MODEL.thresholds.emergency < 0.5
    assert 0 < MODEL.thresholds.signpost < 0.5
    assert len(MODEL.weights) > 1000


def test_features_are_words_pairs_character_ngrams_and_the_rules_reading() -> None:
    found = features("Hi there")
    assert found[:3] == ["w:hi", "c: hi", "c:hi "]
    assert "b:hi there" in found
    assert "r:label=chit_chat" in found
    assert len(found) == len(set(found))


@pytest.mark.parametrize(
    "text",
    [
        "a toddler is walking along the railway line by the station and trains are running",
        "two little ones locked in a car in the sun at the retail park, windows up, no adult",
        "her dad is flying her to Somalia tonight to be cut, the flight is at 9",
        "mum is drunk and about to drive the kids home, she is getting the keys now",
        "I can hear a teenager in the flat upstairs begging to be let out, there are men in there",
    ],
)
def test_danger_now_without_weapon_words_is_an_emergency(text: str) -> None:
    triage = decide(text, MODEL)
    assert triage.label is TriageLabel.EMERGENCY
    assert triage.safety_signpost


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("how long does a rapid review take?", TriageLabel.PROCESS_QUESTION),
        (
            "any news on the referral I sent you last week for COV-2026-004?",
            TriageLabel.CASE_STATUS,
        ),
        ("thanks, that's really helpful", TriageLabel.CHIT_CHAT),
    ],
)
def test_ordinary_messages_keep_their_label(text: str, label: TriageLabel) -> None:
    triage = decide(text, MODEL)
    assert triage.label is label
    assert not triage.safety_signpost


def test_an_infant_death_with_no_concerns_is_cdop_not_a_review() -> None:
    text = (
        "Sudden unexpected death of a 10 week old overnight, no concerns at all. Is this for you?"
    )
    triage = decide(text, MODEL)
    assert triage.label is TriageLabel.OTHER_SERVICE
    assert "other:child_death_without_suspicion" in triage.cues


def test_a_bare_referral_asks_which_referral_is_meant() -> None:
    for text in ("I want to make a referral", "hi, can I make a referral please"):
        assert asks_which_referral(decide(text, MODEL))
    assert not asks_which_referral(decide("I want to make a referral about a boy I teach", MODEL))


def test_the_model_lists_the_cues_that_decided() -> None:
    triage = decide("how long does a rapid review take?", MODEL)
    assert "model:process_question" in triage.cues
    assert sum(c.startswith("model:") for c in triage.cues) == 4


def test_without_a_model_the_rules_decide_alone() -> None:
    text = "im worried about a boy in year 4, mum drinks and he comes in hungry"
    assert decide(text, None) == classify(text)


def test_a_damaged_or_foreign_model_file_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json.gz"
    junk.write_bytes(b"not gzip")
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(junk)
    data = json.loads(gzip.decompress(MODEL_FILE.read_bytes()))
    with pytest.raises(ModelFileError, match="format"):
        model_from_dict({**data, "format": 99})
    with pytest.raises(ModelFileError, match="bias"):
        model_from_dict({**data, "bias": [0.0]})
    with pytest.raises(ModelFileError, match="not a triage model"):
        model_from_dict({"format": 1})


def test_the_model_was_trained_on_todays_rules_and_features() -> None:
    from tests.triage_train import training_texts

    data = json.loads(gzip.decompress(MODEL_FILE.read_bytes()))
    # If this fails, the rules or the featuriser changed: run `make triage-model`.
    assert data["features_digest"] == features_digest(training_texts())


def _score(name: str) -> EvalReport:
    from safeguarding.triage_eval import evaluate, parse_examples

    lines = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines()
    return evaluate(parse_examples(lines), classifier=lambda text: decide(text, MODEL))


def test_test_set_b_keeps_the_bar_it_was_measured_at() -> None:
    # Test set B was written blind after tuning and is never trained on; this only guards
    # against a change that makes things worse. Honest figures after any further tuning need
    # a fresh set.
    report = _score("triage/test-b.jsonl")
    assert report.emergency_recall == 1.0
    assert report.signpost_recall >= 0.99
    rr = next(s for s in report.per_label if s.label is TriageLabel.REVIEW_REFERRAL)
    assert rr.precision >= 0.90
    assert report.macro_f1 >= 0.85


@pytest.mark.parametrize("name", ["triage_dev.jsonl", "triage_holdout.jsonl"])
def test_the_first_releases_sets_still_pass_every_safety_case(name: str) -> None:
    report = _score(name)
    assert report.emergency_recall == 1.0
    assert report.signpost_recall == 1.0
    assert report.safety_misses == ()


def test_a_malformed_model_is_refused_at_load_not_mid_turn() -> None:
    data = json.loads(gzip.decompress(MODEL_FILE.read_bytes()))
    short_row = {**data, "weights": {**data["weights"], "w:hitting": [1]}}
    with pytest.raises(ModelFileError, match="weight row"):
        model_from_dict(short_row)
    for bad in (float("nan"), 5.0, 0.0):
        limits = {**data["thresholds"], "emergency": bad}
        with pytest.raises(ModelFileError, match="between 0 and 1"):
            model_from_dict({**data, "thresholds": limits})


def test_if_the_model_fails_on_a_message_the_rules_still_decide() -> None:
    from dataclasses import replace

    broken = replace(MODEL, weights={**MODEL.weights, "w:hitting": (1.0,)})
    triage = decide("he is hitting her now with a belt, the kids are screaming", broken)
    assert triage.label is TriageLabel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "Dziecko sąsiada krzyczy, ojciec go bije teraz",
        "el niño está en peligro ahora, su padre le está pegando",
        "بچه در خطر است",
    ],
)
def test_text_the_bot_cannot_read_gets_the_signpost(text: str) -> None:
    triage = decide(text, MODEL)
    assert triage.safety_signpost
    assert "unreadable" in triage.cues


@pytest.mark.parametrize(
    "tail",
    [
        "Update: dad is back at the house now and is hitting her.",
        "Now the 13 year old has run off with a man in his 30s who picked her up ten minutes ago",
    ],
)
def test_danger_at_the_end_of_a_long_paste_is_read(tail: str) -> None:
    minutes = " ".join(
        ["The meeting discussed the family's housing situation and school attendance."] * 300
    )
    assert decide(f"{minutes} {tail}", MODEL).label is TriageLabel.EMERGENCY


def test_teaching_and_exercise_questions_do_not_get_999_from_the_model_alone() -> None:
    for text in (
        "How do I book onto the Level 3 course on responding to children at risk of suicide?",
        "I'm writing a scenario for our multi-agency exercise: a teenager threatens to jump"
        " from a bridge. Which agencies should attend?",
    ):
        assert decide(text, MODEL).label is not TriageLabel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    ["HELP HELP HELP", "police officer: we've found a 6 year old locked in a shed, hypothermic"],
)
def test_cries_for_help_and_children_found_in_danger_are_emergencies(text: str) -> None:
    assert decide(text, MODEL).label is TriageLabel.EMERGENCY
