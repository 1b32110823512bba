"""The `review-bot` command: serve, check-config, and the tools later issues add."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot import cli_case, cli_package, cli_reminders, cli_timeline, cli_triage
from bot.app import load_faqs
from bot.clock import SystemClock
from bot.settings import Settings, SettingsError, configure_logging, load_settings
from safeguarding.calendar import HolidayFileError
from safeguarding.clocks import london_time
from safeguarding.faq import FaqFileError
from safeguarding.partnerships import PartnershipsFileError, load_partnerships
from storage.stats import RedirectCounter
from storage.tinydb_store import TinyDBStore

logger = logging.getLogger("review_bot")

EXIT_USAGE = 2


def _serve(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    from bot.app import create_app

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
    except (HolidayFileError, FaqFileError) as exc:
        stderr.write(f"review-bot: cannot start: {exc}\n")
        return EXIT_USAGE
    mode = (
        "authentication ON" if settings.authentication_enabled else "authentication OFF (loopback)"
    )
    logger.info(
        "serving on http://%s:%d/api/messages, %s, data in %s",
        settings.host,
        settings.port,
        mode,
        settings.data_dir,
    )
    # run_app handles SIGINT and SIGTERM: it stops accepting, then runs cleanup (closes the store).
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


def _check_config(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    path = Path(args.file)
    try:
        partnerships = load_partnerships(path)
    except PartnershipsFileError as exc:
        stderr.write(f"{exc.source}: invalid, {len(exc.problems)} problem(s)\n")
        stderr.writelines(f"  {p}\n" for p in exc.problems)
        return 1
    try:
        faqs = load_faqs(partnerships, path.parent)
    except FaqFileError as exc:
        stderr.write(f"{path}: invalid FAQ file: {exc}\n")
        return 1
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
    return 0


def _timeline(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    # Deadlines are days in England: "today" is the date in Europe/London, not UTC.
    today = london_time(SystemClock().now()).date()
    return cli_timeline.run(args, stdout=stdout, stderr=stderr, today=today)


Command = Callable[..., int]


def _with_settings(command: Command) -> Command:
    """Wrap a command that needs the settings: one clear line and exit 2 when they are bad."""

    def handler(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
        try:
            settings = load_settings()
        except SettingsError as exc:
            stderr.write(f"review-bot: {exc}\n")
            return EXIT_USAGE
        code: int = command(args, settings, stdout=stdout, stderr=stderr)
        return code

    return handler


@_with_settings
def _redirects(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    rows = asyncio.run(_redirect_rows(settings.data_dir, args.month))
    if not rows:
        stdout.write("no redirects recorded\n")
        return 0
    stdout.write(f"{'month':<8} {'partnership':<16} {'label':<40} count\n")
    stdout.writelines(f"{m:<8} {p:<16} {label:<40} {n}\n" for m, p, label, n in rows)
    return 0


async def _redirect_rows(data_dir: Path, month: str | None) -> list[tuple[str, str, str, int]]:
    store = TinyDBStore(data_dir, read_only=True)
    try:
        return await RedirectCounter(store).report(month)
    finally:
        await store.close()


@_with_settings
def _case(args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO) -> int:
    today = london_time(SystemClock().now()).date()
    return cli_case.run(settings, args.reference, stdout=stdout, stderr=stderr, today=today)


@_with_settings
def _reminders(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return cli_reminders.run(settings, args, stdout=stdout, stderr=stderr)


@_with_settings
def _package(
    args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
) -> int:
    return cli_package.run(
        args,
        app_id=settings.app_id,
        public_host=settings.public_host,
        stdout=stdout,
        stderr=stderr,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="review-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bot (settings from the environment and .env)")
    serve.set_defaults(handler=_serve)
    check = sub.add_parser("check-config", help="validate a partnerships file")
    check.add_argument("file", help="path of the partnerships TOML file")
    check.set_defaults(handler=_check_config)
    cli_timeline.add_parser(sub)
    sub.choices[cli_timeline.COMMAND].set_defaults(handler=_timeline)
    redirects = sub.add_parser(
        "redirects", help="how often practitioners were sent to 999, the front door or elsewhere"
    )
    redirects.add_argument("--month", metavar="YYYY-MM", help="one month only")
    redirects.set_defaults(handler=_redirects)
    cli_package.add_parser(sub)
    sub.choices[cli_package.COMMAND].set_defaults(handler=_package)
    cli_reminders.add_parser(sub)
    sub.choices["reminders"].set_defaults(handler=_reminders)
    cli_case.add_parser(sub)
    sub.choices["case"].set_defaults(handler=_case)
    cli_triage.add_parser(sub)
    sub.choices["triage"].set_defaults(handler=cli_triage.run)
    return parser


def run(argv: Sequence[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run one CLI invocation; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    code: int = args.handler(args, stdout=stdout, stderr=stderr)
    return code


def main() -> None:
    """Console-script entry point."""
    try:
        code = run(sys.argv[1:], stdout=sys.stdout, stderr=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
