"""`review-bot case show REF`: a case, its timeline and audit trail, no names or free text."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, TextIO

from bot.settings import Settings
from cli.common import Subparsers, london_today, read_only_store, with_settings
from cli.timeline import render_table
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, age_label
from safeguarding.clocks import london_time
from safeguarding.partnerships import load_partnerships
from safeguarding.timeline import Timeline, compute_timeline
from storage.cases import CaseRepository

COMMAND = "case"
EXIT_NOT_FOUND = 1
# Audit fields that may hold what a lead typed: shown as present, never printed.
_FREE_TEXT = frozenset({"reason", "reasons", "reviewer", "data"})
# Names are never printed: who acted is their Entra object id (or Teams id), as recorded.
_NAMES = frozenset({"actor_name"})
# Beside "what" in the table, when the entry has them.
_WHAT_DETAILS = (
    ("on_behalf_of", "for"),
    ("refusal", "refused as"),
    ("case_version", "at version"),
    ("version_after", "-> version"),
)


def add_parser(subparsers: Subparsers) -> None:
    """Register `case show REF`."""
    parser = subparsers.add_parser(COMMAND, help="look at a case")
    actions = parser.add_subparsers(dest="case_command", required=True)
    show = actions.add_parser("show", help="a case, its timeline and its audit trail")
    show.add_argument("reference", help="e.g. COV-2026-001")
    show.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default): for people; json: one JSON document, for machines",
    )
    show.set_defaults(handler=with_settings(_show_today))


def _show_today(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return run(
        settings,
        args.reference,
        stdout=stdout,
        stderr=stderr,
        today=london_today(),
        output=args.format,
    )


async def _load(settings: Settings, reference: str) -> tuple[Case | None, list[dict[str, Any]]]:
    async with read_only_store(settings) as store:
        repo = CaseRepository(store)
        loaded = await repo.get(reference.upper())
        trail = await repo.audit_trail(reference.upper()) if loaded else []
        return (loaded[0] if loaded else None), trail


def _where(case: Case) -> str:
    """Where the child lives and was harmed, and who leads; one area for older cases."""
    area = case.referral.area
    other = f" ({area.other_area})" if area.other_area else ""
    if area.harm_area is None or area.lead_rule is None:
        return f"area: {area.area}" + (f" (child lives in {area.other_area})" if other else "")
    told = area.told_partnership_id
    return (
        f"lives in: {area.area}{other}  harmed in: {area.harm_area}  lead rule: "
        f"{area.lead_rule.value}"
        + (f"  told: {told} ({case.told_activity_id or 'not posted'})" if told else "")
    )


def _shown(entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An audit entry without what leads typed (and its reference), and the fields held back."""
    shown = {k: v for k, v in entry.items() if k not in _FREE_TEXT | _NAMES | {"reference"}}
    return shown, sorted(k for k in entry if k in _FREE_TEXT)


