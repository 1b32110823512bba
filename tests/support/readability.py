"""Flesch–Kincaid grade of the bot's wording: a small, explicit heuristic, no dependencies.

grade = 0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59

Syllables are counted by a heuristic: groups of vowels (y counts as a vowel), less a silent
final "e" (but not "-le", as in "table"), at least one per word. A number, a date part, a case
reference or an acronym in capitals (SIN, MASH, LADO) counts as one word of one syllable.
Placeholders such as {reference} count as one word of one syllable too. Domain terms on the
allow-list below are names a practitioner must read as they are: each counts as one word of two
syllables, so its length never pushes a sentence over the limit.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from types import ModuleType
from typing import Any

# The limit every sentence a user sees must meet.
MAX_GRADE = 9.0
# A grade means little for a label of a few words ("Disability" alone scores 43.8): only
# sentences of at least this many words are graded.
MIN_WORDS = 8

# Names of statutes, bodies, processes and roles a practitioner must read as they are, longest
# first so that a longer name wins over a shorter one inside it.
DOMAIN_TERMS: tuple[str, ...] = (
    "Safeguarding Children Partnership",
    "Child Safeguarding Practice Review",
    "Safeguarding Adults Review",
    "Individual Agency Summaries",
    "Individual Agency Summary",
    "Local Authority Designated Officer",
    "Child Death Overview Panel",
    "serious incident notification",
    "Secretary of State for Education",
    "Secretary of State",
    "domestic homicide review",
    "safeguarding partners",
    "safeguarding lead",
    "immediate danger",
    "seriously harmed",
    "abuse or neglect",
    "looked-after",
    "looked after",
    "care leaver",
    "local authority",
    "national Panel",
    "rapid review",
    "safeguarding",
    "Children Act 2004 s16C(1)",
)
_TERM_TOKEN = "Term"  # stands for a domain term: one word, counted as two syllables
_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
_MARKUP = re.compile(r"\*\*|\*|`|_(?=\w)|(?<=\w)_")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z'\"(\[{0-9*])")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_VOWELS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Grade:
    """One sentence's counts and grade."""

    sentence: str
    words: int
    syllables: int
    grade: float


def syllables(word: str) -> int:
    """The heuristic syllable count of one word (see the module's docstring)."""
    if word == _TERM_TOKEN:
        return 2
    if any(ch.isdigit() for ch in word) or (word.isupper() and len(word) > 1):
        return 1
    total = 0
    for part in re.split(r"[-’']", word.lower()):
        if not part:
            continue
        count = len(_VOWELS.findall(part))
        if part.endswith("e") and not part.endswith(("le", "ee", "ye")) and count > 1:
            count -= 1
        if part.endswith(("ed", "es")) and len(part) > 3 and part[-3] not in "dtsxzcgaeiouy":
            count -= 1  # "asked", "names": the ending is not a syllable of its own
        total += max(count, 1)
    return max(total, 1)


def _plain(text: str) -> str:
    for term in DOMAIN_TERMS:
        text = re.sub(re.escape(term), _TERM_TOKEN, text, flags=re.IGNORECASE)
    text = _PLACEHOLDER.sub("X", text)
    return _MARKUP.sub("", text)


def sentences(text: str) -> list[str]:
    """The sentences of a wording entry: split after . ! or ? followed by a capital."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def grade_of(sentence: str) -> Grade:
    """The Flesch–Kincaid grade of one sentence, domain terms aside."""
    words = _WORD.findall(_plain(sentence))
    if not words:
        return Grade(sentence, 0, 0, 0.0)
    count = sum(syllables(word) for word in words)
    grade = 0.39 * len(words) + 11.8 * count / len(words) - 15.59
    return Grade(sentence, len(words), count, round(grade, 1))


def graded(text: str) -> list[Grade]:
    """The grades of an entry's sentences long enough to grade (MIN_WORDS or more)."""
    return [g for g in map(grade_of, sentences(text)) if g.words >= MIN_WORDS]


def text_grade(texts: Iterable[str]) -> float:
    """The grade of many entries read as one text (words per sentence over all of them)."""
    all_sentences = [s for text in texts for s in sentences(text)]
    words = [w for s in all_sentences for w in _WORD.findall(_plain(s))]
    if not words:
        return 0.0
    count = sum(syllables(word) for word in words)
    return round(0.39 * len(words) / len(all_sentences) + 11.8 * count / len(words) - 15.59, 1)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _strings(item)
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            yield from _strings(getattr(value, field.name))


def module_wording(module: ModuleType) -> dict[str, list[str]]:
    """Every string the module's own constants hold (not imported ones), by constant name."""
    source = inspect.getsource(module)
    own = {
        target.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    found: dict[str, list[str]] = {}
    for name, value in vars(module).items():
        if name not in own or name.startswith("_") or not name.isupper():
            continue
        texts = [text for text in _strings(value) if text.strip()]
        if texts:
            found[name] = texts
    return found
