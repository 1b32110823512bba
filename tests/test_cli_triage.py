"""`review-bot triage`: one message, a JSONL file, an evaluation, and one-line errors."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from cli.triage import add_parser, run

DEV = Path(__file__).parent / "data" / "triage_dev.jsonl"


def invoke(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="review-bot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["triage", *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(args, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_message_prints_label_signpost_and_cues() -> None:
    code, out, err = invoke("theres", "a", "man", "with", "a", "knife", "in", "the", "house", "now")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "label: emergency"
    assert lines[1] == "safety signpost: yes"
    assert lines[2].startswith("cues: ")
    assert "emergency:weapon" in lines[2]


def test_chit_chat_has_no_signpost() -> None:
    code, out, _ = invoke("thanks")
    assert code == 0
    assert "label: chit_chat\nsafety signpost: no\n" in out


def test_jsonl_classifies_every_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "in.jsonl",
        [
            json.dumps({"id": "m1", "text": "baby not breathing"}),
            "",
            json.dumps({"id": "m2", "text": "any update on COV-2026-003"}),
        ],
    )
    code, out, err = invoke("--jsonl", str(path))
    assert (code, err) == (0, "")
    assert [json.loads(line) for line in out.splitlines()] == [
        {"id": "m1", "label": "emergency", "safety_signpost": True},
        {"id": "m2", "label": "case_status", "safety_signpost": False},
    ]


def test_eval_prints_scores_and_every_safety_miss(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "gold.jsonl",
        [
            json.dumps(
                {
                    "id": "e1",
                    "text": "baby not breathing",
                    "label": "emergency",
                    "safety_signpost": True,
                }
            ),
            json.dumps(
                {"id": "e2", "text": "hello", "label": "emergency", "safety_signpost": True}
            ),
            json.dumps(
                {"id": "c1", "text": "thanks", "label": "chit_chat", "safety_signpost": False}
            ),
        ],
    )
    code, out, err = invoke("--eval", str(path))
    assert (code, err) == (0, "")
    assert "emergency recall        0.500" in out
    assert "safety-signpost recall  0.500" in out
    assert "macro-F1" in out
    assert "ms per message" in out
    assert "safety misses: 1" in out
    assert "  e2: gold emergency+signpost, predicted chit_chat: hello" in out
    matrix = out.split("confusion matrix:\n", 1)[1].splitlines()
    assert matrix[0].split()[-7:] == [
        "emerg",
        "concern",
        "review",
        "process",
        "status",
        "other",
        "chat",
    ]
    # Rows are gold labels, columns predicted: emergency 1 right and 1 as chit-chat.
    assert matrix[1].split() == ["emergency", "1", "0", "0", "0", "0", "0", "1"]
    assert matrix[7].split() == ["chit_chat", "0", "0", "0", "0", "0", "0", "1"]


def test_rules_only_scores_the_rules_without_the_model(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "gold.jsonl",
        [json.dumps({"id": "e1", "text": "hi", "label": "chit_chat", "safety_signpost": False})],
    )
    code, out, _ = invoke("--eval", str(path), "--rules-only")
    assert code == 0
    assert "macro-F1                1.000" in out


def test_eval_on_the_dev_set(tmp_path: Path) -> None:
    code, out, err = invoke("--eval", str(DEV))
    assert (code, err) == (0, "")
    for label in ("emergency", "individual_concern", "review_referral", "chit_chat"):
        assert f"\n{label} " in out
    assert "safety misses: 0" in out


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ['{"id": "1", "text": "hi", "label": "chit_chat", "safety_signpost": false}', "{oops"],
            "line 2: not valid JSON",
        ),
        (
            ['{"id": "1", "text": "hi", "label": "small_talk", "safety_signpost": false}'],
            "line 1: unknown label 'small_talk'",
        ),
        (
            ['{"id": "1", "text": "hi", "label": "chit_chat", "safety_signpost": "no"}'],
            "line 1: 'safety_signpost' missing or not true/false",
        ),
        ([""], "no examples"),
    ],
)
def test_eval_bad_file_is_a_one_line_error(tmp_path: Path, lines: list[str], expected: str) -> None:
    path = write(tmp_path, "bad.jsonl", lines)
    code, out, err = invoke("--eval", str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("review-bot triage: error: ")
    assert expected in err


def test_jsonl_bad_line_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", ['{"id": "1", "text": "hi"}', '{"id": "2"}'])
    code, _, err = invoke("--jsonl", str(path))
    assert code == 2
    assert "line 2: 'text' missing or not a string" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("option", ["--eval", "--jsonl"])
def test_missing_file(tmp_path: Path, option: str) -> None:
    code, out, err = invoke(option, str(tmp_path / "nope.jsonl"))
    assert (code, out) == (2, "")
    assert err == f"review-bot triage: error: {tmp_path / 'nope.jsonl'}: no such file\n"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "1", "text": "caf\xe9"}\n')
    code, _, err = invoke("--jsonl", str(path))
    assert code == 2
    assert "not UTF-8" in err


@pytest.mark.parametrize(
    "argv", [(), ("--eval", "a.jsonl", "hello"), ("--eval", "a", "--jsonl", "b")]
)
def test_exactly_one_input(argv: tuple[str, ...]) -> None:
    code, out, err = invoke(*argv)
    assert (code, out) == (2, "")
    assert "give exactly one of TEXT, --eval FILE or --jsonl FILE" in err
