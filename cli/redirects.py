"""`review-bot redirects`: how often practitioners were sent to 999, the front door or elsewhere."""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from bot.settings import Settings
from cli.common import Subparsers, read_only_store, with_settings
from storage.stats import RedirectCounter

COMMAND = "redirects"


def add_parser(subparsers: Subparsers) -> None:
    """Register `redirects [--month YYYY-MM]`."""
    parser = subparsers.add_parser(
        COMMAND, help="how often practitioners were sent to 999, the front door or elsewhere"
    )
    parser.add_argument("--month", metavar="YYYY-MM", help="one month only")
    parser.set_defaults(handler=with_settings(run))


def run(args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO) -> int:
    """Print the counts per month, partnership and label."""
    rows = asyncio.run(_rows(settings, args.month))
    if not rows:
        stdout.write("no redirects recorded\n")
        return 0
    stdout.write(f"{'month':<8} {'partnership':<16} {'label':<40} count\n")
    stdout.writelines(f"{m:<8} {p:<16} {label:<40} {n}\n" for m, p, label, n in rows)
    return 0


async def _rows(settings: Settings, month: str | None) -> list[tuple[str, str, str, int]]:
    async with read_only_store(settings) as store:
        return await RedirectCounter(store).report(month)
