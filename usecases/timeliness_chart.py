"""The timeliness chart as a PNG: deadlines met on time and late, per milestone, per quarter.

Drawn with matplotlib (the `report` extra), imported only when a chart is drawn: a bot that
never draws one does not load it. Accessible: a title, axis labels, and meaning never by colour
alone: on time is solid, late is striped, each bar is labelled with its count, and the
colours are the Okabe-Ito pair that colour-blind readers tell apart. Every word comes from
cards/wording.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import sys
import textwrap
from collections.abc import Sequence
from datetime import date

from cards import wording
from safeguarding.calendar import MONTH_NAMES, day_month_year
from safeguarding.timeliness import MEASURED, DeadlineOutcome, Timeliness
from safeguarding.timeliness import quarters as quarters_of
from usecases.errors import UseCaseError

# 1000 x 700 pixels: inside Teams' 1024 x 1024 limit for a card image.
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 7.0, 100
ON_TIME_COLOUR = "#0072B2"  # Okabe-Ito blue
LATE_COLOUR = "#E69F00"  # Okabe-Ito orange
LATE_HATCH = "///"
INSTALL_HINT = "pip install 'safeguarding-review-bot[report]'"
# Bars per panel: past 12 (three years) the quarter labels overlap and the counts cannot be read.
MAX_QUARTERS = 12


class ChartUnavailableError(UseCaseError):
    """matplotlib is not installed: the chart needs the `report` extra."""

    def __init__(self) -> None:
        super().__init__(f"the chart needs matplotlib: {INSTALL_HINT}")


class ChartTooLongError(UseCaseError):
    """A period of more quarters than the chart can draw readably."""

    def __init__(self, count: int, shorter_from: date) -> None:
        super().__init__(
            f"the chart draws at most {MAX_QUARTERS} quarters, so that its labels can be read;"
            f" this period spans {count}: give a shorter one (from {shorter_from}, say)"
        )


def check_chart_period(start: date, end: date) -> None:
    """ChartTooLongError when the period spans more quarters than the chart draws."""
    spanned = quarters_of(start, end)
    if len(spanned) > MAX_QUARTERS:
        raise ChartTooLongError(len(spanned), spanned[-MAX_QUARTERS][0])


def chart_available() -> bool:
    """Whether matplotlib is installed here (found, not imported: importing it costs 25 MB)."""
    return importlib.util.find_spec("matplotlib") is not None


def quarter_label(start: date, end: date) -> str:
    """'Apr–Jun\\n2026', or 'Jan\\n2027' for a quarter cut to one month."""
    first = MONTH_NAMES[start.month - 1][:3]
    last = MONTH_NAMES[end.month - 1][:3]
    months = first if start.month == end.month else f"{first}–{last}"
    return f"{months}\n{end.year}"


def render_chart(quarters: Sequence[Timeliness], *, partnership_name: str) -> bytes:
    """The PNG of on-time and late deadlines, one panel per milestone, one bar per quarter."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise ChartUnavailableError() from None
    if not quarters:
        raise ValueError("a chart needs at least one quarter")
    if len(quarters) > MAX_QUARTERS:
        raise ChartTooLongError(len(quarters), quarters[-MAX_QUARTERS].start)
    labels = [quarter_label(q.start, q.end) for q in quarters]
    # No pyplot: a Figure of its own holds no global state, so threads may draw side by side.
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    grid = figure.subplots(2, 3, sharey=True)
    panels = list(grid.flat)
    tallest = max(
        (q.figures(key).counted for q in quarters for key in MEASURED),
        default=0,
    )
    top = max(tallest, 1) * 1.25 + 0.5
    for axes, key in zip(panels, MEASURED, strict=False):
        on_time = [q.figures(key).count(DeadlineOutcome.ON_TIME) for q in quarters]
        late = [
            q.figures(key).count(DeadlineOutcome.LATE, DeadlineOutcome.OVERDUE) for q in quarters
        ]
        places = list(range(len(quarters)))
        axes.bar(places, on_time, color=ON_TIME_COLOUR, edgecolor="black", linewidth=0.8)
        axes.bar(
            places,
            late,
            bottom=on_time,
            color=LATE_COLOUR,
            edgecolor="black",
            hatch=LATE_HATCH,
            linewidth=0.8,
        )
        for place, done, behind in zip(places, on_time, late, strict=True):
            # Direct labels: the numbers are read, not guessed from bar heights or colours.
            if done:
                axes.text(
                    place,
                    done / 2,
                    str(done),
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=11,
                    fontweight="bold",
                )
            if behind:
                axes.text(
                    place,
                    done + behind / 2,
                    str(behind),
                    ha="center",
                    va="center",
                    color="black",
                    fontsize=11,
                    fontweight="bold",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
                )
            if not done and not behind:
                axes.text(
                    place,
                    0.15,
                    wording.CHART_NONE_DUE.replace(" ", "\n"),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="#333333",
                )
        axes.set_title(wording.REPORT_MEASURES[key], fontsize=11)
        axes.set_xticks(places, labels, fontsize=9)
        axes.set_ylim(0, top)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel(wording.CHART_X_AXIS, fontsize=9)
        axes.set_ylabel(wording.CHART_Y_AXIS, fontsize=9)
        axes.spines[["top", "right"]].set_visible(False)
    legend_panel = panels[len(MEASURED)]
    legend_panel.axis("off")
    legend_panel.legend(
        handles=[
            Patch(facecolor=ON_TIME_COLOUR, edgecolor="black", label=wording.CHART_ON_TIME),
            Patch(
                facecolor=LATE_COLOUR,
                edgecolor="black",
                hatch=LATE_HATCH,
                label=wording.CHART_LATE,
            ),
        ],
        loc="center",
        fontsize=12,
        frameon=False,
    )
    first, last = quarters[0], quarters[-1]
    figure.suptitle(
        wording.CHART_TITLE.format(partnership=partnership_name)
        + "\n"
        + textwrap.fill(
            wording.CHART_SUBTITLE.format(
                start=day_month_year(first.start),
                end=day_month_year(last.end),
                today=day_month_year(last.today),
            ),
            width=95,
        ),
        fontsize=13,
    )
    out = io.BytesIO()
    # Metadata left out: the same figures give the same bytes (matplotlib stamps no date then).
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


