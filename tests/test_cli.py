"""The review-bot command: subcommands are wired, and serve refuses bad settings clearly."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli.main import run


def test_timeline_is_wired_into_review_bot() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["timeline", "--aware", "2026-12-23", "--today", "2026-12-23", "--format", "json"],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    sin = next(m for m in json.loads(out.getvalue()) if m["key"] == "sin")
    # 24 Dec, 29, 30, 31 Dec, 4 Jan: Christmas, the Boxing Day substitute and New Year skipped.
    assert sin["due"] == "2027-01-04"


def test_serve_refuses_unauthenticated_public_bind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_HOST", "0.0.0.0")
    monkeypatch.setenv("REVIEW_BOT_PORT", "seventy")
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve"], stdout=out, stderr=err) == 2
    lines = err.getvalue().splitlines()
    assert lines[0] == "review-bot: cannot start, invalid settings:"
    assert len(lines) == 3
    assert any("REVIEW_BOT_PORT" in line for line in lines)
    assert any("REVIEW_BOT_HOST" in line for line in lines)


def test_serve_refuses_a_bad_partnerships_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "p.toml"
    bad.write_text('[partnerships.x]\nname = "X"\n')
    monkeypatch.setenv("REVIEW_BOT_PARTNERSHIPS", str(bad))
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve"], stdout=out, stderr=err) == 2
    assert "x: reference_prefix: Field required" in err.getvalue()


def test_triage_is_wired_into_review_bot() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["triage", "dad has a knife and the kids are in the house now"], stdout=out, stderr=err
    )
    assert code == 0, err.getvalue()
    assert "label: emergency" in out.getvalue()
