"""`review-bot triage`: classify a message, a JSONL file of messages, or evaluate a labelled set."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from cli.common import EXIT_OK, EXIT_USAGE, Subparsers
from safeguarding.triage import Triage, TriageLabel, classify
from safeguarding.triage_eval import (
    DatasetError,
    EvalReport,
    Example,
    Message,
    evaluate,
    parse_examples,
    parse_messages,
)
from safeguarding.triage_model import ModelFileError, decide, load_model

COMMAND = "triage"
Classifier = Callable[[str], Triage]


class _InputError(Exception):
    """A bad command-line input or file, reported on one line with exit code 2."""


def add_parser(subparsers: Subparsers) -> None:
    """Register the `triage` subcommand and its options."""
    parser = subparsers.add_parser(
        COMMAND,
        help="triage a message: emergency, concern, review referral, question, ...",
        description=(
            "Classify one message (TEXT), every message of a JSONL file (--jsonl FILE, lines "
            '{"id", "text"}), or score the classifier on a labelled JSONL file (--eval FILE, '
            'lines {"id", "text", "label", "safety_signpost"}).'
        ),
    )
    parser.add_argument("--eval", metavar="FILE", type=Path, help="labelled JSONL file to score")
    parser.add_argument("--jsonl", metavar="FILE", type=Path, help="JSONL file to classify")
    parser.add_argument(
        "--rules-only", action="store_true", help="the rules alone, without the learned model"
    )
    parser.add_argument("text", nargs="*", metavar="TEXT", help="a message to classify")
    parser.set_defaults(handler=run)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise _InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise _InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise _InputError(f"{path}: cannot read ({exc.strerror})") from None


def _load_examples(path: Path) -> list[Example]:
    try:
        examples = parse_examples(_read_lines(path))
    except DatasetError as exc:
        raise _InputError(f"{path}: {exc}") from None
    if not examples:
        raise _InputError(f"{path}: no examples")
    return examples


def _load_messages(path: Path) -> list[Message]:
    try:
        return parse_messages(_read_lines(path))
    except DatasetError as exc:
        raise _InputError(f"{path}: {exc}") from None


def render_report(report: EvalReport, *, source: str) -> str:
    """The evaluation as text: per-label scores, the safety figures and every safety miss."""
    out = [f"triage evaluation of {source}: {report.count} messages", ""]
    out.append(
        f"{'label':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'gold':>5} {'predicted':>9}"
    )
    out.extend(
        f"{s.label.value:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} "
        f"{s.support:>5} {s.predicted:>9}"
        for s in report.per_label
    )
    out.append("")
    out.append(f"macro-F1                {report.macro_f1:.3f}")
    out.append(f"accuracy                {report.accuracy:.3f}")
    out.append(f"safety-signpost recall  {report.signpost_recall:.3f}")
    out.append(f"emergency recall        {report.emergency_recall:.3f}")
    if report.ms_per_message is not None:
        out.append(f"ms per message          {report.ms_per_message:.3f}")
    out.extend(["", *_matrix_lines(report)])
    out.append("")
    out.append(f"safety misses: {len(report.safety_misses)}")
    for miss in report.safety_misses:
        gold = f"{miss.gold_label.value}{'+signpost' if miss.gold_signpost else ''}"
        predicted = f"{miss.predicted_label.value}{'+signpost' if miss.predicted_signpost else ''}"
        out.append(f"  {miss.id}: gold {gold}, predicted {predicted}: {miss.text}")
    return "\n".join(out) + "\n"


_SHORT = {
    TriageLabel.EMERGENCY: "emerg",
    TriageLabel.INDIVIDUAL_CONCERN: "concern",
    TriageLabel.REVIEW_REFERRAL: "review",
    TriageLabel.PROCESS_QUESTION: "process",
    TriageLabel.CASE_STATUS: "status",
    TriageLabel.OTHER_SERVICE: "other",
    TriageLabel.CHIT_CHAT: "chat",
}


def _matrix_lines(report: EvalReport) -> list[str]:
    """The confusion matrix: a row per gold label, a column per predicted label."""
    counts = {(g, p): n for g, p, n in report.confusions}
    for score in report.per_label:
        hits = score.support - sum(n for (g, _), n in counts.items() if g is score.label)
        counts[(score.label, score.label)] = hits
    labels = list(TriageLabel)
    header = "gold \\ predicted  " + " ".join(f"{_SHORT[p]:>7}" for p in labels)
    rows = [
        f"{g.value:<18} " + " ".join(f"{counts.get((g, p), 0):>7}" for p in labels) for g in labels
    ]
    return ["confusion matrix:", header, *rows]


def _classifier(rules_only: bool) -> Classifier:
    if rules_only:
        return classify
    try:
        model = load_model()
    except ModelFileError as exc:
        raise _InputError(str(exc)) from None
    return lambda text: decide(text, model)


def _run_eval(path: Path, stdout: TextIO, classifier: Classifier) -> None:
    examples = _load_examples(path)
    # The CLI is the edge: it owns the clock, the evaluation module only calls it.
    report = evaluate(examples, classifier=classifier, timer=time.perf_counter)
    stdout.write(render_report(report, source=str(path)))


def _run_jsonl(path: Path, stdout: TextIO, classifier: Classifier) -> None:
    for message in _load_messages(path):
        result = classifier(message.text)
        line = {
            "id": message.id,
            "label": result.label.value,
            "safety_signpost": result.safety_signpost,
        }
        stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def _run_text(words: Sequence[str], stdout: TextIO, classifier: Classifier) -> None:
    result = classifier(" ".join(words))
    stdout.write(f"label: {result.label.value}\n")
    stdout.write(f"safety signpost: {'yes' if result.safety_signpost else 'no'}\n")
    stdout.write(f"cues: {', '.join(result.cues) if result.cues else '-'}\n")


def run(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Run `review-bot triage`; 0 on success, 2 on bad input."""
    eval_path: Path | None = args.eval
    jsonl_path: Path | None = args.jsonl
    words: list[str] = args.text
    try:
        chosen = sum(bool(x) for x in (eval_path, jsonl_path, words))
        if chosen != 1:
            raise _InputError("give exactly one of TEXT, --eval FILE or --jsonl FILE")
        classifier = _classifier(bool(args.rules_only))
        if eval_path is not None:
            _run_eval(eval_path, stdout, classifier)
        elif jsonl_path is not None:
            _run_jsonl(jsonl_path, stdout, classifier)
        else:
            _run_text(words, stdout, classifier)
    except _InputError as exc:
        message = " ".join(str(exc).split())
        stderr.write(f"review-bot {COMMAND}: error: {message}\n")
        return EXIT_USAGE
    return EXIT_OK
