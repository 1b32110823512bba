"""The `review-bot` command: serve, check-config, and the tools later issues add."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from cli import (
    case,
    check_config,
    check_store,
    demo_data,
    migrate,
    package,
    redirects,
    reminders,
    report,
    retention,
    rotate_key,
    serve,
    timeline,
    triage,
)
from cli.common import Handler

# In this order in `review-bot --help`; each module registers its parser and its handler.
COMMANDS = (
    serve,
    check_config,
    check_store,
    timeline,
    redirects,
    package,
    reminders,
    case,
    triage,
    migrate,
    rotate_key,
    demo_data,
    retention,
    report,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="review-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def run(argv: Sequence[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run one CLI invocation; return the exit code."""
    args = build_parser().parse_args(list(argv))
    handler: Handler = args.handler
    return handler(args, stdout=stdout, stderr=stderr)


def main() -> None:
    """Console-script entry point."""
    try:
        code = run(sys.argv[1:], stdout=sys.stdout, stderr=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        # The reader went away (`review-bot triage --jsonl … | head`): stop quietly, as Unix
        # tools do; point stdout at nothing so the interpreter's final flush cannot fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
