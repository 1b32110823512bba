"""`review-bot package`: build the Teams app package (manifest.json and two icons in a zip).

The building and checking is `teamsapp`; this module turns the options and settings into its
inputs, writes the zip and says what went into it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from bot.settings import SettingsError, load_package_settings
from cli.common import EXIT_OK, EXIT_USAGE, Subparsers
from teamsapp.build import build_package, write_package
from teamsapp.manifest import (
    LOCAL_DEV_BOT_ID,
    SCHEMA_VERSION,
    Developer,
    PackageError,
    project_version,
    teams_app_id_for,
)

COMMAND = "package"
EXIT_PROBLEMS = 1


def add_parser(subparsers: Subparsers) -> None:
    """Register the `package` subcommand and its options."""
    parser = subparsers.add_parser(
        COMMAND,
        help="build the Teams app package (manifest.json, color.png, outline.png in a zip)",
        description=(
            "Fill deploy/appPackage/manifest.template.json, check it against the Teams manifest "
            f"schema v{SCHEMA_VERSION} and the bot's own rules, check the icons, and write the "
            "zip to upload to Teams. Nothing is written when there is a problem."
        ),
    )
    parser.add_argument("--out", metavar="FILE.zip", type=Path, required=True, help="zip to write")
    parser.add_argument(
        "--app-id",
        metavar="GUID",
        help="the bot's Microsoft app id (default: MicrosoftAppId, else a fixed local-dev id)",
    )
    parser.add_argument(
        "--teams-app-id",
        metavar="GUID",
        help="the Teams app id, when it is not the bot's (the Toolkit's TEAMS_APP_ID)",
    )
    parser.add_argument(
        "--domain",
        metavar="HOST",
        help="the bot's public host name for validDomains (default: REVIEW_BOT_PUBLIC_HOST)",
    )
    parser.add_argument(
        "--version",
        metavar="X.Y.Z",
        help="the app version; raise it for every upload (default: the project's version)",
    )
    defaults = Developer()
    parser.add_argument(
        "--developer-name", metavar="NAME", help=f"publisher (default: {defaults.name!r})"
    )
    parser.add_argument("--website-url", metavar="URL", help="publisher's support page")
    parser.add_argument("--privacy-url", metavar="URL", help="privacy notice")
    parser.add_argument("--terms-url", metavar="URL", help="terms of use")
    parser.set_defaults(handler=_with_settings_ids)


def _with_settings_ids(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    # Only the app id and host: building a package needs no secret, tenant or store.
    try:
        settings = load_package_settings()
    except SettingsError as exc:
        stderr.write(f"review-bot: {exc}\n")
        return EXIT_USAGE
    return run(
        args, app_id=settings.app_id, public_host=settings.public_host, stdout=stdout, stderr=stderr
    )


def run(
    args: argparse.Namespace,
    *,
    app_id: str,
    public_host: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Build and write the package; exit 1 with one line per problem, and no zip, if invalid."""
    bot_id = (args.app_id or "").strip() or app_id.strip() or LOCAL_DEV_BOT_ID
    teams_app_id = (args.teams_app_id or "").strip() or teams_app_id_for(bot_id)
    domain = (args.domain if args.domain is not None else public_host or "").strip() or None
    version = (args.version or "").strip() or project_version()
    defaults = Developer()
    developer = Developer(
        name=args.developer_name or defaults.name,
        website_url=args.website_url or defaults.website_url,
        privacy_url=args.privacy_url or defaults.privacy_url,
        terms_url=args.terms_url or defaults.terms_url,
    )
    out: Path = args.out
    try:
        data = build_package(
            app_id=teams_app_id, bot_id=bot_id, domain=domain, version=version, developer=developer
        )
    except PackageError as exc:
        stderr.write(f"review-bot package: not built, {len(exc.problems)} problem(s):\n")
        stderr.writelines(f"  {problem}\n" for problem in exc.problems)
        return EXIT_PROBLEMS
    try:
        write_package(data, out)
    except OSError as exc:
        stderr.write(f"review-bot package: cannot write {out}: {exc.strerror or exc}\n")
        return EXIT_PROBLEMS
    local = bot_id == LOCAL_DEV_BOT_ID
    stdout.write(f"wrote {out} (Teams manifest v{SCHEMA_VERSION}, app version {version})\n")
    stdout.write(f"  app id: {teams_app_id}\n")
    stdout.write(
        f"  bot id: {bot_id}"
        + (" (local development id: authentication off, not for a real tenant)" if local else "")
        + "\n"
    )
    stdout.write(f"  valid domain: {domain or 'none'}\n")
    if developer.is_placeholder:
        stdout.write(
            "  note: developer links are placeholders on partnership.example; pass --website-url,"
            " --privacy-url and --terms-url before publishing\n"
        )
    return EXIT_OK
