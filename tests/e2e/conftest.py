"""The e2e suite needs Node.js for the Agents Playground; without it the suite is skipped."""

from __future__ import annotations

import pytest

from tests.support.playground import node_available


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here `e2e`, and skip them where Node.js is missing."""
    for item in items:
        if "tests/e2e/" not in str(item.fspath).replace("\\", "/"):
            continue
        item.add_marker(pytest.mark.e2e)
        if not node_available():
            item.add_marker(
                pytest.mark.skip(reason="Node.js is not installed: no Agents Playground")
            )
