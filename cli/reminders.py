"""`review-bot reminders`: what would be posted at a moment (dry run), and a case's delivery log."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import TextIO

from bot.app import calendars_for
from bot.settings import Settings
from cli.common import EXIT_USAGE, Subparsers, read_only_store, with_settings
from safeguarding.calendar import HolidayFileError
from safeguarding.cases import Case
from safeguarding.clocks import LONDON, london_time
from safeguarding.partnerships import Partnerships, load_partnerships
from scheduler.plan import Reminder
from scheduler.runner import due_reminders
from storage.cases import CaseRepository
from storage.deliveries import Delivery, DeliveryLog

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


async def _cases(settings: Settings, partnerships: Partnerships) -> list[Case]:
    async with read_only_store(settings) as store:
        repo = CaseRepository(store)
        return [c for pid in partnerships.partnerships for c in await repo.for_partnership(pid)]


async def _deliveries(settings: Settings, reference: str) -> list[Delivery]:
    async with read_only_store(settings) as store:
        return await DeliveryLog(store).for_case(reference)


def plan_line(reminder: Reminder) -> str:
    """One planned reminder as the dry run prints it."""
    late = "  (late)" if reminder.late else ""
    return (
        f"  {reminder.reference}  {reminder.milestone.value:<22} {reminder.kind:<9}"
        f" due {reminder.due}  left {reminder.working_days_left}{late}\n"
    )


def run(args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO) -> int:
    """Print the plan or the log."""
    if args.log:
        deliveries = asyncio.run(_deliveries(settings, args.log.upper()))
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
    try:
        calendars = calendars_for(settings)
    except HolidayFileError as exc:
        stderr.write(f"review-bot reminders: {exc}\n")
        return EXIT_USAGE
    partnerships = load_partnerships(settings.partnerships)
    cases = asyncio.run(_cases(settings, partnerships))
    # The runner's own plan: its partnerships (those with a review channel) and its calendars.
    plan = due_reminders(cases, partnerships=partnerships, calendars=calendars, now=local)
    stdout.write(
        f"at {london_time(local):%Y-%m-%d %H:%M} (Europe/London): {len(plan)} reminder(s)\n"
    )
    stdout.writelines(plan_line(r) for r in plan)
    return 0
