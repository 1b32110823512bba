"""Train the triage model (`make triage-model`): scikit-learn, development only, reproducible.

Reads the training sets (tests/data/triage/train-*.jsonl, each by another author who never saw
the rules, and the older dev set), fits a multinomial logistic regression over the labels and a
binary one for the safety signpost on `safeguarding.triage_model.features`, and chooses the
thresholds from out-of-fold predictions where each author's messages are predicted by a model
that never saw that author. Test set B is never read here. Writes the model file
beside `safeguarding/triage_model.py` and prints the out-of-fold figures.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safeguarding.triage import CHILD_DEATH_WITHOUT_SUSPICION, Triage, TriageLabel, classify
from safeguarding.triage_model import (
    FORMAT,
    MODEL_FILE,
    features,
    features_digest,
    model_from_dict,
)

DATA = Path(__file__).parent / "data"
# Each file is one author's. Test set A joined the training data after it was measured once
# (frozen, before any tuning on it): the honest figures after tuning come from test set B.
TRAINING = [*sorted((DATA / "triage").glob("train-*.jsonl")), DATA / "triage" / "test-a.jsonl"]
OLDER = DATA / "triage_dev.jsonl"
LABELS = tuple(TriageLabel)
C = 4.0
MIN_COUNT = 2
SCALE = 1000  # weights are stored as integers in thousandths
# Thresholds sit this far below the lowest out-of-fold probability they must catch: a margin
# for authors the model has not met.
MARGIN = 0.8
WEIGHT_FLOOR = 0.0005


@dataclass
class Example:
    """A training message with its rules' reading and features."""

    id: str
    label: TriageLabel
    signpost: bool
    rules: Triage
    features: list[str]


def training_texts() -> list[str]:
    """Every training text, in file order (the features digest is taken over them)."""
    texts = []
    for path in [*TRAINING, OLDER]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def load(path: Path) -> list[Example]:
    """The examples of one JSONL file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        rules = classify(row["text"])
        out.append(
            Example(
                row["id"],
                TriageLabel(row["label"]),
                bool(row["safety_signpost"]),
                rules,
                features(row["text"], rules),
            )
        )
    return out


def _vocabulary(examples: Sequence[Example]) -> dict[str, int]:
    counts = Counter(f for e in examples for f in set(e.features))
    kept = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    return {f: i for i, f in enumerate(kept)}


def _matrix(examples: Sequence[Example], vocabulary: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for r, example in enumerate(examples):
        columns = [vocabulary[f] for f in example.features if f in vocabulary]
        for c in columns:
            rows.append(r)
            cols.append(c)
            values.append(1 / math.sqrt(len(columns)))
    return csr_matrix((values, (rows, cols)), shape=(len(examples), len(vocabulary)))


@dataclass
class Fitted:
    """The two fitted models over one vocabulary."""

    vocabulary: dict[str, int]
    labels: Any
    signpost: Any


def fit(examples: Sequence[Example]) -> Fitted:
    """Fit the label and signpost models (lbfgs: deterministic)."""
    from sklearn.linear_model import LogisticRegression

    vocabulary = _vocabulary(examples)
    x = _matrix(examples, vocabulary)
    labels = LogisticRegression(C=C, max_iter=5000)
    labels.fit(x, [LABELS.index(e.label) for e in examples])
    signpost = LogisticRegression(C=C, max_iter=5000)
    signpost.fit(x, [int(e.signpost) for e in examples])
    return Fitted(vocabulary, labels, signpost)


def _probabilities(fitted: Fitted, examples: Sequence[Example]) -> list[tuple[list[float], float]]:
    x = _matrix(examples, fitted.vocabulary)
    label_p = fitted.labels.predict_proba(x)
    signpost_p = fitted.signpost.predict_proba(x)[:, 1]
    # Classes the fold never saw would shift columns; every fold sees every label.
    assert list(fitted.labels.classes_) == list(range(len(LABELS)))
    return [(list(map(float, p)), float(s)) for p, s in zip(label_p, signpost_p, strict=True)]


def out_of_fold(folds: Sequence[list[Example]], extra: list[Example]) -> list[Any]:
    """Each author's messages predicted by a model trained on the others (and the dev set)."""
    predicted = []
    for k, held in enumerate(folds):
        train = [e for j, fold in enumerate(folds) if j != k for e in fold] + extra
        predicted.extend(zip(held, _probabilities(fit(train), held), strict=True))
    return predicted


def thresholds(predicted: Sequence[Any]) -> tuple[float, float]:
    """The emergency and signpost thresholds that catch every out-of-fold case, with margin."""
    em = LABELS.index(TriageLabel.EMERGENCY)
    missed_by_rules = [
        p[em]
        for e, (p, _) in predicted
        if e.label is TriageLabel.EMERGENCY and e.rules.label is not TriageLabel.EMERGENCY
    ]
    emergency = MARGIN * min(missed_by_rules, default=0.5)
    needs = [
        s
        for e, (p, s) in predicted
        if e.signpost
        and not e.rules.safety_signpost
        and e.label not in _SIGNPOSTED
        and not (p[em] >= emergency)
    ]
    signpost = MARGIN * min(needs, default=0.5)
    return round(emergency, 4), round(signpost, 4)


