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


NATIONAL_FAQ: tuple[FaqEntry, ...] = (
    FaqEntry(
        id="criteria",
        question="What makes a serious child safeguarding case?",
        keywords=("criteria", "serious case", "meet", "threshold", "test", "eligible", "qualify"),
        answer="A case where abuse or neglect of a child is known or suspected and the child has"
        " died or been seriously harmed. Serious harm includes serious or long-term impairment of"
        " mental or physical health or development; a child who recovers may still have been"
        " seriously harmed. Suspected suicide counts.",
    ),
    FaqEntry(
        id="timescales",
        question="What are the timescales?",
        keywords=(
            "timescale",
            "deadline",
            "how long",
            "days",
            "when",
            "working days",
            "rapid review",
        ),
        answer="The local authority notifies the national Panel within 5 working days of"
        " becoming aware of a serious incident. The rapid review is completed and sent to the"
        " Panel within 15 working days of the notification. A local CSPR is completed and"
        " published within 6 months of the decision to hold it.",
    ),
    FaqEntry(
        id="sin",
        question="What is a serious incident notification (SIN)?",
        keywords=("sin", "notification", "notify", "ofsted", "panel"),
        answer="The local authority's notification of a serious incident to the Child"
        " Safeguarding Practice Review Panel, through the national online system (shared with"
        " Ofsted and the DfE), within 5 working days of becoming aware. Only the local authority"
        " makes it; any agency can refer a case to the partnership.",
    ),
    FaqEntry(
        id="rapid-review",
        question="What is a rapid review?",
        keywords=("rapid review", "rr", "what happens", "ias", "agency summary", "summaries"),
        answer="After a notification the partnership gathers the facts quickly: agencies send"
        " Individual Agency Summaries, the review group meets, and the three partners decide"
        " whether a local Child Safeguarding Practice Review is needed, all within 15 working"
        " days.",
    ),
    FaqEntry(
        id="who-decides",
        question="Who decides whether there is a review?",
        keywords=("who decides", "decide", "decision", "partners", "sign off"),
        answer="The local authority decides on the notification, with police and health. The"
        " three safeguarding partners (local authority, integrated care board, police) decide"
        " together on a local review against the statutory criteria; the national Panel decides"
        " on a national review.",
    ),
    FaqEntry(
        id="learning-review",
        question="What if the case does not meet the criteria?",
        keywords=("learning review", "not meet", "doesnt meet", "alternative", "practice learning"),
        answer="The partnership may still hold a learning review (also called a practice learning"
        " review) for local learning. You can still refer: the partnership decides.",
    ),
    FaqEntry(
        id="how-to-refer",
        question="How do I refer a case?",
        keywords=("how", "refer", "referral form", "form", "make a referral", "submit"),
        answer="Type *refer* here and I will guide you through it. Please make sure your agency's"
        " safeguarding lead agrees. A current worry about a child goes to the children's front"
        " door instead, and a child in danger now to 999.",
    ),
    FaqEntry(
        id="publication",
        question="Are reviews published?",
        keywords=("publish", "published", "publication", "report", "reports", "read"),
        answer="Yes: the partners publish the final report, or exceptionally only the"
        " improvements, and keep it publicly available for at least a year. A copy goes to the"
        " Panel and the Secretary of State at least 7 working days before publication.",
    ),
)


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


def merged(local: Iterable[FaqEntry]) -> tuple[FaqEntry, ...]:
    """A partnership's entries first; national entries it does not replace (same id) after."""
    own = tuple(local)
    ids = {entry.id for entry in own}
    return own + tuple(entry for entry in NATIONAL_FAQ if entry.id not in ids)


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
