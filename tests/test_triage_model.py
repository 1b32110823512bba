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
