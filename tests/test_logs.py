"""Logs: a request value cannot add a line to the log, and JSON logs carry ids but no names."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import PROJECT_ROOT
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cases import file_case
from tests.support.connector import FakeConnector
from tests.support.referral import CHILD, INCIDENT, REFERRER, STEPS
from usecases.logs import JsonFormatter, log_ids, quoted

Client = TestClient[Any, Any]
FORGED = "\nFORGED INFO review_bot a line no code wrote"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


async def _post(client: Client, body: dict[str, Any]) -> int:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    return response.status


def _lines(records: list[logging.LogRecord], formatter: logging.Formatter) -> list[str]:
    """The log as the bot writes it, line by line (a traceback's lines left out)."""
    lines: list[str] = []
    for record in records:
        record.exc_info = None
        record.exc_text = None
        lines.extend(formatter.format(record).splitlines())
    return lines


def _forged(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("FORGED")]


async def _send_forgeries(bot: Client, connector: FakeConnector) -> None:
    """A newline in every request value that reaches a log line, each by its own path (case
    COV-2026-001 is on file)."""
    url = connector.url
    # The activity's type: the request line, and the handler's "ignored activity type".
    odd = activities.message(url, "hello")
    odd["type"] = "reaction" + FORGED
    assert await _post(bot, odd) == 201
    # An invoke's name: "ignored invoke".
    invoke = activities.message(url, None)
    invoke.update(type="invoke", name="task/fetch" + FORGED)
    assert await _post(bot, invoke) == 200
    # A card action's verb: "card action", and a non-lead's refusal on a real case.
    click = activities.action_execute(url, "sin_made" + FORGED, {"reference": "COV-2026-001"})
    assert await _post(bot, click) == 200
    # A referral card's step, pressed at another step: "stale card".
    assert await _post(bot, activities.card_submit(url, {"action": "start_referral"})) == 201
    stale = {"action": "referral", "step": "agencies" + FORGED}
    assert await _post(bot, activities.card_submit(url, stale)) == 201
    # An activity id, a tenant id, a path: refused at the door, and said so on one line.
    bad_id = activities.message(url, "help")
    bad_id["id"] = "1" + FORGED
    assert await _post(bot, bad_id) == 400
    assert (await bot.get("/api/messages%0AFORGED%20INFO")).status in (404, 405)


async def test_a_newline_in_any_request_value_cannot_forge_a_log_line(
    bot: Client, connector: FakeConnector, store: TinyDBStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await file_case(store, activities.USER["id"])
    await _send_forgeries(bot, connector)
    messages = [r.getMessage() for r in caplog.records]
    # Each path above was logged (so the check below looked at every one of them).
    for logged in (
        "ignored activity type",
        "ignored invoke",
        "card action: verb=",
        "refused, not a lead",
        "stale card for step",
        "-> 400",
        "-> 404",
    ):
        assert any(logged in m for m in messages), logged
    lines = _lines(caplog.records, logging.Formatter(TEXT_FORMAT))
    assert _forged(lines) == []
    assert all("\n" not in m and "\r" not in m for m in messages)


async def test_json_logs_are_one_object_a_line_with_ids_and_no_names(
    bot: Client, connector: FakeConnector
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        # A whole referral, with names and free text in it, and every forgery above.
        assert await _post(bot, activities.message(connector.url, "refer")) == 201
        for step, inputs in STEPS:
            value = {"action": "referral", "step": step, **inputs}
            assert await _post(bot, activities.card_submit(connector.url, value)) == 201
        await _send_forgeries(bot, connector)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one whole object
    assert len(entries) > 30
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        assert entry["time"].endswith("+00:00")
    requests = [e for e in entries if e["message"].startswith("request ")]
    assert requests
    assert all(e["request_id"] in e["message"] for e in requests)
    assert any("activity_id" in e for e in entries if e["logger"] == "dialogs.referral")
    assert any("referral COV-2026-001 filed" in e["message"] for e in entries)
    log = stream.getvalue()
    for private in (
        CHILD["name"],
        REFERRER["name"],
        REFERRER["contact"],
        INCIDENT["description"],
        "A Practitioner",  # the Teams display name of the user
    ):
        assert private not in log, private
    assert _forged([e["message"] for e in entries]) == []


def test_log_ids_are_kept_inside_and_dropped_after() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    formatter = JsonFormatter()
    with log_ids(request_id="r1"), log_ids(activity_id="a\n1"):
        inside = json.loads(formatter.format(record))
    after = json.loads(formatter.format(record))
    assert (inside["request_id"], inside["activity_id"]) == ("r1", "a1")
    assert "request_id" not in after


def test_json_lines_keep_an_exception_on_the_same_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", (quoted("a\u2028b"),), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert line.isascii()
    entry = json.loads(line)
    assert entry["error"] == "ValueError"
    assert "Traceback" in entry["traceback"]
    assert entry["message"] == 'failed "ab"'


@pytest.mark.parametrize(("setting", "json_lines"), [("json", True), ("text", False)])
def test_the_setting_chooses_the_format(tmp_path: Path, setting: str, json_lines: bool) -> None:
    script = (
        "import logging\n"
        "from bot.settings import load_settings, configure_logging\n"
        "configure_logging(load_settings())\n"
        "logging.getLogger('review_bot').warning('refused %s', 'x')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"REVIEW_BOT_LOG_FORMAT": setting, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # no stray .env
    )
    [line] = done.stderr.splitlines()
    if json_lines:
        assert json.loads(line)["message"] == "refused x"
    else:
        assert line.endswith("WARNING review_bot refused x")


@pytest.mark.parametrize(
    "char",
    [
        "\u202e",  # RIGHT-TO-LEFT OVERRIDE (Cf)
        "\u2066",  # LEFT-TO-RIGHT ISOLATE (Cf)
        "\u2069",  # POP DIRECTIONAL ISOLATE (Cf)
        "\u200d",  # ZERO WIDTH JOINER (Cf)
        "\u200b",  # ZERO WIDTH SPACE (Cf)
        "\ufeff",  # BYTE ORDER MARK (Cf)
        "\u2028",  # LINE SEPARATOR (Zl)
        "\u2029",  # PARAGRAPH SEPARATOR (Zp)
        "\x85",  # NEXT LINE (Cc)
        "\x1b",  # ESCAPE (Cc)
        "\ud800",  # a lone surrogate (Cs)
        "\ue000",  # private use (Co)
    ],
)
def test_a_logged_value_keeps_no_character_that_changes_how_the_line_reads(char: str) -> None:
    """Bidi overrides and zero-width characters could make a line read other than it is."""
    assert quoted(f"txt{char}.exe", limit=40) == '"txt.exe"'
    with log_ids(request_id=f"ab{char}cd"):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
        assert json.loads(JsonFormatter().format(record))["request_id"] == "abcd"


def test_a_logged_value_keeps_its_letters_and_is_cut_at_the_limit() -> None:
    """Accented and non-Latin letters stay; unsafe characters do not count towards the limit."""
    assert quoted("Zoë 東京") == '"Zoë 東京"'
    assert quoted("\u202e" * 50 + "abcdef", limit=5) == '"abcde…"'
    assert quoted("abcde", limit=5) == '"abcde"'
