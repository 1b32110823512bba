"""Request-supplied values in log lines: quoted, stripped of control characters, cut short."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def quoted(value: object, limit: int = 40) -> str:
    """A client-sent value, safe for one log line: it adds no line and cannot run on."""
    text = value if isinstance(value, str) else type(value).__name__
    cleaned = _CONTROL.sub("", text)
    if len(cleaned) > limit:
        cleaned = cleaned[:limit] + "…"
    return '"' + cleaned.replace('"', "'") + '"'
