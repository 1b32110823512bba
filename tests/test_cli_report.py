"""`review-bot report timeliness`: the hand-counted store in all three formats, and the chart."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from pathlib import Path

import pytest

from cli.main import run
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support.timeliness import hand_counted_cases
from tests.test_monthly_report import NAMES, _assert_chart_png

PERIOD = ["--from", "2027-01-01", "--to", "2027-03-31", "--today", "2027-03-30"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded store holding the hand-counted cases, named to the CLI by the environment."""

    async def fill() -> None:
        store = TinyDBStore(tmp_path / "data")
        cases = CaseRepository(store)
        for case in hand_counted_cases():
            await cases.create(case)
        await store.close()

    asyncio.run(fill())
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def report(*extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["report", "timeliness", *PERIOD, *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_table_shows_each_figure_and_its_cases(data_dir: Path) -> None:
    code, out, err = report("--partnership", "coventry")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Timeliness report: Coventry Safeguarding Children Partnership (coventry)"
    assert "Referrals received: 7 (1 led by another local authority: COV-2027-004)" in out
    row = next(line for line in lines if line.startswith("Panel told"))
    # Due, on time, late, late and open, not due yet, no date.
    assert row.split()[-9:] == ["4", "2", "(67%)", "1", "(33%)", "0", "(0%)", "1", "0"]
    cspr = next(line for line in lines if line.startswith("CSPR published"))
    assert cspr.split()[-9:] == ["1", "0", "(0%)", "1", "(100%)", "0", "(0%)", "0", "0"]
    assert "late: COV-2026-050 (due 2027-01-15, done 2027-01-20, moved to 2027-01-29, kept)" in out
    assert "late still open: COV-2027-002 (due 2027-03-05, moved to 2027-03-19)" in out
    assert "Deadlines moved in the period: 2" in out
    assert "  why: Waiting for an agency: 1 (50%): COV-2027-002" in out
    assert "  why: Kind not given: 1 (50%): COV-2026-050" in out
    assert "Dr Smith" not in out  # a lead's own words for why are never printed
    assert "  Referred: 3 (43%): COV-2027-004 COV-2027-005 COV-2027-006" in out
    assert not any(name in out for name in NAMES)


def test_json_gives_counts_percentages_and_references(data_dir: Path) -> None:
    code, out, err = report("--partnership", "coventry", "--format", "json")
    assert code == 0, err
    [coventry] = json.loads(out)
    assert coventry["referrals_received"]["count"] == 7
    assert coventry["referrals_received"]["led_by_another_authority"]["references"] == [
        "COV-2027-004"
    ]
    deadlines = {d["milestone"]: d for d in coventry["deadlines"]}
    summaries = deadlines["rr_ias_returns"]
    assert summaries["counted"] == 2
    assert summaries["on_time"] == {"count": 1, "percent": 50, "references": ["COV-2027-001"]}
    assert summaries["not_recorded"] == {
        "count": 1,
        "percent": None,
        "references": ["COV-2027-007"],
    }
    assert deadlines["cspr_final_report"]["late"]["met_agreed_new_date"] == ["COV-2026-050"]
    moved = {m["milestone"]: m for m in coventry["deadlines_moved"]["by_milestone"]}
    assert moved["rapid_review"] == {
        "milestone": "rapid_review",
        "count": 1,
        "percent": 50,
        "references": ["COV-2027-002"],
        "recorded_on": ["2027-03-01"],
    }
    assert [(k["kind"], k["references"]) for k in coventry["deadlines_moved"]["by_kind"]] == [
        ("agency_information", ["COV-2027-002"]),
        (None, ["COV-2026-050"]),
    ]
    assert coventry["open_cases"]["count"] == 7
    assert not any(name in out for name in NAMES)


def test_csv_is_one_figure_a_row(data_dir: Path) -> None:
    code, out, err = report("--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    coventry = [r for r in rows if r["partnership_id"] == "coventry"]
    by = {(r["figure"], r["group"]): r for r in coventry}
    assert by[("sin", "on_time")]["count"] == "2"
    assert by[("sin", "on_time")]["percent"] == "67"
    assert by[("sin", "on_time")]["references"] == "COV-2027-001 COV-2027-007"
    assert by[("rapid_review", "late_still_open")]["references"] == "COV-2027-002"
    assert by[("sin", "not_due_yet")]["percent"] == ""
    assert by[("deadlines_moved", "cspr_final_report")]["count"] == "1"
    assert by[("open_cases", "referred")]["percent"] == "43"
    assert by[("deadlines_moved_why", "not_given")]["references"] == "COV-2026-050"
    # Every configured partnership has its rows, the others with nothing to count.
    assert {r["partnership_id"] for r in rows} >= {"coventry", "warwickshire"}
    assert next(r["count"] for r in rows if r["partnership_id"] == "warwickshire") == "0"
    assert not any(name in out for name in NAMES)


def test_the_chart_is_written(data_dir: Path, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    code, _, err = report("--partnership", "coventry", "--chart", str(chart))
    assert code == 0, err
    assert f"chart written to {chart}" in err
    _assert_chart_png(chart.read_bytes())


def test_the_chart_without_matplotlib_says_how_to_install_it(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module set to None in sys.modules cannot be imported: as if it were not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, out, err = report("--partnership", "coventry", "--chart", str(tmp_path / "c.png"))
    assert code == 2
    assert "pip install 'safeguarding-review-bot[report]'" in err
    assert out == ""
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2027-13-01", "--to", "2027-03-31"], "not a real date"),
        (["--from", "1 Jan", "--to", "2027-03-31"], "is not a date"),
        (["--from", "2027-03-31", "--to", "2027-01-01"], "before --from"),
        (["--from", "2027-01-01", "--to", "2027-03-31", "--partnership", "nowhere"], "unknown"),
        (["--from", "2027-01-01", "--to", "2027-03-31", "--chart", "c.png"], "--partnership"),
        (
            ["--from", "0001-01-01", "--to", "9999-12-31", "--partnership", "coventry"],
            "0001-01-01 is outside the years a report can cover (2004 to 2100)",
        ),
        (["--from", "2027-01-01", "--to", "2101-01-01"], "2101-01-01 is outside the years"),
        (["--from", "2016-01-01", "--to", "2026-01-01"], "longer than 10 years"),
        (
            [
                "--from",
                "2017-01-01",
                "--to",
                "2026-12-31",
                "--partnership",
                "coventry",
                "--chart",
                "c.png",
            ],
            "the chart draws at most 12 quarters, so that its labels can be read; this period"
            " spans 40: give a shorter one (from 2024-01-01, say)",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    data_dir: Path, args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a chart named c.png would be written
    out, err = io.StringIO(), io.StringIO()
    code = run(["report", "timeliness", *args], stdout=out, stderr=err)
    assert code == 2
    assert message in err.getvalue()
    assert len(err.getvalue().splitlines()) == 1
    assert out.getvalue() == ""
    assert not Path("c.png").exists()


def test_twelve_quarters_still_chart(data_dir: Path, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    code, _, err = run_report(
        "--from",
        "2025-04-01",
        "--to",
        "2028-03-31",
        "--partnership",
        "coventry",
        "--chart",
        str(chart),
    )
    assert code == 0, err
    _assert_chart_png(chart.read_bytes())


def run_report(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["report", "timeliness", "--today", "2027-03-30", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
