"""`review-bot timeline`: output formats, partnership options and one-line errors."""

from __future__ import annotations

import argparse
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cards import wording
from cli.timeline import DEFAULT_PARTNERSHIPS, add_parser, run

TODAY = date(2026, 12, 23)

PARTNERSHIPS_TOML = """
[partnerships.testshire]
name = "Testshire Safeguarding Children Partnership"
reference_prefix = "TST"
areas = ["Testshire"]

[partnerships.testshire.front_door]
name = "Testshire MASH"
office_hours_number = "01234 567890"
office_hours = { mon = "08:30-17:00" }
out_of_hours_number = "01234 567891"

[partnerships.testshire.clock]
sin_counts_from = "incident"
extra_closure_days = [2026-12-24]
"""


def invoke(*argv: str, today: date = TODAY) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="review-bot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["timeline", *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(args, stdout=stdout, stderr=stderr, today=today)
    return code, stdout.getvalue(), stderr.getvalue()


def as_json(*argv: str, today: date = TODAY) -> dict[str, dict[str, Any]]:
    code, out, err = invoke(*argv, "--format", "json", today=today)
    assert (code, err) == (0, "")
    return {item["key"]: item for item in json.loads(out)}


@pytest.fixture
def partnerships_file(tmp_path: Path) -> Path:
    path = tmp_path / "partnerships.toml"
    path.write_text(PARTNERSHIPS_TOML)
    return path


def test_json_output() -> None:
    items = as_json("--aware", "2026-12-23")
    assert len(items) == 11
    sin = items["sin"]
    assert sin["due"] == "2027-01-04"
    assert sin["title"] == "Serious incident notification (SIN) to the Panel"
    assert sin["basis"] == "5 working days from the LA becoming aware (2026-12-23)"
    assert sin["status"] == "not_due_yet"
    assert items["rapid_review"]["due"] == "2027-01-25"
    assert items["cspr_final_report"]["due"] is None
    assert items["cspr_final_report"]["status"] == "not_applicable"


def test_all_dates_and_today_override() -> None:
    items = as_json(
        "--incident",
        "2026-08-01",
        "--aware",
        "2026-08-03",
        "--sin",
        "2026-08-05",
        "--rapid-review-sent",
        "2026-08-20",
        "--decision",
        "2026-08-31",
        "--publication",
        "2027-02-25",
        "--today",
        "2027-02-10",
        today=date(2030, 1, 1),  # overridden by --today
    )
    assert items["sin"]["status"] == "done"
    assert items["cspr_final_report"]["due"] == "2027-02-28"
    assert items["report_copy_to_panel"]["due"] == "2027-02-16"
    assert items["report_copy_to_panel"]["status"] == "not_due_yet"
    assert items["report_copy_to_panel"]["working_days_left"] == 4


def test_table_output_is_aligned() -> None:
    code, out, err = invoke("--aware", "2026-12-23", "--today", "2027-01-05")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Statutory clock on 2027-01-05 (national defaults; Left = working days)"
    header = lines[2]
    assert header.split() == ["Milestone", "Due", "Status", "Left", "Counted", "from"]
    due_column = header.index("Due")
    rows = [line for line in lines[4:] if line and not line.startswith((" ", "*"))]
    assert len(rows) == 11
    sin_row = rows[0]
    assert sin_row.startswith("Serious incident notification (SIN) to the Panel")
    assert sin_row[due_column:].startswith("2027-01-04   overdue")
    assert all(row[due_column - 2 : due_column] == "  " for row in rows)
    assert "2027-01-25*" in out
    assert out.rstrip().endswith("* counted from a date that has not happened yet (projected)")


def test_partnership_clock_options(partnerships_file: Path) -> None:
    items = as_json(
        "--aware",
        "2026-12-23",
        "--incident",
        "2026-12-18",
        "--partnership",
        "testshire",
        "--partnerships",
        str(partnerships_file),
    )
    sin = items["sin"]
    # From the incident, Fri 18 Dec 2026: 21=1, 22=2, 23=3, 24=4 (Testshire's closure does not
    # count for a statutory date), (25 and 28 holidays) 29=5.
    assert sin["due"] == "2026-12-29"
    assert sin["basis"] == "5 working days from the incident (2026-12-18)"
    # The national rule, from awareness: 24, 29, 30, 31 Dec, 4 Jan.
    assert sin["alternative_due"] == "2027-01-04"


def test_partnership_shown_in_table(partnerships_file: Path) -> None:
    code, out, _ = invoke(
        "--aware",
        "2026-12-23",
        "--incident",
        "2026-12-18",
        "--partnership",
        "testshire",
        "--partnerships",
        str(partnerships_file),
    )
    assert code == 0
    assert "(partnership testshire;" in out.splitlines()[0]
    assert "also 2027-01-04: national rule: 5 working days from the LA becoming aware" in out


HULL_TOML = """
[partnerships.hull]
name = "Hull Safeguarding Children Partnership"
reference_prefix = "HUL"
areas = ["Kingston upon Hull"]

[partnerships.hull.front_door]
name = "Early Help and Safeguarding Hub (EHaSH)"
office_hours_number = "01482 448879"
office_hours = { mon = "08:30-17:00" }
out_of_hours_number = "01482 300304"

[partnerships.hull.clock]
# The office closed between Christmas and New Year, and for three days in January.
extra_closure_days = [2026-12-29, 2026-12-30, 2026-12-31, 2027-01-06, 2027-01-07, 2027-01-08]
"""


