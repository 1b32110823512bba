"""Data keys for tests: fixed, so a test can reopen a store it wrote; never used anywhere else."""

from __future__ import annotations

import base64
import hashlib

from storage.keys import Keyring, parse_data_keys


def key_text(key_id: str, fill: int) -> str:
    """`id:key` with a fixed key made from `fill` (tests only: a real key is random).

    A hash, not 32 equal bytes: the parser refuses a key that is obviously not random.
    """
    secret = hashlib.sha256(f"test key {fill}".encode()).digest()
    return f"{key_id}:{base64.b64encode(secret).decode()}"


TEST_KEYS = key_text("test1", 1)
OTHER_KEYS = key_text("test2", 2)


def keyring(text: str = TEST_KEYS) -> Keyring:
    """A keyring from `id:key,...` text."""
    return parse_data_keys(text)
