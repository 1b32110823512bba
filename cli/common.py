"""What every subcommand shares: exit codes, the handler shape, settings, today in London."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Protocol, TextIO, TypeAlias

from bot.clock import SystemClock
from bot.identity import database_password
from bot.keys import keyring_for
from bot.settings import Settings, SettingsError, load_settings
from safeguarding.clocks import london_time
from storage.base import Store, StoreError
from storage.encrypted import EncryptedStore
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore

EXIT_OK = 0
EXIT_STORE = 1
EXIT_USAGE = 2

# The runtime class is not subscriptable, so the alias is a string only the type checker reads.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Handler(Protocol):
    """What `set_defaults(handler=...)` holds: run one parsed invocation, return its exit code."""

    def __call__(self, args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int: ...


class SettingsCommand(Protocol):
    """A subcommand that needs the settings from the environment and .env."""

    def __call__(
        self, args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO
    ) -> int: ...


def with_settings(command: SettingsCommand) -> Handler:
    """Wrap a command that needs the settings: one clear line and exit 2 when they are bad."""

    def handler(args: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
        try:
            settings = load_settings()
        except SettingsError as exc:
            stderr.write(f"review-bot: {exc}\n")
            return EXIT_USAGE
        try:
            return command(args, settings, stdout=stdout, stderr=stderr)
        except StoreError as exc:
            # PostgreSQL not answering, say: one line naming where, not a traceback.
            stderr.write(f"review-bot: {exc}\n")
            return EXIT_STORE

    return handler


@contextlib.asynccontextmanager
async def read_only_store(where: Settings | Path) -> AsyncIterator[Store]:
    """The store, opened read-only: a tool never writes beside a running bot.

    Given settings, the store they choose (PostgreSQL or embedded); given a directory, the
    embedded store in it.
    """
    store: Store
    if isinstance(where, Settings) and where.database_url:
        store = await PostgresStore.open(
            where.database_url, read_only=True, max_size=2, password=database_password(where)
        )
    else:
        store = TinyDBStore(
            where.data_dir if isinstance(where, Settings) else where, read_only=True
        )
    try:
        if isinstance(where, Settings):
            # Decrypted with the settings' keys (a wrong or missing one: KeyringError, exit 1).
            keyring = keyring_for(where, create=False)
            store = await EncryptedStore.open(store, keyring, read_only=True)
        yield store
    finally:
        await store.close()


def london_today() -> date:
    """Today's date in England: deadlines are days in Europe/London, not UTC."""
    return london_time(SystemClock().now()).date()
