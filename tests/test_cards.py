"""Cards validate against the Adaptive Card 1.5 schema; user text is shown literally."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards.text import escape_markdown
from cards.welcome import MAX_LISTED_FRONT_DOORS, welcome_card
from safeguarding.partnerships import load_partnerships
from tests.support.cards import assert_valid_card


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


def test_the_card_check_rejects_a_broken_or_oversized_card() -> None:
    broken = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Input.Text"}]}
    with pytest.raises(AssertionError, match="not valid under any of the given schemas"):
        assert_valid_card(broken)  # an Input without id must fail validation

    def text_card(text: str) -> dict[str, Any]:
        return {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [{"type": "TextBlock", "text": text}],
        }

    assert_valid_card(text_card("x"))
    with pytest.raises(AssertionError):
        assert_valid_card(text_card("x" * 28 * 1024))  # valid, but over Teams' 28 KB limit


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
