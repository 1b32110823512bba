"""Evaluation of the triage classifier on labelled examples: pure, the caller brings the clock.

`parse_examples` reads JSONL lines `{"id", "text", "label", "safety_signpost"}`; `evaluate`
classifies each example and reports per-label precision and recall, macro-F1, the recall of the
safety signpost and of emergencies, and every safety miss.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from safeguarding.triage import Triage, TriageLabel, classify


class DatasetError(ValueError):
    """A line of a triage data file that cannot be used; names its 1-based line number."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Message:
    """A message to classify: an id and its text."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled message: the gold label and whether the signpost must be shown."""

    id: str
    text: str
    label: TriageLabel
    safety_signpost: bool


@dataclass(frozen=True, slots=True)
class LabelScore:
    """Precision, recall and F1 of one label, with its gold and predicted counts."""

    label: TriageLabel
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True, slots=True)
class SafetyMiss:
    """A message whose gold answer needed safety action the classifier did not give."""

    id: str
    text: str
    gold_label: TriageLabel
    gold_signpost: bool
    predicted_label: TriageLabel
    predicted_signpost: bool


@dataclass(frozen=True, slots=True)
class EvalReport:
    """The scores of one evaluation run."""

    count: int
    accuracy: float
    per_label: tuple[LabelScore, ...]
    macro_f1: float
    signpost_recall: float
    emergency_recall: float
    safety_misses: tuple[SafetyMiss, ...]
    confusions: tuple[tuple[TriageLabel, TriageLabel, int], ...]
    ms_per_message: float | None

    def score(self, label: TriageLabel) -> LabelScore:
        """The scores of one label."""
        return next(s for s in self.per_label if s.label is label)


def _json_object(line: str, number: int) -> dict[str, object]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(number, f"not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise DatasetError(number, "not a JSON object")
    return value


def _text_field(obj: dict[str, object], key: str, number: int) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise DatasetError(number, f"'{key}' missing or not a string")
    return value


def _numbered(lines: Iterable[str]) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def parse_messages(lines: Iterable[str]) -> list[Message]:
    """Parse JSONL lines `{"id", "text"}`; blank lines are skipped."""
    messages: list[Message] = []
    for number, line in _numbered(lines):
        obj = _json_object(line, number)
        messages.append(Message(_text_field(obj, "id", number), _text_field(obj, "text", number)))
    return messages


def parse_examples(lines: Iterable[str]) -> list[Example]:
    """Parse labelled JSONL lines; raise DatasetError naming the first bad line."""
    known = {label.value for label in TriageLabel}
    examples: list[Example] = []
    for number, line in _numbered(lines):
        obj = _json_object(line, number)
        label = _text_field(obj, "label", number)
        if label not in known:
            raise DatasetError(number, f"unknown label '{label}'")
        signpost = obj.get("safety_signpost")
        if not isinstance(signpost, bool):
            raise DatasetError(number, "'safety_signpost' missing or not true/false")
        examples.append(
            Example(
                _text_field(obj, "id", number),
                _text_field(obj, "text", number),
                TriageLabel(label),
                signpost,
            )
        )
    return examples


def _ratio(numerator: int, denominator: int, *, empty: float) -> float:
    return numerator / denominator if denominator else empty


def evaluate(
    examples: Sequence[Example],
    *,
    classifier: Callable[[str], Triage] = classify,
    timer: Callable[[], float] | None = None,
) -> EvalReport:
    """Classify every example and score the answers; `timer` (seconds) enables timing."""
    started = timer() if timer is not None else 0.0
    predictions = [classifier(example.text) for example in examples]
    elapsed = (timer() - started) if timer is not None else None

    pairs = Counter((e.label, p.label) for e, p in zip(examples, predictions, strict=True))
    gold_counts = Counter(e.label for e in examples)
    predicted_counts = Counter(p.label for p in predictions)
    per_label: list[LabelScore] = []
    for label in TriageLabel:
        hits = pairs[(label, label)]
        precision = _ratio(hits, predicted_counts[label], empty=0.0)
        recall = _ratio(hits, gold_counts[label], empty=0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label.append(
            LabelScore(label, precision, recall, f1, gold_counts[label], predicted_counts[label])
        )
    scored = [s for s in per_label if s.support or s.predicted]
    macro_f1 = sum(s.f1 for s in scored) / len(scored) if scored else 0.0

    misses: list[SafetyMiss] = []
    for example, prediction in zip(examples, predictions, strict=True):
        missed_signpost = example.safety_signpost and not prediction.safety_signpost
        missed_emergency = (
            example.label is TriageLabel.EMERGENCY and prediction.label is not TriageLabel.EMERGENCY
        )
        if missed_signpost or missed_emergency:
            misses.append(
                SafetyMiss(
                    example.id,
                    example.text,
                    example.label,
                    example.safety_signpost,
                    prediction.label,
                    prediction.safety_signpost,
                )
            )

    needs_signpost = [p for e, p in zip(examples, predictions, strict=True) if e.safety_signpost]
    confusions = sorted(
        ((gold, predicted, n) for (gold, predicted), n in pairs.items() if gold is not predicted),
        key=lambda item: (-item[2], item[0].value, item[1].value),
    )
    return EvalReport(
        count=len(examples),
        accuracy=_ratio(
            sum(pairs[(label, label)] for label in TriageLabel), len(examples), empty=0
        ),
        per_label=tuple(per_label),
        macro_f1=macro_f1,
        signpost_recall=_ratio(
            sum(p.safety_signpost for p in needs_signpost), len(needs_signpost), empty=1.0
        ),
        emergency_recall=_ratio(
            pairs[(TriageLabel.EMERGENCY, TriageLabel.EMERGENCY)],
            gold_counts[TriageLabel.EMERGENCY],
            empty=1.0,
        ),
        safety_misses=tuple(misses),
        confusions=tuple(confusions),
        ms_per_message=(
            elapsed * 1000 / len(examples) if elapsed is not None and examples else None
        ),
    )
