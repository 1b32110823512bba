"""Making text safe to show: user text must never become links, mentions or formatting."""

from __future__ import annotations

import re

# Characters the Adaptive Card / Teams markdown subset gives meaning to.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")
# An '@' at the start of a word: a handle, never the middle of an email address.
_HANDLE = re.compile(r"(?<!\w)@")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_markdown(text: str, *, max_length: int = 2000) -> str:
    """Escape text for a TextBlock or FactSet so it shows literally; clip overlong text."""
    cleaned = _CONTROL.sub("", text)
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1] + "…"
    # An '@' that starts a word ("@everyone") is broken with a word joiner so it can never read
    # as a mention handle. One inside a word is an email address and is left as typed: a
    # joiner there made the address break when copied.
    return _HANDLE.sub("@\u2060", _MARKDOWN.sub(r"\\\1", cleaned))


def plain_text(text: str, *, max_length: int = 2000) -> str:
    """Text for an input's title or choice, which Teams shows as typed: no markdown to escape."""
    # Markdown is read only in TextBlocks and facts; escaping here would show the backslashes.
    cleaned = _CONTROL.sub("", text)
    return cleaned if len(cleaned) <= max_length else cleaned[: max_length - 1] + "…"
