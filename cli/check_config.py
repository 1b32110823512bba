"""`review-bot check-config FILE`: validate a partnerships file and its FAQ files, and say
which store the settings choose and whether it answers."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import TextIO

from bot.app import load_faqs, store_description
from bot.identity import database_password
from bot.settings import Settings, SettingsError, load_settings
from cli.common import Subparsers
from safeguarding.faq import FaqFileError
from safeguarding.partnerships import PartnershipsFileError, load_partnerships
from storage.base import StoreError
from storage.keys import parse_data_keys
from storage.postgres_store import PostgresUnavailableError, inspect_schema

COMMAND = "check-config"
EXIT_INVALID = 1


def add_parser(subparsers: Subparsers) -> None:
    """Register `check-config FILE`."""
    parser = subparsers.add_parser(COMMAND, help="validate a partnerships file")
    parser.add_argument("file", help="path of the partnerships TOML file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Print one line per partnership and warnings, or every problem and exit 1."""
    path = Path(args.file)
    try:
        partnerships = load_partnerships(path)
    except PartnershipsFileError as exc:
        stderr.write(f"{exc.source}: invalid, {len(exc.problems)} problem(s)\n")
        stderr.writelines(f"  {p}\n" for p in exc.problems)
        return EXIT_INVALID
    try:
        faqs = load_faqs(partnerships, path.parent)
    except FaqFileError as exc:
        stderr.write(f"{path}: invalid FAQ file: {exc}\n")
        return EXIT_INVALID
    stdout.write(f"{path}: OK, {len(partnerships.partnerships)} partnership(s)\n")
    for partnership in partnerships.partnerships.values():
        channel = (
            "review channel set" if partnership.review_channel.channel_id else "no review channel"
        )
        stdout.write(
            f"  {partnership.id}: {partnership.name} ({', '.join(partnership.areas)});"
            f" {len(partnership.leads)} lead(s); {channel};"
            f" {len(faqs.get(partnership.id, ()))} own FAQ answer(s)\n"
        )
    for partnership in partnerships.partnerships.values():
        # A warning, not an error: the bot is safe meanwhile, it shows both numbers.
        if not partnership.front_door.hours_confirmed:
            stderr.write(
                f"warning: {partnership.id}: front_door.hours_confirmed is not true: every"
                " signpost shows both the office-hours and the out-of-hours number until the"
                " partnership confirms its front door's hours\n"
            )
        # A warning, not an error: its referrals are still filed, and the acknowledgement tells
        # the referrer to send them to the partnership another way.
        if not partnership.review_channel.channel_id:
            stderr.write(
                f"warning: {partnership.id}: no review channel (review_channel.team_id and"
                " channel_id): its referrals are filed but posted to no one, and each referrer"
                " is told to send theirs to the partnership another way\n"
            )
    return check_store(stdout=stdout, stderr=stderr)


def check_store(*, stdout: TextIO, stderr: TextIO) -> int:
    """Say which store the settings choose and whether it answers; 1 when it cannot be used."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        stderr.write(f"settings: {exc}\n")
        return EXIT_INVALID
    described = store_description(settings)
    stdout.write(f"data keys: {_keys_state(settings)}\n")
    if settings.database_url is None:
        stdout.write(f"store: {described}; {_directory_state(settings)}\n")
        return 0
    try:
        schema = asyncio.run(
            inspect_schema(settings.database_url, password=database_password(settings))
        )
    except PostgresUnavailableError as exc:
        stderr.write(f"store: {described}; does not answer: {exc.reason}\n")
        return EXIT_INVALID
    except StoreError as exc:
        stderr.write(f"store: {described}; cannot be used: {exc}\n")
        return EXIT_INVALID
    if schema.applied > schema.known:
        stderr.write(
            f"store: {described}; answers, but its schema ({schema.applied:04d}) is newer than"
            f" this review-bot knows ({schema.known:04d}): the bot would refuse to start\n"
        )
        return EXIT_INVALID
    pending = schema.known - schema.applied
    state = f"{pending} migration(s) to apply at start" if pending else "schema up to date"
    stdout.write(f"store: {described}; answers, {state} ({schema.applied:04d})\n")
    return 0


def _directory_state(settings: Settings) -> str:
    directory = settings.data_dir
    if not directory.exists():
        return "the directory will be created at start"
    if not os.access(directory, os.W_OK):
        return "the directory is not writable"
    return "the directory exists and is writable"


def _keys_state(settings: Settings) -> str:
    if settings.data_keys is not None:
        ids = parse_data_keys(settings.data_keys.get_secret_value()).ids
        return f"REVIEW_BOT_DATA_KEYS, writing with {ids[0]!r}, reading {', '.join(map(repr, ids))}"
    made = "" if settings.key_file_path.exists() else " (made at the first start)"
    return f"the development key file {settings.key_file_path}{made}, loopback only"
