"""The learned second opinion beside the triage rules: a linear model applied in plain Python.

It was trained (`make triage-model`, scikit-learn, development only) on messages written by
people who never saw the rules; its weights ship beside this module as `triage_model.json.gz`.
`features` is the one featuriser for training and for use, so both see the same features: words,
word pairs and character n-grams of the normalised text, plus the rules' own reading (their
label and the cues that fired). Nothing here reads the clock or the network; the model file is
read once by `load_model`, and `TriageModel.score` is pure and deterministic.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from safeguarding.triage import (
    CHILD_DEATH_WITHOUT_SUSPICION,
    Triage,
    TriageLabel,
    classify,
    normalise,
)

MODEL_FILE = Path(__file__).with_name("triage_model.json.gz")
SIGNPOST = "signpost"
FORMAT = 1

# Character n-grams of each word, padded: catches misspellings and word forms ("stabbin").
_CHAR_SIZES = (3, 4, 5)
# The longest message featurised in full; the rules read up to their own limit.
_MAX_WORDS = 400


def features_digest(texts: Iterable[str]) -> str:
    """A digest of the features of some texts: it changes when the rules or the featuriser do,
    which means the model must be trained again (`make triage-model`)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update("\x1f".join(features(text)).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


class ModelFileError(ValueError):
    """The model file is missing, unreadable or of another format."""


def features(text: str, rules: Triage | None = None, normalised: str | None = None) -> list[str]:
    """Every feature of a message, each once, in a stable order."""
    reading = rules if rules is not None else classify(text)
    norm = normalised if normalised is not None else normalise(text)
    words = [w for w in norm.split() if w][:_MAX_WORDS]
    found: dict[str, None] = {}
    previous = ""
    for word in words:
        if word == "|":
            previous = ""
            continue
        found["w:" + word] = None
        if previous:
            found[f"b:{previous} {word}"] = None
        previous = word
        padded = f" {word} "
        for size in _CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                found["c:" + padded[start : start + size]] = None
    found["r:label=" + reading.label.value] = None
    if reading.safety_signpost:
        found["r:signpost"] = None
    for cue in reading.cues:
        found["r:cue=" + cue] = None
    return list(found)


@dataclass(frozen=True, slots=True)
class Opinion:
    """The model's probabilities: one per label, and that the message needs the signpost."""

    label_probabilities: Mapping[TriageLabel, float]
    signpost_probability: float
    top_features: tuple[str, ...]

    @property
    def best(self) -> TriageLabel:
        """The most probable label."""
        return max(self.label_probabilities, key=lambda label: self.label_probabilities[label])

    def probability(self, label: TriageLabel) -> float:
        """The probability of one label."""
        return self.label_probabilities.get(label, 0.0)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The probabilities above which the model alone calls an emergency or the signpost."""

    emergency: float
    signpost: float


@dataclass(frozen=True)
class TriageModel:
    """A multinomial model over the labels and a binary model for the signpost, over one
    feature index; weights are per feature, one column per output."""

    labels: tuple[TriageLabel, ...]
    weights: Mapping[str, Sequence[float]]
    bias: Sequence[float]
    thresholds: Thresholds

    def score(
        self, text: str, rules: Triage | None = None, normalised: str | None = None
    ) -> Opinion:
        """The model's opinion of a message, with the features that weighed most for it."""
        feats = [f for f in features(text, rules, normalised) if f in self.weights]
        norm = 1.0 / math.sqrt(len(feats)) if feats else 0.0
        outputs = len(self.labels) + 1
        totals = list(self.bias)
        for feat in feats:
            row = self.weights[feat]
            for i in range(outputs):
                totals[i] += row[i] * norm
        label_logits = totals[: len(self.labels)]
        top = max(label_logits)
        exps = [math.exp(v - top) for v in label_logits]
        total = sum(exps)
        probabilities = {label: e / total for label, e in zip(self.labels, exps, strict=True)}
        signpost = 1.0 / (1.0 + math.exp(-totals[-1]))
        best = self.labels[label_logits.index(top)]
        column = self.labels.index(best)
        ranked = sorted(feats, key=lambda f: -self.weights[f][column])
        return Opinion(probabilities, signpost, tuple(ranked[:3]))


def model_from_dict(data: Mapping[str, object]) -> TriageModel:
    """A model from its JSON form; ModelFileError when it is not one."""
    try:
        if data["format"] != FORMAT:
            raise ModelFileError(f"model format {data['format']!r}, expected {FORMAT}")
        scale = float(data["scale"])  # type: ignore[arg-type]
        labels = tuple(TriageLabel(v) for v in data["labels"])  # type: ignore[attr-defined]
        raw: Mapping[str, Iterable[int]] = data["weights"]  # type: ignore[assignment]
        weights = {feat: tuple(v / scale for v in row) for feat, row in raw.items()}
        bias = tuple(float(v) for v in data["bias"])  # type: ignore[attr-defined]
        limits: Mapping[str, float] = data["thresholds"]  # type: ignore[assignment]
        thresholds = Thresholds(float(limits["emergency"]), float(limits["signpost"]))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"not a triage model ({type(exc).__name__}: {exc})") from None
    outputs = len(labels) + 1
    if len(bias) != outputs:
        raise ModelFileError("the model's bias does not match its labels")
    # A bad row or threshold would break or silence the screen on some messages only: refuse it.
    if any(len(row) != outputs for row in weights.values()):
        raise ModelFileError("a weight row does not match the model's labels")
    values = [*bias, *(v for row in weights.values() for v in row)]
    if not all(math.isfinite(v) for v in values):
        raise ModelFileError("the model holds a weight that is not a finite number")
    if not (0 < thresholds.emergency < 1 and 0 < thresholds.signpost < 1):
        raise ModelFileError("the model's thresholds must lie between 0 and 1")
    return TriageModel(labels, weights, bias, thresholds)


