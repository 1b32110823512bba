"""Adaptive Card checks shared by the card, dialog, reminder and HTTP tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

# A copy of shared/schemas/adaptive-card-1.5.json (MIT, licence beside it), so tests stand alone.
SCHEMA = Path(__file__).resolve().parent.parent / "data" / "adaptive-card-1.5.json"


def _validator() -> Draft6Validator:
    return Draft6Validator(json.loads(SCHEMA.read_text()))


def assert_valid_card(card: dict[str, Any]) -> None:
    """Validate a card the way Teams would see it (msteams extensions removed)."""
    clean = copy.deepcopy(card)
    clean.pop("msteams", None)
    errors = sorted(_validator().iter_errors(clean), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert len(json.dumps(card).encode()) < 28 * 1024
