"""`review-bot case show REF`: a case, its timeline and audit trail, no names or free text."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date
from typing import Any, TextIO

from bot.settings import Settings
from cli.common import Subparsers, london_today, read_only_store, with_settings
from cli.timeline import render_table
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, age_label
from safeguarding.partnerships import load_partnerships
from safeguarding.timeline import compute_timeline
from storage.cases import CaseRepository

COMMAND = "case"
EXIT_NOT_FOUND = 1
# Audit fields that may hold what a lead typed: shown as present, never printed.
_FREE_TEXT = frozenset({"reason", "reasons", "reviewer", "data"})


def add_parser(subparsers: Subparsers) -> None:
    """Register `case show REF`."""
    parser = subparsers.add_parser(COMMAND, help="look at a case")
    actions = parser.add_subparsers(dest="case_command", required=True)
    show = actions.add_parser("show", help="a case, its timeline and its audit trail")
    show.add_argument("reference", help="e.g. COV-2026-001")
    show.set_defaults(handler=with_settings(_show_today))


def _show_today(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return run(settings, args.reference, stdout=stdout, stderr=stderr, today=london_today())


async def _load(settings: Settings, reference: str) -> tuple[Case | None, list[dict[str, Any]]]:
    async with read_only_store(settings.data_dir) as store:
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


def run(settings: Settings, reference: str, *, stdout: TextIO, stderr: TextIO, today: date) -> int:
    """Print the case; exit 1 when there is no such case."""
    case, trail = asyncio.run(_load(settings, reference))
    if case is None:
        stderr.write(f"review-bot case: no case {reference}\n")
        return EXIT_NOT_FOUND
    partnership = load_partnerships(settings.partnerships).get(case.partnership_id)
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
        "",
    ]
    stdout.write("\n".join(lines))
    if partnership is not None:
        calendar = PartnershipCalendars().for_partnership(partnership)
        timeline = compute_timeline(
            case.dates,
            partnership.clock,
            calendar,
            today,
            events=case.milestone_events,
            collaborator=case.collaborator,
        )
        stdout.write(render_table(timeline, partnership=partnership.id) + "\n")
    stdout.write("\naudit trail:\n")
    for entry in trail:
        shown = {k: v for k, v in entry.items() if k not in _FREE_TEXT | {"reference"}}
        hidden = sorted(k for k in entry if k in _FREE_TEXT)
        suffix = f"  (+{', '.join(hidden)})" if hidden else ""
        stdout.write(f"  {json.dumps(shown, ensure_ascii=False)}{suffix}\n")
    return 0
