"""Where the data keys come from: REVIEW_BOT_DATA_KEYS, or on a loopback development run a
key file made once beside (never inside) the data directory."""

from __future__ import annotations

import logging

from bot.settings import Settings
from storage.keys import Keyring, create_key_file, new_key, parse_data_keys, read_key_file

logger = logging.getLogger(__name__)


def keyring_for(settings: Settings, *, create: bool = True) -> Keyring:
    """The settings' data keys; without REVIEW_BOT_DATA_KEYS (loopback only, as the settings
    check), the development key file's, made when `create` and it is not there yet."""
    if settings.data_keys is not None:
        return parse_data_keys(settings.data_keys.get_secret_value())
    path = settings.key_file_path
    if path.exists():
        keyring = read_key_file(path)
        logger.warning(
            "REVIEW_BOT_DATA_KEYS is not set: using the development key in %s (loopback only)",
            path,
        )
        return keyring
    if not create:
        # A read-only tool on a machine the bot never ran on: nothing it reads is encrypted
        # (or it says which key is missing). A key made here would be kept nowhere.
        return Keyring((new_key("none"),), source=f"the key file {path} (not there)")
    keyring = create_key_file(path)
    logger.warning(
        "REVIEW_BOT_DATA_KEYS is not set: made a development key in %s (mode 600, outside the"
        " data directory); without it the data cannot be read",
        path,
    )
    return keyring
