"""`review-bot retention`, `export` and `erase`: the retention schedules, and one case's data.

- `retention [--at DATE] [--apply]`: what the schedules erase and delete as of a day (a
  preview), or apply them now. The bot runs the same once a day.
- `export CASE [--out FILE]`: everything the bot holds on one case, as JSON, for a subject
  access request.
- `erase CASE --reason TEXT [--yes]`: erase one case's personal data now, audited.

Reference numbers and counts are printed, never a name (`export` excepted: it is the data).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from bot.app import Repositories, build_retention, open_store
from bot.clock import SystemClock
from bot.settings import Settings
from cli.common import EXIT_USAGE, Subparsers, read_only_store, with_settings
from safeguarding.cases import is_reference
from safeguarding.clocks import LONDON, london_time
from safeguarding.partnerships import Partnerships, PartnershipsFileError, load_partnerships
from safeguarding.retention import BY_SCHEDULE, CaseDue
from storage.base import Store
from usecases.logs import quoted
from usecases.retention import CaseNotFoundError, Erased, Retention, RetentionPlan, RetentionReport

EXIT_NOT_FOUND = 1
EXIT_NOT_CONFIRMED = 3
_KINDS = {"personal": "personal chats", "groupChat": "group chats", "roster_member": "roster cache"}


def add_parser(subparsers: Subparsers) -> None:
    """Register `retention`, `export` and `erase`."""
    retention = subparsers.add_parser(
        "retention",
        help="preview or apply the retention schedules (the bot applies them daily)",
        description=(
            "What each partnership's retention schedule erases and deletes as of a day: cases'"
            " personal data, drafts, people's records, delivery records. Nothing is changed"
            " without --apply, which runs as of now. On the embedded store, --apply needs the"
            " bot stopped (the bot's own daily run does the same)."
        ),
    )
    retention.add_argument(
        "--at", metavar="YYYY-MM-DD", help="preview as of the start of this London day"
    )
    # --apply with --at another day is refused (run_retention): erasures happen, and are
    # recorded, now.
    retention.add_argument("--apply", action="store_true", help="erase and delete, now")
    retention.set_defaults(handler=with_settings(_retention_now))

    export = subparsers.add_parser(
        "export",
        help="one case as JSON for a subject access request (names included)",
        description=(
            "Everything the bot holds on one case: the case, its audit trail, its delivery"
            " records. It holds the child's and the referrer's details: keep it as the"
            " request's own records are kept."
        ),
    )
    export.add_argument("reference", help="e.g. COV-2026-001")
    export.add_argument("--out", metavar="FILE", help="write here (a new file, owner-only)")
    export.set_defaults(handler=with_settings(_export_now))

    erase = subparsers.add_parser(
        "erase",
        help="erase one case's personal data now (audited; cannot be undone)",
        description=(
            "Erase the names, dates of birth, contact details and free text of one case now,"
            " keeping its reference, dates and decisions. The audit trail records when, by"
            " whom and why, never what was erased. Put no names in the reason."
        ),
    )
    erase.add_argument("reference", help="e.g. COV-2026-001")
    erase.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    erase.add_argument("--by", help="who is erasing it (default: your login name)")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(handler=with_settings(_erase_now))


@contextlib.asynccontextmanager
async def _retention(settings: Settings, *, write: bool) -> AsyncIterator[Retention]:
    partnerships = load_partnerships(settings.partnerships)
    store: Store
    if write:
        store = await open_store(settings)
        try:
            yield build_retention(partnerships, Repositories.over(store, settings), store)
        finally:
            await store.close()
    else:
        async with read_only_store(settings) as store:
            yield build_retention(partnerships, Repositories.over(store, settings), store)


def _now() -> datetime:
    return SystemClock().now()


# --- retention -----------------------------------------------------------------------------


def _retention_now(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return run_retention(settings, args.at, args.apply, stdout=stdout, stderr=stderr, now=_now())


def run_retention(
    settings: Settings,
    at: str | None,
    apply: bool,
    *,
    stdout: TextIO,
    stderr: TextIO,
    now: datetime,
) -> int:
    """Print the plan as of `at` (default: now), or apply it now."""
    moment = now
    if at is not None:
        try:
            day = date.fromisoformat(at)
        except ValueError:
            stderr.write(f"review-bot retention: --at '{at}' is not YYYY-MM-DD\n")
            return EXIT_USAGE
        if apply and day != london_time(now).date():
            # Applying as of a day to come would erase early, and as of a day gone by would
            # record erasures at a moment they did not happen: another day is for looking.
            stderr.write("review-bot retention: --apply runs as of now: --at today or no --at\n")
            return EXIT_USAGE
        if not apply:
            moment = datetime.combine(day, time(0, 0), tzinfo=LONDON)
    try:
        plan, report = asyncio.run(_plan_or_apply(settings, moment, apply))
    except PartnershipsFileError as exc:
        stderr.write(f"review-bot retention: {exc}\n")
        return EXIT_USAGE
    ttl = settings.draft_ttl_days
    schedules = schedule_lines(load_partnerships(settings.partnerships), draft_ttl_days=ttl)
    stdout.write("\n".join(schedules) + "\n")
    stdout.write(plan_text(plan, draft_ttl_days=ttl, applied=report))
    return 0


async def _plan_or_apply(
    settings: Settings, moment: datetime, apply: bool
) -> tuple[RetentionPlan, RetentionReport | None]:
    async with _retention(settings, write=apply) as retention:
        plan = await retention.preview(moment)
        report = await retention.apply(moment) if apply else None
        return plan, report


def _dues(label: str, dues: list[CaseDue]) -> list[str]:
    if not dues:
        return [f"{label}: none"]
    lines = [f"{label}:"]
    for due in dues:
        lines.append(
            f"  {due.reference}  {due.partnership_id}  finished {due.finished_on}  due {due.due_on}"
        )
    return lines


def schedule_lines(partnerships: Partnerships, *, draft_ttl_days: int) -> list[str]:
    """Each partnership's schedule, and what applies to everyone, as the preview opens with."""
    lines = ["Schedules (the partnerships file):"]
    for partnership in partnerships.partnerships.values():
        schedule = partnership.retention
        lines.append(
            f"  {partnership.id}: cases {schedule.closed_case_years} year(s) after they finish;"
            f" deliveries {schedule.delivery_days} day(s); on hold:"
            f" {', '.join(schedule.hold) or 'none'};"
            f" {'daily' if schedule.automatic else 'by hand only'}"
        )
    lines.append(
        f"  everyone: people's records {partnerships.retention.conversation_months} month(s)"
        f" after their last message; drafts {draft_ttl_days} day(s) untouched"
    )
    return [*lines, ""]


