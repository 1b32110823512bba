"""Log lines: request-supplied values quoted and stripped of control characters; the request's
ids carried to every line logged while it is handled; one JSON object a line, when asked for."""

from __future__ import annotations

import contextlib
import json
import logging
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

# Unicode categories dropped from logged values: controls (Cc: newlines, escapes, U+0085),
# format characters (Cf: bidi overrides and isolates, zero-width joiners, which make a line
# read other than it is), line and paragraph separators (Zl, Zp), surrogates and private use.
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})

# The ids of the request being handled (request id, activity id), for the JSON lines: set by the
# HTTP edge, read by the formatter. A task started during a request keeps its ids.
_IDS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("review_bot_log_ids", default=())


def quoted(value: object, limit: int = 40) -> str:
    """A client-sent value, safe for one log line: it adds no line and cannot run on."""
    text = value if isinstance(value, str) else type(value).__name__
    cleaned = _cleaned(text, limit + 1)
    if len(cleaned) > limit:
        cleaned = cleaned[:limit] + "…"
    return '"' + cleaned.replace('"', "'") + '"'


def _cleaned(text: str, limit: int) -> str:
    """At most `limit` characters of the text, none of them of an unsafe category."""
    kept: list[str] = []
    for char in text:
        if unicodedata.category(char) not in _UNSAFE:
            kept.append(char)
            if len(kept) >= limit:
                break
    return "".join(kept)


@contextlib.contextmanager
def log_ids(**ids: str) -> Iterator[None]:
    """Every line logged inside carries these ids (as well as those already set)."""
    cleaned = tuple((name, _cleaned(value, 100)) for name, value in ids.items())
    token = _IDS.set(_IDS.get() + cleaned)
    try:
        yield
    finally:
        _IDS.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the request's ids, and for an
    exception its type and traceback. JSON escapes every control character, so a value can
    never start a line of its own; the messages are the same as in text logs (ids, no names)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_IDS.get())
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        # ASCII only: U+2028 and its kind would end a line for some readers.
        return json.dumps(entry, ensure_ascii=True)
