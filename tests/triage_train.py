"""Train the triage model (`make triage-model`): scikit-learn, development only, reproducible.

Reads the training sets (tests/data/triage/train-*.jsonl, each by another author who never saw
the rules, and the older dev set), fits a multinomial logistic regression over the labels and a
binary one for the safety signpost on `safeguarding.triage_model.features`, and chooses the
thresholds from out-of-fold predictions where each author's messages are predicted by a model
that never saw that author. The frozen test sets are never read here. Writes the model file
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

from safeguarding.triage import Triage, TriageLabel, classify
from safeguarding.triage_model import FORMAT, MODEL_FILE, features, model_from_dict

DATA = Path(__file__).parent / "data"
TRAINING = sorted((DATA / "triage").glob("train-*.jsonl"))
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
        "weights": dict(sorted(weights.items())),
    }


def main(argv: Sequence[str] = ()) -> int:
    """Train, choose thresholds out of fold, write the model, print the figures."""
    folds = [load(p) for p in TRAINING]
    older = load(OLDER)
    predicted = out_of_fold(folds, older)
    limits = thresholds(predicted)
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