def plan_text(
    plan: RetentionPlan, *, draft_ttl_days: int, applied: RetentionReport | None = None
) -> str:
    """The plan (and what applying it changed) as the command prints it: references, counts."""
    when = f"{london_time(plan.at):%Y-%m-%d %H:%M} (Europe/London)"
    head = "applied" if applied else "a preview: nothing is changed (--apply changes it)"
    people = ", ".join(f"{_KINDS.get(k, k)} {n}" for k, n in sorted(plan.conversations.items()))
    deliveries = ", ".join(f"{p} {n}" for p, n in sorted(plan.deliveries.items()))
    lines = [
        f"Retention as of {when}: {head}",
        "",
        *_dues("Cases whose personal data are due for erasure", plan.cases),
        *_dues("Due but on hold (kept)", plan.held),
        "Erased cases with something left to finish: " + (", ".join(plan.to_finish) or "none"),
        f"Drafts untouched for more than {draft_ttl_days} days: {plan.drafts}",
        f"People's records not seen for the period: {sum(plan.conversations.values())}"
        + (f" ({people})" if people else "")
        + f"; kept all the same (refer an open case, or a lead): {plan.conversations_kept}",
        f"Records with no last-seen day yet (dated on apply): {plan.undated}",
        f"Delivery records of finished cases past their period: {sum(plan.deliveries.values())}"
        + (f" ({deliveries})" if deliveries else ""),
        "Erased cases whose posted cards the bot still has to replace: "
        + (", ".join(plan.cards_to_update) or "none"),
    ]
    if applied is not None:
        lines += [
            "",
            f"Erased: {', '.join(applied.erased) or 'none'}; finished:"
            f" {', '.join(applied.finished) or 'none'}",
            f"Deleted: {applied.drafts} draft(s), {applied.conversations} people's record(s),"
            f" {applied.deliveries} delivery record(s); dated {applied.dated};"
            f" left for the next run: {applied.skipped}",
            "The bot's daily run replaces the erased cases' cards in the review channels.",
        ]
    return "\n".join(lines) + "\n"