def load_model(path: Path = MODEL_FILE) -> TriageModel:
    """Read the shipped model (gzip-compressed JSON)."""
    try:
        data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot read the triage model ({exc})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{path}: not a triage model")
    return model_from_dict(data)


_SIGNPOSTED = frozenset({TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN})


# Long pastes: the head and the tail are read, so danger in the last lines is never lost.
_HEAD_CHARS = 2000
_TAIL_CHARS = 1000
# Words the model knows below this share: perhaps another language; the signpost shows.
_KNOWN_SHARE = 0.35
_MIN_WORDS_TO_JUDGE = 3
# Teaching, exercises and reports: the model alone calls 999 there only when it is sure.
_TRAINING_CONTEXT = re.compile(
    r"\b(?:exercise|scenario|tabletop|training|course|conference|poster|podcast|webinar"
    r"|annual report|audit|statistics|role ?play|case study|slides|lesson plan)\b"
)
_SURE = 0.5


def _parts(text: str) -> list[str]:
    if len(text) <= _HEAD_CHARS + _TAIL_CHARS:
        return [text]
    return [text[:_HEAD_CHARS], text[-_TAIL_CHARS:]]


def _unreadable(text: str, model: TriageModel, normalised: str) -> bool:
    # Text in another language or script: the rules and the model cannot read it, and a
    # worry about a child may be in it. The signpost (with its 999 line) goes out.
    letters = [c for c in text if c.isalpha()]
    if len(letters) < _MIN_WORDS_TO_JUDGE * 2:
        return False
    words = [w for w in normalised.split() if w != "|"]
    if not words:
        return True  # letters, but none the normaliser reads: another script
    if len(words) < _MIN_WORDS_TO_JUDGE:
        return False  # too short to judge ("thanks", "ok")
    known = sum(1 for w in words if "w:" + w in model.weights)
    return known / len(words) < _KNOWN_SHARE


def decide(text: str, model: TriageModel | None) -> Triage:
    """The rules and the model together: either may call an emergency or the signpost.

    The safety screen is its own decision, judged apart from the label: an emergency when the
    rules say so or the model's emergency probability reaches its threshold; the signpost when
    the label needs it, the rules say so, or the model's signpost probability reaches its
    threshold, or the text cannot be read. A long paste is read at its head and its tail, each
    part on its own, and the most urgent reading wins. The label otherwise is the model's,
    which has learned how far to trust the rules.
    """
    readings = [_decide_part(part, model) for part in _parts(text)]
    if len(readings) == 1:
        return readings[0]
    urgent = [r for r in readings if r.label is TriageLabel.EMERGENCY]
    first = urgent[0] if urgent else readings[0]
    signpost = any(r.safety_signpost for r in readings)
    cues = tuple(dict.fromkeys(c for r in readings for c in r.cues))
    return Triage(label=first.label, safety_signpost=signpost, cues=cues)


def _decide_part(text: str, model: TriageModel | None) -> Triage:
    rules = classify(text)
    if model is None:
        return rules
    try:
        # Normalised once here for the model's features and the readability check.
        norm = normalise(text)
        opinion = model.score(text, rules, norm)
    except (ArithmeticError, IndexError, ValueError):
        # The rules stand alone rather than the screen failing; load_model refuses bad files.
        return rules
    limits = model.thresholds
    p_emergency = opinion.probability(TriageLabel.EMERGENCY)
    needed = _SURE if _TRAINING_CONTEXT.search(text.casefold()) else limits.emergency
    if rules.label is TriageLabel.EMERGENCY or p_emergency >= needed:
        label = TriageLabel.EMERGENCY
    elif CHILD_DEATH_WITHOUT_SUSPICION in rules.cues and rules.label is TriageLabel.OTHER_SERVICE:
        # A child's death with no suspicion of abuse or neglect is the child death review's
        # (CDOP), never a case review referral, however much it reads like one.
        label = TriageLabel.OTHER_SERVICE
    else:
        others = [label for label in model.labels if label is not TriageLabel.EMERGENCY]
        label = max(others, key=opinion.probability)
    unreadable = _unreadable(text, model, norm)
    signpost = (
        label in _SIGNPOSTED
        or rules.safety_signpost
        or opinion.signpost_probability >= limits.signpost
        or unreadable
    )
    cues = (
        *rules.cues,
        *(("unreadable",) if unreadable else ()),
        f"model:{label.value}",
        *(f"model:{feature}" for feature in opinion.top_features),
    )
    return Triage(label=label, safety_signpost=signpost, cues=cues)
