"""Answers to questions about the review process: national defaults, and each partnership's own."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

_WORD = re.compile(r"[a-z0-9]+")
# A question must share at least this much weight with an entry to be answered by it:
# one keyword and a word of the question, or a phrase.
MIN_SCORE = 2.5


class FaqFileError(ValueError):
    """A FAQ file that cannot be read or fails validation."""


class FaqEntry(BaseModel):
    """One question the bot can answer, the words that point to it, and its answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_-]{2,40}$")
    question: str = Field(min_length=3, max_length=200)
    keywords: tuple[str, ...] = Field(min_length=1)
    answer: str = Field(min_length=3, max_length=1500)


class _FaqFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    faq: tuple[FaqEntry, ...] = ()


# The national answers, shipped beside this module as data a safeguarding lead can review.
NATIONAL_FAQ_FILE = Path(__file__).with_name("national_faq.toml")


def _stem(word: str) -> str:
    # Plurals are the variation that matters here ("timescales", "reports").
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.casefold())}


def _score(entry: FaqEntry, words: set[str], text: str) -> float:
    score = 0.0
    for keyword in entry.keywords:
        key = keyword.casefold()
        if " " in key:
            score += 3.0 if key in text else 0.0
        elif _stem(key) in words:
            score += 2.0
    return score + 0.5 * len(_words(entry.question) & words - _STOP)


_STOP = frozenset({"what", "is", "a", "the", "of", "do", "i", "how", "are", "if", "does", "who"})


def match(question: str, entries: Sequence[FaqEntry]) -> FaqEntry | None:
    """The entry that best answers a question, or None when nothing fits well enough."""
    text = " ".join(_WORD.findall(question.casefold()))
    words = _words(text)
    best: tuple[float, int] | None = None
    for index, entry in enumerate(entries):
        score = _score(entry, words, text)
        if score >= MIN_SCORE and (best is None or score > best[0]):
            best = (score, index)
    return entries[best[1]] if best else None


def merged(local: Iterable[FaqEntry], national: Iterable[FaqEntry]) -> tuple[FaqEntry, ...]:
    """A partnership's entries first; national entries it does not replace (same id) after."""
    own = tuple(local)
    ids = {entry.id for entry in own}
    return own + tuple(entry for entry in national if entry.id not in ids)


def load_faq_file(path: Path) -> tuple[FaqEntry, ...]:
    """Read a partnership's FAQ file: TOML with [[faq]] tables (id, question, keywords, answer)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FaqFileError(f"{path}: cannot read ({exc})") from None
    try:
        return _FaqFile.model_validate(data).faq
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FaqFileError(f"{path}: {where}: {first['msg']}") from None