# --- export --------------------------------------------------------------------------------


def _case_reference(command: str, value: str, stderr: TextIO) -> str | None:
    """The reference in the bot's form (upper case), or None after one line saying it is not."""
    reference = value.strip().upper()
    if is_reference(reference):
        return reference
    stderr.write(
        f"review-bot {command}: {quoted(value)} is not a case reference (like COV-2026-001)\n"
    )
    return None


def _export_now(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    out = Path(args.out) if args.out else None
    return run_export(settings, args.reference, out, stdout=stdout, stderr=stderr, now=_now())


async def _export(settings: Settings, reference: str, now: datetime) -> dict[str, Any]:
    async with _retention(settings, write=False) as retention:
        return await retention.export(reference, now=now)


def run_export(
    settings: Settings,
    reference: str,
    out: Path | None,
    *,
    stdout: TextIO,
    stderr: TextIO,
    now: datetime,
) -> int:
    """Write one case's export to stdout or a new owner-only file."""
    checked = _case_reference("export", reference, stderr)
    if checked is None:
        return EXIT_USAGE
    reference = checked
    try:
        document = asyncio.run(_export(settings, reference, now))
    except CaseNotFoundError as exc:
        stderr.write(f"review-bot export: {exc}\n")
        return EXIT_NOT_FOUND
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        stdout.write(text)
        return 0
    try:
        # A new file readable by its owner only: it holds a child's details.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        stderr.write(f"review-bot export: {out} exists; give a new file\n")
        return EXIT_USAGE
    except OSError as exc:
        stderr.write(f"review-bot export: {out}: {exc.strerror}\n")
        return EXIT_USAGE
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    stdout.write(f"{reference}: exported to {out}\n")
    return 0


# --- erase ---------------------------------------------------------------------------------


def _ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline() if sys.stdin.isatty() else ""


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _erase_now(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return run_erase(
        settings,
        args.reference,
        reason=args.reason,
        by=args.by or _login_name(),
        confirmed=args.yes,
        ask=_ask,
        stdout=stdout,
        stderr=stderr,
        now=_now(),
    )


async def _erase(settings: Settings, reference: str, by: str, reason: str, now: datetime) -> Erased:
    async with _retention(settings, write=True) as retention:
        return await retention.erase(reference, by=by, reason=reason, now=now)


def run_erase(
    settings: Settings,
    reference: str,
    *,
    reason: str,
    by: str,
    confirmed: bool,
    ask: Callable[[str], str],
    stdout: TextIO,
    stderr: TextIO,
    now: datetime,
) -> int:
    """Erase one case's personal data, once the reference is typed back (or with --yes)."""
    checked = _case_reference("erase", reference, stderr)
    if checked is None:
        return EXIT_USAGE
    reference = checked
    reason, by = " ".join(reason.split()), " ".join(by.split())
    if not reason or not by or len(reason) > 500 or len(by) > 200 or by == BY_SCHEDULE:
        stderr.write("review-bot erase: give a --reason (up to 500 characters) and a --by\n")
        return EXIT_USAGE
    if not confirmed:
        answer = ask(
            f"Erase the personal data of {reference}? It cannot be undone."
            " Type the reference to confirm: "
        )
        if answer.strip().upper() != reference:
            stderr.write("review-bot erase: not confirmed; nothing erased\n")
            return EXIT_NOT_CONFIRMED
    try:
        done = asyncio.run(_erase(settings, reference, by, reason, now))
    except CaseNotFoundError as exc:
        stderr.write(f"review-bot erase: {exc}\n")
        return EXIT_NOT_FOUND
    if done.newly:
        stdout.write(
            f"{reference}: personal data erased ({done.audit_entries_redacted} audit"
            f" entr{'y' if done.audit_entries_redacted == 1 else 'ies'} redacted,"
            f" {done.index_entries_deleted} index entr"
            f"{'y' if done.index_entries_deleted == 1 else 'ies'} deleted). The bot's next daily"
            " run replaces its cards in the review channel.\n"
        )
    else:
        erasure = done.erasure
        stdout.write(
            f"{reference}: already erased on {london_time(erasure.at):%Y-%m-%d} by"
            f" {erasure.by}; nothing more to erase\n"
        )
    return 0
