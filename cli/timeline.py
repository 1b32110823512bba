"""`review-bot timeline`: print a case's statutory clock from its dates, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import re
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cli.common import EXIT_OK, EXIT_USAGE, Subparsers, london_today
from safeguarding.calendar import (
    BankHoliday,
    HolidayFileError,
    WorkingDayCalendar,
    add_years,
    load_bank_holiday_events,
)
from safeguarding.partnerships import ClockOptions, PartnershipsFileError, load_partnerships
from safeguarding.timeline import (
    CaseDates,
    Milestone,
    MilestoneStatus,
    Timeline,
    TimelineInputError,
    compute_timeline,
)

COMMAND = "timeline"
DEFAULT_PARTNERSHIPS = EXAMPLE_PARTNERSHIPS
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# (option, CaseDates field) for every date the command accepts besides --today.
_DATE_OPTIONS = (
    ("--incident", "incident"),
    ("--aware", "la_aware"),
    ("--sin", "sin_made"),
    ("--rapid-review-sent", "rapid_review_sent"),
    ("--decision", "decision_to_review"),
    ("--publication", "planned_publication"),
    ("--published", "published"),
)


class _InputError(Exception):
    """A bad command-line input, reported on one line with exit code 2."""


def add_parser(subparsers: Subparsers) -> None:
    """Register the `timeline` subcommand and its options."""
    parser = subparsers.add_parser(
        COMMAND,
        help="print a case's statutory clock (due dates in working days)",
        description=(
            "Compute every milestone of a case from its dates: the SIN, the rapid review and its "
            "internal steps, the Panel's reply, the CSPR report and its publication."
        ),
    )
    # Dates are parsed in run() so a bad one is a one-line error on the given stream.
    parser.add_argument("--aware", required=True, metavar="YYYY-MM-DD", help="LA became aware")
    parser.add_argument("--incident", metavar="YYYY-MM-DD", help="date of the incident")
    parser.add_argument("--sin", metavar="YYYY-MM-DD", help="SIN made to the Panel")
    parser.add_argument(
        "--rapid-review-sent", metavar="YYYY-MM-DD", help="rapid review sent to the Panel"
    )
    parser.add_argument("--decision", metavar="YYYY-MM-DD", help="decision to hold a local CSPR")
    parser.add_argument("--publication", metavar="YYYY-MM-DD", help="planned publication date")
    parser.add_argument("--published", metavar="YYYY-MM-DD", help="actual publication date")
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="count as if today were this day")
    parser.add_argument("--partnership", metavar="ID", help="use this partnership's clock options")
    parser.add_argument(
        "--partnerships",
        metavar="FILE",
        type=Path,
        default=DEFAULT_PARTNERSHIPS,
        help="partnerships TOML file (default: examples/partnerships.toml)",
    )
    parser.add_argument(
        "--holidays", metavar="FILE", type=Path, help="extra bank holidays, gov.uk JSON format"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=_today_in_london)


def _today_in_london(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    return run(args, stdout=stdout, stderr=stderr, today=london_today())


def _parse_date(option: str, value: str) -> date:
    if not _ISO_DATE.match(value):
        raise _InputError(f"{option} '{value}' is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _InputError(f"{option} '{value}' is not a real date") from None


def _case_dates(args: argparse.Namespace, today: date) -> CaseDates:
    latest = add_years(today, 1)
    values: dict[str, date] = {}
    for option, field in _DATE_OPTIONS:
        raw: str | None = getattr(args, option.lstrip("-").replace("-", "_"))
        if raw is None:
            continue
        day = _parse_date(option, raw)
        if day > latest:
            raise _InputError(
                f"{option} {day.isoformat()} is more than a year after today ({today.isoformat()})"
            )
        values[field] = day
    return CaseDates(**values)


def _clock_options(args: argparse.Namespace) -> ClockOptions:
    if args.partnership is None:
        return ClockOptions()
    path: Path = args.partnerships
    try:
        partnerships = load_partnerships(path)
    except PartnershipsFileError as exc:
        raise _InputError(str(exc)) from None
    partnership = partnerships.get(args.partnership)
    if partnership is None:
        known = ", ".join(sorted(partnerships.partnerships))
        raise _InputError(f"unknown partnership '{args.partnership}' in {path} (known: {known})")
    return partnership.clock


def _extra_holidays(args: argparse.Namespace) -> tuple[BankHoliday, ...]:
    if args.holidays is None:
        return ()
    try:
        return load_bank_holiday_events(args.holidays)
    except HolidayFileError as exc:
        raise _InputError(str(exc)) from None


def run(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO, today: date) -> int:
    """Print the timeline for the dates in `args`; 0 on success, 2 on bad input."""
    try:
        if args.today is not None:
            today = _parse_date("--today", args.today)
        dates = _case_dates(args, today)
        options = _clock_options(args)
        calendar = WorkingDayCalendar.for_england(
            extra_holidays=_extra_holidays(args), closure_days=options.extra_closure_days
        )
        timeline = compute_timeline(dates, options, calendar, today)
    except (_InputError, TimelineInputError) as exc:
        problem = wording.timeline_problem(exc) if isinstance(exc, TimelineInputError) else str(exc)
        message = " ".join(problem.split())
        stderr.write(f"review-bot {COMMAND}: error: {message}\n")
        return EXIT_USAGE
    if args.format == "json":
        payload = [m.model_dump(mode="json") for m in timeline.milestones]
        stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        stdout.write(
            render_table(
                timeline,
                partnership=args.partnership,
                closures=bool(options.extra_closure_days),
            )
        )
    return EXIT_OK


def _status_text(m: Milestone) -> str:
    if m.status is MilestoneStatus.DONE and m.completed_on is not None:
        timing = "on time" if m.on_time else "late"
        return f"done {m.completed_on.isoformat()} ({timing})"
    return m.status.value.replace("_", " ")


def render_table(
    timeline: Timeline, *, partnership: str | None = None, closures: bool = False
) -> str:
    """The timeline as aligned text columns, with alternative dates and notes indented below."""
    header = ("Milestone", "Due", "Status", "Left", "Counted from")
    rows: list[tuple[str, str, str, str, str]] = []
    extras: list[list[str]] = []
    for m in timeline.milestones:
        due = m.due.isoformat() if m.due else "-"
        if m.due and m.basis_projected:
            due += "*"
        left = "" if m.working_days_left is None else str(m.working_days_left)
        rows.append((m.title, due, _status_text(m), left, m.basis))
        lines: list[str] = []
        if m.alternative_due is not None:
            lines.append(f"also {m.alternative_due.isoformat()}: {m.alternative_basis}")
        if m.original_due != m.due and m.original_due is not None:
            lines.append(f"originally {m.original_due.isoformat()}")
        lines.extend(
            f"slipped {s.from_due.isoformat() if s.from_due else '-'} -> {s.to_due.isoformat()} "
            f"on {s.recorded_on.isoformat()}: {s.reason}"
            for s in m.slips
        )
        if m.note:
            lines.append(m.note)
        extras.append(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(cells: tuple[str, str, str, str, str]) -> str:
        title, due, status, left, basis = cells
        return (
            f"{title:<{widths[0]}}  {due:<{widths[1]}}  {status:<{widths[2]}}  "
            f"{left:>{widths[3]}}  {basis}"
        ).rstrip()

    clock = f"partnership {partnership}" if partnership else "national defaults"
    out = [f"Statutory clock on {timeline.today.isoformat()} ({clock}; Left = working days)", ""]
    out.append(line(header))
    out.append(line(("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * widths[3], "-" * 12)))
    indent = " " * (widths[0] + 2)
    for cells, lines in zip(rows, extras, strict=True):
        out.append(line(cells))
        out.extend(f"{indent}{text}" for text in lines)
    if any(m.due and m.basis_projected for m in timeline.milestones):
        out += ["", "* counted from a date that has not happened yet (projected)"]
    if closures:
        # Which calendar each date is counted in matters only when the two calendars differ.
        out += ["", wording.TIMELINE_CLOSURE_DAYS]
    return "\n".join(out) + "\n"