def _when(value: Any) -> str:
    """An audit timestamp as London wall-clock time, to the minute."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{london_time(moment):%Y-%m-%d %H:%M}"


def _what(shown: dict[str, Any], hidden: Sequence[str]) -> str:
    """What happened, with the few facts beside it that a reader needs."""
    parts = [str(shown.get("what", ""))]
    for field, label in _WHAT_DETAILS:
        value = shown.get(field)
        if value not in (None, ""):
            parts.append(f"{label} {value}")
    count = shown.get("count")
    if isinstance(count, int) and count > 1:
        # A refusal repeated that day is one entry (CaseRepository.audit_repeat).
        parts.append(f"{count} times that day, the last at {_when(shown.get('last_at'))[-5:]}")
    if hidden:
        parts.append(f"(+{', '.join(hidden)} not shown)")
    return "  ".join(part for part in parts if part)


def audit_table(trail: Sequence[dict[str, Any]]) -> str:
    """The audit trail as aligned columns: when (London), who, role, what."""
    header = ("When (London)", "Who", "Role", "What")
    rows: list[tuple[str, str, str, str]] = []
    for entry in trail:
        shown, hidden = _shown(entry)
        role = str(shown.get("role", ""))
        if shown.get("partner"):
            role += f" ({shown['partner']})"
        rows.append(
            (_when(shown.get("at")), str(shown.get("actor", "")), role, _what(shown, hidden))
        )
    if not rows:
        return "  (no entries)"
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]

    def line(cells: tuple[str, str, str, str]) -> str:
        when, who, role, what = cells
        return f"  {when:<{widths[0]}}  {who:<{widths[1]}}  {role:<{widths[2]}}  {what}".rstrip()

    dashes = ("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * 4)
    return "\n".join([line(header), line(dashes), *(line(row) for row in rows)])


def _as_json(case: Case, timeline: Timeline | None, trail: Sequence[dict[str, Any]]) -> str:
    """The case, its timeline and its audit trail as one JSON document (no names, no free text)."""
    audit = []
    for entry in trail:
        shown, hidden = _shown(entry)
        audit.append({**shown, "not_shown": hidden} if hidden else shown)
    area = case.referral.area
    document: dict[str, Any] = {
        "reference": case.reference,
        "partnership_id": case.partnership_id,
        "status": case.status.value,
        "version": case.version,
        "submitted_at": case.submitted_at.isoformat(),
        "area": area.area,
        "harm_area": area.harm_area,
        "lead_rule": area.lead_rule.value if area.lead_rule else None,
        "screening": [route.value for route in case.screening.routes],
        "channel_activity_id": case.channel_activity_id,
        "erasure": case.erasure.model_dump(mode="json", exclude={"reason"})
        if case.erasure
        else None,
        "timeline": [
            {
                "milestone": m.key.value,
                "due": m.due.isoformat() if m.due else None,
                "status": m.status.value,
                "working_days_left": m.working_days_left,
            }
            for m in (timeline.milestones if timeline else ())
        ],
        "audit": audit,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


def _erasure_lines(case: Case) -> list[str]:
    """When and by what the case's personal data were erased (`review-bot erase`, retention)."""
    if case.erasure is None:
        return []
    erasure = case.erasure
    how = f" ({erasure.rule})" if erasure.rule else ""
    return [f"personal data erased {_when(erasure.at.isoformat())} by {erasure.by}{how}"]


def run(
    settings: Settings,
    reference: str,
    *,
    stdout: TextIO,
    stderr: TextIO,
    today: date,
    output: str = "table",
) -> int:
    """Print the case; exit 1 when there is no such case."""
    case, trail = asyncio.run(_load(settings, reference))
    if case is None:
        stderr.write(f"review-bot case: no case {reference}\n")
        return EXIT_NOT_FOUND
    partnership = load_partnerships(settings.partnerships).get(case.partnership_id)
    timeline = (
        compute_timeline(
            case.dates,
            partnership.clock,
            PartnershipCalendars().for_partnership(partnership),
            today,
            events=case.milestone_events,
            collaborator=case.collaborator,
        )
        if partnership is not None
        else None
    )
    if output == "json":
        stdout.write(_as_json(case, timeline, trail) + "\n")
        return 0
    incident = case.referral.incident
    lines = [
        f"{case.reference}  {case.partnership_id}  status: {case.status.value}"
        f"  version {case.version}",
        f"submitted {case.submitted_at:%Y-%m-%d %H:%M} UTC by {case.referral.referrer.agency}",
        _where(case),
        "children: " + "; ".join(age_label(c, incident.date) for c in case.referral.children),
        f"incident: {incident.kind} on {incident.date},"
        f" LA aware {incident.la_aware or 'not known'}",
        "screening: " + ", ".join(route.value for route in case.screening.routes),
        f"channel post: {case.channel_activity_id or 'not posted'}",
        *_erasure_lines(case),
        "",
    ]
    stdout.write("\n".join(lines))
    if timeline is not None and partnership is not None:
        stdout.write(render_table(timeline, partnership=partnership.id) + "\n")
    stdout.write("\naudit trail:\n" + audit_table(trail) + "\n")
    return 0
