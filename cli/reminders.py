"""`review-bot reminders`: what would be posted at a moment (dry run), and a case's delivery log."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import TextIO

from bot.settings import Settings
from cli.common import EXIT_USAGE, Subparsers, with_settings
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.clocks import LONDON, london_time
from safeguarding.partnerships import load_partnerships
from scheduler.plan import plan_reminders
from storage.cases import CaseRepository
from storage.deliveries import Delivery, DeliveryLog
from storage.tinydb_store import TinyDBStore

COMMAND = "reminders"


def add_parser(subparsers: Subparsers) -> None:
    """Register `reminders --at` and `reminders --log`."""
    parser = subparsers.add_parser(
        COMMAND, help="dry-run the reminder plan at a moment, or show a case's deliveries"
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"', help="London time to plan for")
    which.add_argument("--log", metavar="REF", help="a case's reminder delivery log")
    parser.set_defaults(handler=with_settings(run))


async def _load(settings: Settings, reference: str | None) -> tuple[list[Case], list[Delivery]]:
    store = TinyDBStore(settings.data_dir, read_only=True)
    try:
        partnerships = load_partnerships(settings.partnerships)
        repo = CaseRepository(store)
        cases = [c for pid in partnerships.partnerships for c in await repo.for_partnership(pid)]
        deliveries = await DeliveryLog(store).for_case(reference) if reference else []
        return cases, deliveries
    finally:
        await store.close()


def run(args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO) -> int:
    """Print the plan or the log."""
    if args.log:
        _, deliveries = asyncio.run(_load(settings, args.log.upper()))
        if not deliveries:
            stdout.write(f"no deliveries recorded for {args.log.upper()}\n")
            return 0
        for d in deliveries:
            when = f"{d.sent_at:%Y-%m-%d %H:%M}" if d.sent_at else "-"
            stdout.write(
                f"{d.key}  {d.state.value:<9} attempts {d.attempts}  sent {when}"
                f"  {d.activity_id or ''}  {d.reason or ''}\n"
            )
        return 0
    try:
        local = datetime.strptime(args.at, "%Y-%m-%d %H:%M").replace(tzinfo=LONDON)
    except ValueError:
        stderr.write(f"review-bot reminders: --at '{args.at}' is not YYYY-MM-DD HH:MM\n")
        return EXIT_USAGE
    cases, _ = asyncio.run(_load(settings, None))
    partnerships = load_partnerships(settings.partnerships)
    plan = plan_reminders(
        cases,
        partnerships=partnerships.partnerships,
        calendars=PartnershipCalendars(),
        now=local,
    )
    stdout.write(
        f"at {london_time(local):%Y-%m-%d %H:%M} (Europe/London): {len(plan)} reminder(s)\n"
    )
    for r in plan:
        late = "  (late)" if r.late else ""
        stdout.write(
            f"  {r.reference}  {r.milestone.value:<22} {r.kind:<9} due {r.due}"
            f"  left {r.working_days_left}{late}\n"
        )
    return 0
