"""`review-bot migrate --from DATA_DIR --to URL`: copy the embedded store into PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TextIO

from bot.settings import SettingsError, check_database_url, load_settings
from cli.common import EXIT_USAGE, Subparsers
from storage.base import StoreError
from storage.copying import CollectionCopy, copy_store
from storage.postgres_store import PostgresStore, describe_url
from storage.tinydb_store import TinyDBStore

COMMAND = "migrate"
EXIT_MISMATCH = 1


def add_parser(subparsers: Subparsers) -> None:
    """Register `migrate --from DATA_DIR --to URL [--overwrite]`."""
    parser = subparsers.add_parser(
        COMMAND,
        help="copy the embedded store into PostgreSQL (safe to run again)",
        description=(
            "Copy every document of the embedded store in DATA_DIR into PostgreSQL, then check"
            " that each one is there with the same data. Documents already there with the same"
            " data are skipped; ones there with other data are reported and kept, unless"
            " --overwrite. Stop the bot first: writes after the copy reads are not copied."
        ),
    )
    parser.add_argument(
        "--from", dest="source", required=True, metavar="DATA_DIR", help="the embedded store"
    )
    parser.add_argument(
        "--to",
        dest="target",
        metavar="URL",
        help="postgresql://user@host/database (default: REVIEW_BOT_DATABASE_URL, which keeps a"
        " password out of the process list)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace documents whose data differs in PostgreSQL with the embedded store's",
    )
    parser.set_defaults(handler=run)


def _target_url(args: argparse.Namespace, stderr: TextIO) -> str | None:
    if args.target is not None:
        try:
            return check_database_url(args.target.strip())
        except ValueError as exc:
            stderr.write(f"review-bot migrate: --to: {exc}\n")
            return None
    try:
        url = load_settings().database_url
    except SettingsError as exc:
        stderr.write(f"review-bot migrate: {exc}\n")
        return None
    if url is None:
        stderr.write("review-bot migrate: give --to URL or set REVIEW_BOT_DATABASE_URL\n")
    return url


def run(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Copy, print per-collection counts, check; exit 1 on any document not copied as it is."""
    source = Path(args.source)
    if not source.is_dir():
        stderr.write(f"review-bot migrate: {source}: no such directory\n")
        return EXIT_USAGE
    url = _target_url(args, stderr)
    if url is None:
        return EXIT_USAGE
    stdout.write(f"copying the embedded store in {source} to PostgreSQL, {describe_url(url)}\n")
    try:
        tallies = asyncio.run(_copy(source, url, overwrite=args.overwrite))
    except StoreError as exc:
        stderr.write(f"review-bot migrate: {exc}\n")
        return EXIT_MISMATCH
    _print(tallies, stdout)
    unmatched = [(t.collection, key) for t in tallies for key in t.unmatched]
    for collection, key in unmatched:
        stderr.write(f"not copied as it is: {collection}/{key}\n")
    if unmatched:
        hint = "" if args.overwrite else " (--overwrite replaces those that differ)"
        stderr.write(f"review-bot migrate: {len(unmatched)} document(s) not copied{hint}\n")
        return EXIT_MISMATCH
    total = sum(t.source for t in tallies)
    stdout.write(f"checked: all {total} document(s) are in PostgreSQL with the same data\n")
    return 0


async def _copy(source: Path, url: str, *, overwrite: bool) -> list[CollectionCopy]:
    embedded = TinyDBStore(source, read_only=True)
    try:
        target = await PostgresStore.open(url)
        try:
            return await copy_store(embedded, target, overwrite=overwrite)
        finally:
            await target.close()
    finally:
        await embedded.close()


def _print(tallies: list[CollectionCopy], stdout: TextIO) -> None:
    stdout.write(
        f"{'collection':<14}{'copied':>8}{'already there':>15}{'differing':>11}"
        f"{'overwritten':>13}{'only in target':>16}\n"
    )
    for t in tallies:
        stdout.write(
            f"{t.collection:<14}{t.copied:>8}{t.already:>15}{len(t.differing):>11}"
            f"{t.overwritten:>13}{t.only_in_target:>16}\n"
        )
