"""The monthly report card: a partnership's figures for last month, with the chart as an image."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards import wording
from cards.common import Card, adaptive_card, text_block
from cards.text import escape_markdown
from safeguarding.calendar import MONTH_NAMES, day_month_year
from safeguarding.timeliness import DeadlineOutcome, MilestoneFigures, Timeliness

# A card lists at most this many references in one place; the report lists them all.
MAX_LISTED = 8


def month_label(day: date) -> str:
    """'March 2027'."""
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def _listed(references: Sequence[str]) -> str:
    shown = ", ".join(references[:MAX_LISTED])
    if len(references) > MAX_LISTED:
        shown += " " + wording.REPORT_MORE.format(count=len(references) - MAX_LISTED)
    return shown


def _figure_value(figures: MilestoneFigures) -> str:
    """'2 of 3 on time (67%). Late: COV-2027-002.' and what is not counted yet."""
    parts: list[str] = []
    if figures.counted:
        percent = figures.percent(DeadlineOutcome.ON_TIME)
        parts.append(
            wording.REPORT_FIGURE.format(
                on_time=figures.count(DeadlineOutcome.ON_TIME),
                counted=figures.counted,
                percent=f"{percent}%",
            )
            + "."
        )
    else:
        parts.append(wording.REPORT_NONE_DUE + ".")
    late = [d.reference for d in figures.with_outcome(DeadlineOutcome.LATE)]
    still_open = [d.reference for d in figures.with_outcome(DeadlineOutcome.OVERDUE)]
    kept = [d.reference for d in figures.with_outcome(DeadlineOutcome.LATE) if d.met_moved_date]
    unrecorded = [d.reference for d in figures.with_outcome(DeadlineOutcome.NOT_RECORDED)]
    if late:
        parts.append(wording.REPORT_LATE.format(references=_listed(late)))
    if kept:
        parts.append(wording.REPORT_KEPT_NEW_DATE.format(references=_listed(kept)))
    if still_open:
        parts.append(wording.REPORT_STILL_OPEN.format(references=_listed(still_open)))
    not_due = figures.count(DeadlineOutcome.NOT_DUE_YET)
    if not_due:
        parts.append(wording.REPORT_NOT_DUE_YET.format(count=not_due))
    if unrecorded:
        parts.append(wording.REPORT_NOT_RECORDED.format(references=_listed(unrecorded)))
    return " ".join(parts)


def monthly_report_card(
    *,
    partnership_name: str,
    figures: Timeliness,
    chart_url: str | None,
    chart_start: date,
    chart_end: date,
) -> Card:
    """The month's figures in one card; the chart of the year's quarters below them."""
    month = month_label(figures.start)
    referrals = str(len(figures.referrals))
    if figures.led_elsewhere:
        referrals = wording.REPORT_REFERRALS_LED_ELSEWHERE.format(
            count=len(figures.referrals), led=len(figures.led_elsewhere)
        )
    facts = [{"title": wording.REPORT_REFERRALS, "value": referrals}]
    facts += [
        {"title": wording.REPORT_MEASURES[f.milestone], "value": _figure_value(f)}
        for f in figures.milestones
    ]
    moved = figures.slips_by_milestone()
    facts.append(
        {
            "title": wording.REPORT_SLIPS,
            "value": ", ".join(
                wording.REPORT_SLIP_ITEM.format(
                    milestone=wording.milestone_name(key), count=len(slips)
                )
                for key, slips in moved.items()
            )
            or wording.REPORT_SLIPS_NONE,
        }
    )
    why = figures.slips_by_kind()
    if why:
        facts.append(
            {
                "title": wording.REPORT_SLIPS_WHY,
                "value": ", ".join(
                    wording.REPORT_SLIP_ITEM.format(
                        milestone=wording.SLIP_KINDS[kind]
                        if kind
                        else wording.REPORT_SLIP_KIND_NOT_GIVEN,
                        count=len(slips),
                    )
                    for kind, slips in why.items()
                ),
            }
        )
    facts.append(
        {
            "title": wording.REPORT_OPEN,
            "value": ", ".join(
                wording.REPORT_STAGE_ITEM.format(
                    stage=wording.REPORT_STAGES[stage.status.value], count=len(stage.references)
                )
                for stage in figures.open_by_stage
            )
            or wording.REPORT_OPEN_NONE,
        }
    )
    body: list[dict[str, object]] = [
        text_block(
            escape_markdown(wording.REPORT_CARD_TITLE.format(partnership=partnership_name)),
            size="Large",
            weight="Bolder",
            style="heading",
        ),
        text_block(
            wording.REPORT_CARD_MONTH.format(month=month, today=day_month_year(figures.today)),
            isSubtle=True,
            spacing="None",
        ),
        {"type": "FactSet", "facts": facts},
    ]
    if figures.not_counted:
        body.append(
            text_block(
                wording.REPORT_NOT_COUNTED.format(references=_listed(figures.not_counted)),
                color="Attention",
            )
        )
    if chart_url is not None:
        body.append(
            {
                "type": "Image",
                "url": chart_url,
                "altText": wording.REPORT_CHART_ALT.format(
                    start=month_label(chart_start), end=month_label(chart_end), month=month
                ),
                "size": "Stretch",
                # In a card the chart is small: a click opens it full size.
                "selectAction": {
                    "type": "Action.OpenUrl",
                    "title": wording.REPORT_CHART_OPEN,
                    "url": chart_url,
                },
            }
        )
    body.append(text_block(wording.REPORT_RULE_NOTE, isSubtle=True, size="Small"))
    return adaptive_card(body)


def monthly_report_summary(partnership_name: str, figures: Timeliness) -> str:
    """The notification's text for the card: 'Monthly report for March 2027: …'."""
    return wording.REPORT_SUMMARY.format(
        month=month_label(figures.start), partnership=partnership_name
    )
