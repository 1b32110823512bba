"""Cards validate against the Adaptive Card 1.5 schema; user text is shown literally."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards.text import escape_markdown
from cards.welcome import MAX_LISTED_FRONT_DOORS, welcome_card
from safeguarding.partnerships import load_partnerships

# A copy of shared/schemas/adaptive-card-1.5.json (MIT, licence beside it), so tests stand alone.
SCHEMA = Path(__file__).resolve().parent / "data" / "adaptive-card-1.5.json"


def _validator() -> Draft6Validator:
    return Draft6Validator(json.loads(SCHEMA.read_text()))


def assert_valid_card(card: dict[str, Any]) -> None:
    """Validate a card the way Teams would see it (msteams extensions removed)."""
    clean = copy.deepcopy(card)
    clean.pop("msteams", None)
    errors = sorted(_validator().iter_errors(clean), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert len(json.dumps(card).encode()) < 28 * 1024


def test_welcome_card_is_valid_and_lists_front_doors() -> None:
    partnerships = list(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())
    card = welcome_card(partnerships)
    assert_valid_card(card)
    text = json.dumps(card)
    for p in partnerships:
        assert p.front_door.office_hours_number in text


def test_welcome_card_for_many_partnerships_points_to_the_council() -> None:
    partnerships = list(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())
    many = partnerships * (MAX_LISTED_FRONT_DOORS // len(partnerships) + 1)
    card = welcome_card(many)
    assert_valid_card(card)
    assert "FactSet" not in json.dumps(card)
    assert "council" in json.dumps(card)


def test_the_schema_rejects_a_broken_card() -> None:
    broken = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Input.Text"}]}
    assert list(_validator().iter_errors(broken)), "an Input without id must fail validation"


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("[click](https://evil.example)", "](https://"),
        ("**bold** _it_", "**bold**"),
        ("<at>Everyone</at>", "<at>"),
        ("@everyone", "@everyone"),
        ("line1\x00\x07", "\x07"),
    ],
)
def test_escape_markdown_neutralises_formatting(raw: str, forbidden: str) -> None:
    escaped = escape_markdown(raw)
    assert forbidden not in escaped


def test_escape_markdown_escapes_a_leading_heading_mark() -> None:
    assert escape_markdown("# heading").startswith("\\#")


def test_escape_markdown_keeps_plain_text_readable_and_clips() -> None:
    assert escape_markdown("Child A aged 3") == "Child A aged 3"
    assert escape_markdown("x" * 3000, max_length=100).endswith("…")
    assert len(escape_markdown("x" * 3000, max_length=100)) == 100
