"""The monthly card's chart is drawn in a process of its own: the same PNG, none of matplotlib's
memory in the bot's."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from safeguarding.timeliness import Timeliness, quarters
from tests.test_timeliness import counted
from usecases.timeliness_chart import (
    ChartFailedError,
    chart_available,
    render_chart,
    render_chart_apart,
)

pytestmark = pytest.mark.skipif(not chart_available(), reason="the report extra is not installed")


def _quarters() -> list[Timeliness]:
    return [counted(start=a, end=b) for a, b in quarters(date(2026, 4, 1), date(2027, 3, 31))]


async def test_a_chart_drawn_apart_is_the_one_drawn_here() -> None:
    drawn = await render_chart_apart(_quarters(), partnership_name="Coventry")
    assert drawn == render_chart(_quarters(), partnership_name="Coventry")


def test_finding_whether_a_chart_can_be_drawn_loads_no_matplotlib() -> None:
    # In a fresh interpreter: this one may have drawn a chart already.
    probe = (
        "import sys; from usecases.timeliness_chart import chart_available;"
        " assert chart_available(); print('matplotlib' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert found.stdout.strip() == "False", found.stderr


async def test_a_chart_that_cannot_be_drawn_says_so_without_its_figures() -> None:
    with pytest.raises(ChartFailedError) as failed:
        await render_chart_apart([], partnership_name="Coventry")
    assert "ValueError" in str(failed.value)
    assert "Coventry" not in str(failed.value)
