"""`review-bot check-store [--data-dir DIR]`: read every store file and say what is wrong."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from bot.settings import SettingsError, load_settings
from cli.common import EXIT_USAGE, Subparsers
from storage.convert_v0 import BACKUP_DIR
from storage.tinydb_store import check_store

COMMAND = "check-store"
EXIT_DAMAGED = 1


def add_parser(subparsers: Subparsers) -> None:
    """Register `check-store [--data-dir DIR]`."""
    parser = subparsers.add_parser(
        COMMAND, help="check every file of the embedded store (read-only, beside a running bot)"
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: REVIEW_BOT_DATA_DIR)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Print OK with counts per collection, or each damaged file and why; exit 1 on damage."""
    if args.data_dir:
        directory = Path(args.data_dir)
    else:
        try:
            directory = load_settings().data_dir
        except SettingsError as exc:
            stderr.write(f"review-bot: {exc}\n")
            return EXIT_USAGE
    if not directory.is_dir():
        stderr.write(f"review-bot check-store: {directory} is not a directory\n")
        return EXIT_USAGE
    found = check_store(directory)
    stdout.write(f"{directory}: {found.layout}\n")
    if found.old_documents:
        stdout.write(f"  {found.old_documents} documents in the old files\n")
    stdout.writelines(f"  {problem}\n" for problem in found.problems)
    for report in found.collections:
        state = f"{len(report.problems)} problem(s)" if report.problems else "OK"
        files = len(report.files)
        stdout.write(
            f"  {report.kind:<14} {state}: {files} file(s), {report.documents} document(s)"
        )
        if report.adopted:
            stdout.write(f", {len(report.adopted)} not yet listed (just written, or before a stop)")
        if report.leftovers:
            stdout.write(f", {report.leftovers} temp file(s) (a write under way, or a crash's)")
        stdout.write("\n")
        stdout.writelines(f"    {problem}\n" for problem in report.problems)
    if found.sealed or found.in_clear:
        under = ", ".join(f"{n} under key {k!r}" for k, n in sorted(found.sealed.items()))
        clear = ", ".join(sorted(found.in_clear))
        in_clear = sum(found.in_clear.values())
        stdout.write(
            f"  encryption: {under or 'no document encrypted'};"
            f" {in_clear} document(s) in clear{f' ({clear})' if clear else ''}\n"
        )
    if (directory / BACKUP_DIR).is_dir():
        stdout.write(
            f"  {BACKUP_DIR}/ holds the files converted from the first layout, in clear:"
            " delete it once the bot runs well on the converted store\n"
        )
    damaged = found.damaged
    if damaged:
        stdout.write(
            f"{len(damaged)} problem(s): the bot will not start on this store until the files"
            " named are restored from a backup\n"
        )
        return EXIT_DAMAGED
    return 0
