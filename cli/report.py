"""`review-bot report timeliness`: each partnership's deadlines on time and late, and its chart.

Figures come from `usecases/reports.py` (the same the monthly report card posts); this module
only presents them: an aligned table, one JSON document, or CSV rows, and a PNG chart. Cases
are named by reference only, never by a child's or anyone's name.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from cards import wording
from cli.common import EXIT_OK, EXIT_USAGE, Subparsers, london_today, read_only_store, with_settings
from safeguarding.partnerships import Partnership, PartnershipsFileError, load_partnerships
from safeguarding.timeliness import (
    Deadline,
    DeadlineOutcome,
    MilestoneFigures,
    TimelinessInputError,
    check_period,
)
from storage.cases import CaseRepository
from usecases.reports import PartnershipReport, report_timeliness
from usecases.timeliness_chart import (
    ChartTooLongError,
    ChartUnavailableError,
    check_chart_period,
    render_chart,
)

COMMAND = "report"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The groups of a deadline figure, as the JSON and CSV name them, with their outcomes.
GROUPS: tuple[tuple[str, tuple[DeadlineOutcome, ...]], ...] = (
    ("on_time", (DeadlineOutcome.ON_TIME,)),
    ("late", (DeadlineOutcome.LATE,)),
    ("late_still_open", (DeadlineOutcome.OVERDUE,)),
    ("not_due_yet", (DeadlineOutcome.NOT_DUE_YET,)),
    ("not_recorded", (DeadlineOutcome.NOT_RECORDED,)),
)
# Only these are shares of the counted deadlines; the rest are outside the percentages.
_IN_PERCENTAGES = frozenset({"on_time", "late", "late_still_open"})
CSV_COLUMNS = (
    "partnership_id",
    "from",
    "to",
    "counted_on",
    "figure",
    "group",
    "count",
    "percent",
    "references",
)


class _InputError(Exception):
    """A bad command-line input, reported on one line with exit code 2."""


def add_parser(subparsers: Subparsers) -> None:
    """Register `report timeliness`."""
    parser = subparsers.add_parser(COMMAND, help="reports on the cases (no names)")
    reports = parser.add_subparsers(dest="report_command", required=True)
    timeliness = reports.add_parser(
        "timeliness",
        help="deadlines on time and late, per partnership, for a period",
        description=(
            "Referrals received; the notification, telling the partners, the agency summaries,"
            " the rapid review and the CSPR's publication on time and late; deadlines moved;"
            " open cases by stage. Each deadline counts in the period of its first due date."
        ),
    )
    timeliness.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    timeliness.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    timeliness.add_argument("--partnership", metavar="ID", help="this partnership only")
    timeliness.add_argument("--format", choices=("table", "json", "csv"), default="table")
    timeliness.add_argument(
        "--chart",
        metavar="FILE.png",
        type=Path,
        help="also draw the chart (on time and late per quarter) to this PNG file",
    )
    timeliness.add_argument("--today", metavar="YYYY-MM-DD", help="count as if today were this day")
    timeliness.set_defaults(handler=with_settings(_timeliness_today))


def _timeliness_today(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return run(args, settings, stdout=stdout, stderr=stderr, today=london_today())


def _parse_date(option: str, value: str) -> date:
    if not _ISO_DATE.match(value):
        raise _InputError(f"{option} '{value}' is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _InputError(f"{option} '{value}' is not a real date") from None


def _chosen(args: argparse.Namespace, settings: Settings) -> list[Partnership]:
    try:
        partnerships = load_partnerships(settings.partnerships)
    except PartnershipsFileError as exc:
        raise _InputError(str(exc)) from None
    if args.partnership is None:
        chosen = list(partnerships.partnerships.values())
    else:
        found = partnerships.get(args.partnership)
        if found is None:
            known = ", ".join(sorted(partnerships.partnerships))
            raise _InputError(f"unknown partnership '{args.partnership}' (known: {known})")
        chosen = [found]
    if args.chart is not None and len(chosen) > 1:
        raise _InputError("--chart draws one partnership: give --partnership ID")
    return chosen


async def _load(
    settings: Settings,
    partnerships: Sequence[Partnership],
    *,
    start: date,
    end: date,
    today: date,
) -> list[PartnershipReport]:
    from bot.app import calendars_for  # the app's one reading of the extra bank holidays

    async with read_only_store(settings) as store:
        return await report_timeliness(
            CaseRepository(store),
            partnerships,
            calendars_for(settings),
            start=start,
            end=end,
            today=today,
        )


def run(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO, today: date
) -> int:
    """Print the report (and write the chart); 0 on success, 2 on bad input."""
    try:
        if args.today is not None:
            today = _parse_date("--today", args.today)
        start = _parse_date("--from", args.start)
        end = _parse_date("--to", args.end)
        if end < start:
            raise _InputError(f"--to {end} is before --from {start}")
        check_period(start, end)
        if args.chart is not None:
            check_chart_period(start, end)  # before the store is read
        partnerships = _chosen(args, settings)
        reports = asyncio.run(_load(settings, partnerships, start=start, end=end, today=today))
        if args.chart is not None:
            _write_chart(args.chart, reports[0])
    except (_InputError, TimelinessInputError, ChartTooLongError, ChartUnavailableError) as exc:
        stderr.write(f"review-bot {COMMAND} timeliness: error: {exc}\n")
        return EXIT_USAGE
    if args.format == "json":
        stdout.write(json.dumps([as_json(r) for r in reports], indent=2) + "\n")
    elif args.format == "csv":
        stdout.write(as_csv(reports))
    else:
        stdout.write("\n".join(render_table(r) for r in reports))
    if args.chart is not None:
        stderr.write(f"chart written to {args.chart}\n")
    return EXIT_OK


def _write_chart(path: Path, report: PartnershipReport) -> None:
    png = render_chart(report.by_quarter, partnership_name=report.partnership.name)
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise _InputError(f"cannot write {path}: {exc.strerror or exc}") from None


# --- presenting ---


def _percent(value: int | None) -> str:
    return "-" if value is None else f"{value}%"


def _share(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _group_percent(
    figures: MilestoneFigures, name: str, outcomes: Sequence[DeadlineOutcome]
) -> int | None:
    return figures.percent(*outcomes) if name in _IN_PERCENTAGES else None


def _deadline_note(deadline: Deadline) -> str:
    parts = [f"due {deadline.due.isoformat()}"]
    if deadline.completed_on is not None:
        parts.append(f"done {deadline.completed_on.isoformat()}")
    if deadline.moved_to is not None:
        kept = ", kept" if deadline.met_moved_date else ""
        parts.append(f"moved to {deadline.moved_to.isoformat()}{kept}")
    return f"{deadline.reference} ({', '.join(parts)})"


def render_table(report: PartnershipReport) -> str:
    """One partnership's report as aligned text, with the cases behind each figure."""
    figures = report.figures
    p = report.partnership
    out = [
        f"Timeliness report: {p.name} ({p.id})",
        f"Period {figures.start.isoformat()} to {figures.end.isoformat()}, counted on"
        f" {figures.today.isoformat()}. Each deadline counts in the period of its first due"
        " date; percentages are of the deadlines on time or late.",
        "",
        f"Referrals received: {len(figures.referrals)}"
        + (
            f" ({len(figures.led_elsewhere)} led by another local authority:"
            f" {' '.join(figures.led_elsewhere)})"
            if figures.led_elsewhere
            else ""
        ),
    ]
    if figures.referrals:
        out.append("  " + " ".join(figures.referrals))
    header = ("Deadline", "Due", "On time", "Late", "Late, open", "Not due yet", "No date")
    rows = []
    for f in figures.milestones:
        cells = [wording.REPORT_MEASURES[f.milestone], str(len(f.deadlines))]
        for name, outcomes in GROUPS:
            count = f.count(*outcomes)
            if name in _IN_PERCENTAGES:
                cells.append(f"{count} ({_percent(f.percent(*outcomes))})")
            else:
                cells.append(str(count))
        rows.append(tuple(cells))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = f"{cells[0]:<{widths[0]}}"
        rest = "  ".join(f"{c:>{w}}" for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"{first}  {rest}".rstrip()

    out += ["", line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    out += ["", "Cases behind each figure:"]
    for f in figures.milestones:
        if not f.deadlines:
            continue
        out.append(f"  {wording.REPORT_MEASURES[f.milestone]}")
        for name, outcomes in GROUPS:
            listed = f.with_outcome(*outcomes)
            if listed:
                label = name.replace("_", " ")
                out.append(f"    {label}: " + "; ".join(_deadline_note(d) for d in listed))
    moved = figures.slips_by_milestone()
    out += ["", f"Deadlines moved in the period: {len(figures.slips)}"]
    for key, slips in moved.items():
        share = _percent(_share(len(slips), len(figures.slips)))
        which = "; ".join(f"{s.reference} (recorded {s.recorded_on.isoformat()})" for s in slips)
        out.append(f"  {wording.milestone_name(key)}: {len(slips)} ({share}): {which}")
    for kind, slips in figures.slips_by_kind().items():
        share = _percent(_share(len(slips), len(figures.slips)))
        which = " ".join(s.reference for s in slips)
        out.append(f"  why: {_kind_title(kind)}: {len(slips)} ({share}): {which}")
    out += ["", f"Open cases on {figures.today.isoformat()}: {figures.open_cases}"]
    for stage in figures.open_by_stage:
        share = _percent(_share(len(stage.references), figures.open_cases))
        out.append(
            f"  {wording.REPORT_STAGES[stage.status.value]}: {len(stage.references)} ({share}):"
            f" {' '.join(stage.references)}"
        )
    if figures.not_counted:
        out += ["", f"Not counted (dates to check): {' '.join(figures.not_counted)}"]
    return "\n".join(out) + "\n"


def _kind_title(kind: str | None) -> str:
    return wording.SLIP_KINDS[kind] if kind else wording.REPORT_SLIP_KIND_NOT_GIVEN


def _deadline_json(deadline: Deadline) -> dict[str, Any]:
    return {
        "reference": deadline.reference,
        "due": deadline.due.isoformat(),
        "outcome": deadline.outcome.value,
        "completed_on": deadline.completed_on.isoformat() if deadline.completed_on else None,
        "moved_to": deadline.moved_to.isoformat() if deadline.moved_to else None,
        "met_moved_date": deadline.met_moved_date,
    }


def _figures_json(f: MilestoneFigures) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    for name, outcomes in GROUPS:
        listed = f.with_outcome(*outcomes)
        groups[name] = {
            "count": len(listed),
            "percent": _group_percent(f, name, outcomes),
            "references": [d.reference for d in listed],
        }
    groups["late"]["met_agreed_new_date"] = [
        d.reference for d in f.with_outcome(DeadlineOutcome.LATE) if d.met_moved_date
    ]
    return {
        "milestone": f.milestone.value,
        "title": wording.REPORT_MEASURES[f.milestone],
        "due_in_period": len(f.deadlines),
        "counted": f.counted,
        **groups,
        "cases": [_deadline_json(d) for d in f.deadlines],
    }


def as_json(report: PartnershipReport) -> dict[str, Any]:
    """One partnership's report as a JSON-ready document."""
    f = report.figures
    moved = f.slips_by_milestone()
    return {
        "partnership_id": report.partnership.id,
        "partnership": report.partnership.name,
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
        "counted_on": f.today.isoformat(),
        "referrals_received": {
            "count": len(f.referrals),
            "references": list(f.referrals),
            "led_by_another_authority": {
                "count": len(f.led_elsewhere),
                "references": list(f.led_elsewhere),
            },
        },
        "deadlines": [_figures_json(m) for m in f.milestones],
        "deadlines_moved": {
            "count": len(f.slips),
            "by_milestone": [
                {
                    "milestone": key.value,
                    "count": len(slips),
                    "percent": _share(len(slips), len(f.slips)),
                    "references": [s.reference for s in slips],
                    "recorded_on": [s.recorded_on.isoformat() for s in slips],
                }
                for key, slips in moved.items()
            ],
            "by_kind": [
                {
                    "kind": kind,
                    "title": _kind_title(kind),
                    "count": len(slips),
                    "percent": _share(len(slips), len(f.slips)),
                    "references": [s.reference for s in slips],
                }
                for kind, slips in f.slips_by_kind().items()
            ],
        },
        "open_cases": {
            "count": f.open_cases,
            "by_stage": [
                {
                    "stage": stage.status.value,
                    "count": len(stage.references),
                    "percent": _share(len(stage.references), f.open_cases),
                    "references": list(stage.references),
                }
                for stage in f.open_by_stage
            ],
        },
        "not_counted": list(f.not_counted),
    }


def _csv_rows(
    report: PartnershipReport,
) -> Iterator[tuple[str, str, int, int | None, Sequence[str]]]:
    f = report.figures
    yield "referrals_received", "", len(f.referrals), None, f.referrals
    yield (
        "referrals_received",
        "led_by_another_authority",
        len(f.led_elsewhere),
        _share(len(f.led_elsewhere), len(f.referrals)),
        f.led_elsewhere,
    )
    for m in f.milestones:
        for name, outcomes in GROUPS:
            listed = m.with_outcome(*outcomes)
            percent = _group_percent(m, name, outcomes)
            yield m.milestone.value, name, len(listed), percent, [d.reference for d in listed]
    for key, slips in f.slips_by_milestone().items():
        references = [s.reference for s in slips]
        yield "deadlines_moved", key.value, len(slips), _share(len(slips), len(f.slips)), references
    for kind, slips in f.slips_by_kind().items():
        references = [s.reference for s in slips]
        share = _share(len(slips), len(f.slips))
        yield "deadlines_moved_why", kind or "not_given", len(slips), share, references
    for stage in f.open_by_stage:
        count = len(stage.references)
        yield "open_cases", stage.status.value, count, _share(count, f.open_cases), stage.references
    if f.not_counted:
        yield "not_counted", "", len(f.not_counted), None, f.not_counted


def as_csv(reports: Sequence[PartnershipReport]) -> str:
    """Every report as CSV rows: one figure a row, its cases' references space-separated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        f = report.figures
        period = (
            report.partnership.id,
            f.start.isoformat(),
            f.end.isoformat(),
            f.today.isoformat(),
        )
        for figure, group, count, percent, references in _csv_rows(report):
            writer.writerow(
                (
                    *period,
                    figure,
                    group,
                    count,
                    "" if percent is None else percent,
                    " ".join(references),
                )
            )
    return out.getvalue()
