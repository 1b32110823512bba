"""`review-bot rotate-key`: re-encrypt every document with the first data key.

The rotation, step by step: put the new key first in REVIEW_BOT_DATA_KEYS and keep the old one
after it; restart the bot (it writes with the new key, reads both); run this command; drop the
old key and restart. Safe to run again: documents already under the first key are left alone.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from bot.settings import Settings
from cli.common import Subparsers, with_settings
from storage.cases import CaseRepository
from storage.encrypted import Rotation

COMMAND = "rotate-key"


def add_parser(subparsers: Subparsers) -> None:
    """Register `rotate-key`."""
    parser = subparsers.add_parser(
        COMMAND,
        help="re-encrypt every document with the first key of REVIEW_BOT_DATA_KEYS",
        description=(
            "Re-encrypt every stored document with the first key of REVIEW_BOT_DATA_KEYS and"
            " rebuild the child index under it, so the other keys can be dropped. Safe to run"
            " again. The embedded store: stop the bot first. PostgreSQL: restart every replica"
            " with the new key first, then run it beside them."
        ),
    )
    parser.set_defaults(handler=with_settings(run))


def run(args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO) -> int:
    """Rotate; print per-collection counts and the key ids no document uses any more."""
    rotation, pruned, writing = asyncio.run(_rotate(settings))
    stdout.write(f"{'collection':<14}{'re-encrypted':>14}{'already':>10}\n")
    for tally in rotation.tallies:
        stdout.write(f"{tally.collection:<14}{tally.resealed:>14}{tally.already:>10}\n")
    stdout.write(f"child index: rebuilt under key {writing!r}, {pruned} older entries deleted\n")
    total = sum(t.resealed for t in rotation.tallies)
    stdout.write(f"every document is encrypted with key {writing!r} ({total} re-encrypted now)\n")
    for key_id in rotation.retired:
        stdout.write(f"key {key_id!r} is no longer used: drop it from REVIEW_BOT_DATA_KEYS\n")
    return 0


async def _rotate(settings: Settings) -> tuple[Rotation, int, str]:
    from bot.app import open_store  # the app's one choice of backend and keys

    store = await open_store(settings)
    try:
        # The index first: the entries it replaces are deleted, not re-encrypted.
        pruned = await CaseRepository(store).rebuild_child_index()
        rotation = await store.rotate()
        return rotation, pruned, store.keyring.primary.id
    finally:
        await store.close()