_SIGNPOSTED = (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN)


def _decided(example: Example, p: list[float], s: float, limits: tuple[float, float]) -> Any:
    # The same decision as safeguarding.triage_model.decide, on out-of-fold probabilities.
    em = LABELS.index(TriageLabel.EMERGENCY)
    rules = example.rules
    if rules.label is TriageLabel.EMERGENCY or p[em] >= limits[0]:
        label = TriageLabel.EMERGENCY
    elif CHILD_DEATH_WITHOUT_SUSPICION in rules.cues and rules.label is TriageLabel.OTHER_SERVICE:
        label = TriageLabel.OTHER_SERVICE
    else:
        label = max(
            (x for x in LABELS if x is not TriageLabel.EMERGENCY), key=lambda x: p[LABELS.index(x)]
        )
    signpost = label in _SIGNPOSTED or rules.safety_signpost or s >= limits[1]
    return label, signpost


def report(predicted: Sequence[Any], limits: tuple[float, float]) -> str:
    """Out-of-fold figures at the chosen thresholds, as the eval command counts them."""
    decided = [(e, *_decided(e, p, s, limits)) for e, (p, s) in predicted]
    f1s = []
    precision_rr = 0.0
    for label in LABELS:
        tp = sum(e.label is label and got is label for e, got, _ in decided)
        fp = sum(e.label is not label and got is label for e, got, _ in decided)
        fn = sum(e.label is label and got is not label for e, got, _ in decided)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        if label is TriageLabel.REVIEW_REFERRAL:
            precision_rr = precision
    emergencies = [got for e, got, _ in decided if e.label is TriageLabel.EMERGENCY]
    signposts = [sign for e, _, sign in decided if e.signpost]
    em = LABELS.index(TriageLabel.EMERGENCY)
    lowest = sorted(
        (round(p[em], 3), e.id)
        for e, (p, _) in predicted
        if e.label is TriageLabel.EMERGENCY and e.rules.label is not TriageLabel.EMERGENCY
    )[:5]
    return (
        f"out of fold: emergency recall "
        f"{sum(g is TriageLabel.EMERGENCY for g in emergencies) / len(emergencies):.3f}, "
        f"signpost recall {sum(signposts) / len(signposts):.3f}, review-referral precision "
        f"{precision_rr:.3f}, macro-F1 {sum(f1s) / len(f1s):.3f}; lowest emergencies {lowest}\n"
    )


def export(fitted: Fitted, limits: tuple[float, float]) -> dict[str, Any]:
    """The model's JSON form: integer weights per feature, features that weigh nothing left out."""
    label_w = fitted.labels.coef_
    signpost_w = fitted.signpost.coef_[0]
    weights: dict[str, list[int]] = {}
    for feat, i in fitted.vocabulary.items():
        row = [float(v) for v in label_w[:, i]] + [float(signpost_w[i])]
        if max(abs(v) for v in row) < WEIGHT_FLOOR:
            continue
        weights[feat] = [round(v * SCALE) for v in row]
    bias = [float(v) for v in fitted.labels.intercept_] + [float(fitted.signpost.intercept_[0])]
    return {
        "format": FORMAT,
        "scale": SCALE,
        "labels": [label.value for label in LABELS],
        "bias": [round(v, 6) for v in bias],
        "thresholds": {"emergency": limits[0], "signpost": limits[1]},
        "trained_on": [p.name for p in TRAINING] + [OLDER.name],
        "features_digest": features_digest(training_texts()),
        "weights": dict(sorted(weights.items())),
    }


def main(argv: Sequence[str] = ()) -> int:
    """Train, choose thresholds out of fold, write the model, print the figures."""
    folds = [load(p) for p in TRAINING]
    older = load(OLDER)
    predicted = out_of_fold(folds, older)
    limits = thresholds(predicted)
    sys.stdout.write(report(predicted, limits))
    fitted = fit([e for fold in folds for e in fold] + older)
    data = export(fitted, limits)
    # Check the file reads back as the runtime will read it.
    model_from_dict(data)
    blob = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
    out = Path(argv[0]) if argv else MODEL_FILE
    out.write_bytes(gzip.compress(blob, mtime=0))
    sys.stdout.write(
        f"trained on {sum(len(f) for f in folds) + len(older)} messages, "
        f"{len(data['weights'])} features kept; thresholds emergency {limits[0]}, "
        f"signpost {limits[1]}; wrote {out} ({out.stat().st_size // 1024} KiB)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