def hull(tmp_path: Path) -> list[str]:
    path = tmp_path / "hull.toml"
    path.write_text(HULL_TOML)
    return ["--partnership", "hull", "--partnerships", str(path)]


def test_closure_days_do_not_move_the_sin(tmp_path: Path) -> None:
    items = as_json("--aware", "2026-12-23", *hull(tmp_path))
    # Counted on Hull's own days it would be Thu 7 Jan 2027; the statutory date is Mon 4 Jan.
    assert items["sin"]["due"] == "2027-01-04"
    assert items["notify_partners"]["due"] == "2027-01-04"
    assert items["rapid_review"]["due"] == "2027-01-25"
    assert items["sin"]["counted_in"] == "national"
    assert items["sin"]["alternative_due"] is None


def test_closure_days_move_an_internal_step(tmp_path: Path) -> None:
    items = as_json("--aware", "2026-12-23", "--sin", "2027-01-04", *hull(tmp_path))
    returns = items["rr_ias_returns"]
    # Day 10 from Mon 4 Jan: 18 Jan nationally, 21 Jan on Hull's days (closed 6-8 Jan).
    assert returns["due"] == "2027-01-21"
    assert returns["counted_in"] == "partnership"
    assert items["rapid_review"]["due"] == "2027-01-25"


def test_the_table_says_which_dates_closure_days_move(tmp_path: Path) -> None:
    code, out, err = invoke("--aware", "2026-12-23", "--sin", "2027-01-04", *hull(tmp_path))
    assert (code, err) == (0, "")
    sin_row = next(line for line in out.splitlines() if line.startswith("Serious incident"))
    assert "2027-01-04" in sin_row
    assert "moved from 2027-01-18 by the partnership's closure days" in out
    assert out.rstrip().endswith(" ".join(wording.TIMELINE_CLOSURE_DAYS.split()))
    # Without closure days the note is not shown.
    assert wording.TIMELINE_CLOSURE_DAYS not in invoke("--aware", "2026-12-23")[1]


def test_holidays_file(tmp_path: Path) -> None:
    path = tmp_path / "bank-holidays.json"
    event = {"title": "Proclaimed", "date": "2026-12-24", "notes": "", "bunting": False}
    path.write_text(json.dumps({"england-and-wales": {"events": [event]}}))
    items = as_json("--aware", "2026-12-23", "--holidays", str(path))
    assert items["sin"]["due"] == "2027-01-05"


def test_default_partnerships_path() -> None:
    expected = Path(__file__).resolve().parent.parent / "examples" / "partnerships.toml"
    assert expected == DEFAULT_PARTNERSHIPS


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--aware", "2026-13-01"], "--aware '2026-13-01' is not a real date"),
        (["--aware", "yesterday"], "--aware 'yesterday' is not a date (YYYY-MM-DD)"),
        (["--aware", "20261223"], "--aware '20261223' is not a date (YYYY-MM-DD)"),
        (["--aware", "2026-12-23", "--today", "soon"], "--today 'soon' is not a date"),
        (
            ["--aware", "2026-12-23", "--incident", "2026-12-24"],
            "the LA became aware (2026-12-23) cannot be before the incident (2026-12-24)",
        ),
        (
            ["--aware", "2026-12-23", "--sin", "2026-12-22"],
            "the SIN was made (2026-12-22) cannot be before the LA became aware (2026-12-23)",
        ),
        (
            ["--aware", "2027-12-24"],
            "--aware 2027-12-24 is more than a year after today (2026-12-23)",
        ),
        (
            ["--aware", "2026-12-23", "--publication", "2028-01-01"],
            "--publication 2028-01-01 is more than a year after today",
        ),
    ],
)
def test_bad_dates_exit_2_with_one_line(argv: list[str], expected: str) -> None:
    code, out, err = invoke(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("review-bot timeline: error: ")
    assert expected in err


def test_a_year_ahead_is_allowed() -> None:
    code, _, err = invoke("--aware", "2027-12-23")
    assert (code, err) == (0, "")


def test_unknown_partnership(partnerships_file: Path) -> None:
    code, out, err = invoke(
        "--aware",
        "2026-12-23",
        "--partnership",
        "nowhere",
        "--partnerships",
        str(partnerships_file),
    )
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "unknown partnership 'nowhere'" in err
    assert "(known: testshire)" in err


def test_missing_or_invalid_partnerships_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    code, _, err = invoke(
        "--aware", "2026-12-23", "--partnership", "x", "--partnerships", str(missing)
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "cannot read the file" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("[partnerships.x]\nname = 'X'\n")
    code, _, err = invoke(
        "--aware", "2026-12-23", "--partnership", "x", "--partnerships", str(broken)
    )
    assert code == 2
    assert err.count("\n") == 1


def test_bad_holidays_file(tmp_path: Path) -> None:
    path = tmp_path / "bank-holidays.json"
    bad = {"title": "Typo day", "date": "2026-02-30"}
    path.write_text(json.dumps({"england-and-wales": {"events": [bad]}}))
    code, out, err = invoke("--aware", "2026-12-23", "--holidays", str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "event 0 (title 'Typo day', date '2026-02-30')" in err
    code, _, err = invoke("--aware", "2026-12-23", "--holidays", str(tmp_path / "none.json"))
    assert code == 2
    assert err.count("\n") == 1
