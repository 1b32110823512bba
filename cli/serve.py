"""`review-bot serve`: run the bot with the settings from the environment and .env."""

from __future__ import annotations

import argparse
import gc
import logging
from typing import TextIO

from aiohttp import web

from bot.settings import SettingsError, configure_logging, load_settings
from cli.common import EXIT_USAGE, Subparsers
from safeguarding.calendar import HolidayFileError
from safeguarding.faq import FaqFileError
from safeguarding.partnerships import PartnershipsFileError
from safeguarding.triage_model import ModelFileError
from storage.base import StoreError
from storage.shards import CorruptStoreError

COMMAND = "serve"
logger = logging.getLogger("review_bot")


def add_parser(subparsers: Subparsers) -> None:
    """Register `serve`."""
    parser = subparsers.add_parser(
        COMMAND, help="run the bot (settings from the environment and .env)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Serve until SIGINT or SIGTERM; exit 2, with the reason, when the bot cannot start."""
    from bot.app import create_app, store_description

    try:
        settings = load_settings()
    except SettingsError as exc:
        stderr.write("review-bot: cannot start, " + str(exc) + "\n")
        return EXIT_USAGE
    configure_logging(settings)
    try:
        app = create_app(settings)
    except PartnershipsFileError as exc:
        stderr.write("review-bot: cannot start, the partnerships file is invalid:\n")
        stderr.writelines(f"  {exc.source}: {p}\n" for p in exc.problems)
        return EXIT_USAGE
    except (HolidayFileError, FaqFileError, ModelFileError) as exc:
        stderr.write(f"review-bot: cannot start: {exc}\n")
        return EXIT_USAGE
    mode = (
        "authentication ON" if settings.authentication_enabled else "authentication OFF (loopback)"
    )

    async def announce(app: web.Application) -> None:
        # After the store opened (the app's first startup step): a refused start says only why.
        # What start-up built (modules, the store's index) lives as long as the process: kept
        # out of every later garbage collection, whose full passes over it would each hold
        # the event loop for a tenth of a second.
        gc.collect()
        gc.freeze()
        logger.info(
            "serving on http://%s:%d/api/messages, %s, store %s",
            settings.host,
            settings.port,
            mode,
            store_description(settings),
        )

    app.on_startup.append(announce)
    # run_app handles SIGINT and SIGTERM: it stops accepting, then runs cleanup (closes the store).
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    except StoreError as exc:
        # The store opens as the app starts: PostgreSQL not answering, a schema newer than this
        # code, an embedded store damaged, locked by another process or unreadable.
        stderr.write(f"review-bot: cannot start: {exc}\n")
        if isinstance(exc, CorruptStoreError):
            stderr.write("review-bot: `review-bot check-store` lists every damaged file\n")
        return EXIT_USAGE
    return 0