class ChartFailedError(UseCaseError):
    """The process drawing a chart failed or took too long; says how, never what it drew."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the chart could not be drawn: {detail}")


async def render_chart_apart(
    quarters: Sequence[Timeliness], *, partnership_name: str, timeout_s: float = 120.0
) -> bytes:
    """`render_chart` in a short-lived process of its own, for the running bot.

    matplotlib takes about 40 MB once loaded, which a process keeps for good, for a chart it
    draws once a month per partnership: drawn apart, the bot's memory never holds it, and the
    drawing's CPU is not the bot's.
    """
    request = json.dumps(
        {
            "partnership_name": partnership_name,
            "quarters": [q.model_dump(mode="json") for q in quarters],
        }
    ).encode()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        png, errors = await asyncio.wait_for(child.communicate(request), timeout_s)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise ChartFailedError(f"no answer within {timeout_s:.0f} s") from None
    if child.returncode == _NO_MATPLOTLIB:
        raise ChartUnavailableError()
    if child.returncode != 0 or not png.startswith(_PNG):
        # Its last line names the exception; the figures it was given stay out of the logs.
        last = (errors.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise ChartFailedError(f"exit {child.returncode}, {last.split(':', 1)[0]}")
    return png


_PNG = b"\x89PNG\r\n\x1a\n"
_NO_MATPLOTLIB = 3


def _draw_from_stdin() -> int:
    """The child's side: a request as JSON on stdin, the PNG on stdout."""
    request = json.loads(sys.stdin.buffer.read())
    quarters = [Timeliness.model_validate(q) for q in request["quarters"]]
    try:
        png = render_chart(quarters, partnership_name=str(request["partnership_name"]))
    except ChartUnavailableError:
        return _NO_MATPLOTLIB
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(_draw_from_stdin())
