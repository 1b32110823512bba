"""Data keys: parsed from `REVIEW_BOT_DATA_KEYS` (or a development key file), never shown.

A key is 32 random bytes. It is not used as it is: HKDF-SHA256 derives one subkey per purpose
(document encryption, the child index's keyed hashes), so no two uses share a key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.base import StoreError

logger = logging.getLogger(__name__)

KEY_BYTES = 32
# Fewer different byte values than this is not a random key: 32 zero bytes, a short pattern
# repeated. 32 random bytes show fewer than 8 values with odds below 1 in 10^36.
MIN_DISTINCT_BYTES = 8
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# How an operator makes one; shown in messages about a bad key.
HOW_TO_MAKE = "openssl rand -base64 32"


class KeyringError(StoreError):
    """Data keys that cannot open the store: missing, malformed, wrong or unknown."""


class KeyFileError(KeyringError):
    """The development key file could not be read or made."""


@dataclass(frozen=True)
class DataKey:
    """One data key: its id (stored beside each ciphertext) and its 32 bytes (never shown)."""

    id: str
    secret: bytes = field(repr=False)

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte subkey for one purpose (HKDF-SHA256, RFC 5869)."""
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(
            self.secret
        )


@dataclass(frozen=True)
class Keyring:
    """The data keys in order: the first encrypts new writes, every one of them still reads."""

    keys: tuple[DataKey, ...]
    # Where the keys came from, for messages: the setting's name or the key file's path.
    source: str = "REVIEW_BOT_DATA_KEYS"

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyringError(f"{self.source}: no data keys")

    @property
    def primary(self) -> DataKey:
        """The key new writes are encrypted with."""
        return self.keys[0]

    def get(self, key_id: str) -> DataKey | None:
        """The key with this id, or None."""
        return next((k for k in self.keys if k.id == key_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        """The key ids, first (the writing key) first."""
        return tuple(k.id for k in self.keys)


def _decode_key(text: str) -> bytes | None:
    # Standard or URL-safe alphabet, padding optional; anything else is not base64.
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_data_keys(text: str, *, source: str = "REVIEW_BOT_DATA_KEYS") -> Keyring:
    """Parse `id:key,id:key`; ValueError names the item and what is wrong, never key material."""
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ValueError(f"empty: give id:key, the key 32 random bytes in base64 ({HOW_TO_MAKE})")
    keys: list[DataKey] = []
    problems: list[str] = []
    for number, item in enumerate(items, start=1):
        key_id, sep, material = item.partition(":")
        key_id = key_id.strip()
        if not sep:
            # Not quoted: a key pasted without its id would be shown.
            problems.append(f"item {number} is not id:key")
            continue
        if not KEY_ID.match(key_id):
            problems.append(f"item {number}: the key id must be 1 to 32 letters, digits, - or _")
            continue
        secret = _decode_key(material)
        if secret is None:
            problems.append(f"key {key_id!r}: not base64")
        elif len(secret) != KEY_BYTES:
            problems.append(
                f"key {key_id!r}: {len(secret)} bytes, not {KEY_BYTES} (make one: {HOW_TO_MAKE})"
            )
        elif any(k.id == key_id for k in keys):
            problems.append(f"key {key_id!r}: the id is given twice")
        elif len(set(secret)) < MIN_DISTINCT_BYTES:
            problems.append(
                f"key {key_id!r}: not random (the same few bytes repeated); make one: {HOW_TO_MAKE}"
            )
        elif (twin := next((k for k in keys if k.secret == secret), None)) is not None:
            # Two ids for one key: rotating "to" it would change nothing, and dropping the
            # "old" one would look safe while every document is still sealed with it.
            problems.append(f"key {key_id!r}: the same key as {twin.id!r}; give each id its own")
        else:
            keys.append(DataKey(key_id, secret))
    if problems:
        raise ValueError("; ".join(problems))
    return Keyring(tuple(keys), source=source)


def format_keys(keys: Iterable[DataKey]) -> str:
    """Keys as `REVIEW_BOT_DATA_KEYS` holds them (for the development key file)."""
    return ",".join(f"{k.id}:{base64.b64encode(k.secret).decode()}" for k in keys)


def new_key(key_id: str) -> DataKey:
    """A fresh random data key."""
    return DataKey(key_id, secrets.token_bytes(KEY_BYTES))


def read_key_file(path: Path) -> Keyring:
    """The keys in a development key file; KeyFileError says what is wrong, never the keys."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file ({exc.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("key file %s is readable by others: chmod 600 it", path)
    try:
        return parse_data_keys(text.strip(), source=f"the key file {path}")
    except ValueError as exc:
        raise KeyFileError(f"{path}: {exc}") from None


def create_key_file(path: Path) -> Keyring:
    """Make a key file (mode 0600) holding one new key, or read the one already there."""
    keyring = Keyring((new_key(f"dev-{secrets.token_hex(3)}"),), source=f"the key file {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: a second process
        # starting at the same moment finds either no file or a complete one, never half.
        fd, tmp = _private_temp(path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(format_keys(keyring.keys) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                return read_key_file(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot make the key file ({exc.strerror})") from None
    return keyring


def _private_temp(path: Path) -> tuple[int, str]:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), str(tmp)
