"""The monthly report card: last month's figures posted to each review channel, once a month.

A job the reminder tick runs under its lease (`ReminderRunner(jobs=...)`). On the first
working day of a month in the partnership's calendar (its closure days too), once its working
hours have begun, the partnership's report for the month before is posted through the one
Notifier. The delivery log claims `report|<partnership>|<YYYY-MM>` first, so however many
replicas tick, and however often, it is posted once; a bot that was down that day posts it on
its next working day in the month. The figures are counted only by the process that won the
claim, inside the post. The chart is kept in the store and served by the bot's own app
(`bot/report_charts.py`) at an unguessable URL: Teams fetches card images itself, without
signing in, and a data URI of the chart (about 100 KB) would make the card too big to post.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime
from typing import Any

from cards.reports import monthly_report_card, monthly_report_summary
from safeguarding.calendar import PartnershipCalendars
from safeguarding.clocks import Clock, london_time
from safeguarding.partnerships import Partnership, Partnerships
from safeguarding.timeliness import chart_period, first_working_day_of_month, month_before
from scheduler.plan import next_working_moment
from scheduler.runner import posting_partnerships
from storage.cases import CaseRepository
from storage.deliveries import DeliveryLog, DeliveryState
from storage.reports import ChartStore
from usecases.delivery import Delivered, OnceSender
from usecases.ports import ChannelNotifier
from usecases.reports import report_timeliness
from usecases.timeliness_chart import chart_available, render_chart_apart

logger = logging.getLogger(__name__)

REPORT_KIND = "monthly_report"
CHART_ROUTE = "/reports/charts/{partnership}/{month}/{token}.png"
_TRIED_AGAIN = frozenset({DeliveryState.FAILED, DeliveryState.CLAIMED})


def monthly_report_key(partnership_id: str, month_start: date) -> str:
    """The delivery key of a partnership's report on one month: 'report|coventry|2027-03'."""
    return f"report|{partnership_id}|{month_start:%Y-%m}"


def chart_path(partnership_id: str, month_start: date, token: str) -> str:
    """The path the bot's app serves a chart at."""
    return CHART_ROUTE.format(partnership=partnership_id, month=f"{month_start:%Y-%m}", token=token)


class MonthlyReports:
    """Posts each partnership's card on last month once, from the month's first working day."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        calendars: PartnershipCalendars,
        cases: CaseRepository,
        log: DeliveryLog,
        charts: ChartStore,
        notifier: ChannelNotifier,
        clock: Clock,
        chart_base_url: str | None,
    ) -> None:
        self._partnerships = partnerships
        self._calendars = calendars
        self._cases = cases
        self._log = log
        self._charts = charts
        self._notifier = notifier
        self._clock = clock
        # Where Teams reaches the bot ('https://bot.example.org'); None posts no chart.
        self._chart_base_url = chart_base_url.rstrip("/") if chart_base_url else None
        self._warned_no_chart = False

    def due_month(self, partnership: Partnership, now: datetime) -> tuple[date, date] | None:
        """The month to report on at `now`, or None before the first working day's hours."""
        calendar = self._calendars.for_partnership(partnership)
        today = london_time(now).date()
        if today < first_working_day_of_month(today, calendar):
            return None
        # Posted in working hours only, as reminders are: not at midnight on the first.
        if next_working_moment(partnership, calendar, now) != now.astimezone(UTC):
            return None
        return month_before(today)

    async def run(self, now: datetime, sender: OnceSender) -> list[Delivered]:
        """Post every report due now that no process has posted or is posting."""
        done: list[Delivered] = []
        for partnership in posting_partnerships(self._partnerships).values():
            month = self.due_month(partnership, now)
            if month is None:
                continue
            key = monthly_report_key(partnership.id, month[0])
            # Most ticks of the month find it posted: one read, and nothing counted. A failed
            # post, or a claim a crashed replica left, goes to the sender, which says when to
            # try again (storage/deliveries.py).
            existing = await self._log.get(key)
            if existing is not None and existing.state not in _TRIED_AGAIN:
                continue
            details: dict[str, Any] = {
                "reference": f"report {month[0]:%Y-%m}",
                "partnership_id": partnership.id,
                "kind": REPORT_KIND,
                "milestone": "monthly report",
                "due": london_time(now).date().isoformat(),
            }
            post = functools.partial(self._post, partnership, month)
            done.append(await sender.deliver(key, post, details))
        return done

    async def _post(self, partnership: Partnership, month: tuple[date, date]) -> str:
        """Count the month (only the claim's winner gets here), keep the chart, post the card."""
        start, end = month
        now = self._clock.now()
        chart_start, _ = chart_period(end)
        [report] = await report_timeliness(
            self._cases,
            [partnership],
            self._calendars,
            start=start,
            end=end,
            today=london_time(now).date(),
            chart_start=chart_start,
        )
        url = await self._chart_url(partnership, start, report.by_quarter, now)
        card = monthly_report_card(
            partnership_name=partnership.name,
            figures=report.figures,
            chart_url=url,
            chart_start=chart_start,
            chart_end=end,
        )
        logger.info("monthly report: posting %s for %s", partnership.id, f"{start:%Y-%m}")
        return await self._notifier.post_to_review_channel(
            partnership, card, summary=monthly_report_summary(partnership.name, report.figures)
        )

    async def _chart_url(
        self, partnership: Partnership, start: date, quarters: Any, now: datetime
    ) -> str | None:
        if self._chart_base_url is None:
            return None
        if not chart_available():
            if not self._warned_no_chart:
                logger.warning(
                    "monthly report: posted without its chart; install the report extra"
                    " (matplotlib) to draw it"
                )
                self._warned_no_chart = True
            return None
        # Drawn in a process of its own: matplotlib never enters the bot's memory (about 40 MB
        # kept for good, for a chart drawn once a month), nor its CPU the event loop's.
        png = await render_chart_apart(quarters, partnership_name=partnership.name)
        token = await self._charts.keep(partnership.id, f"{start:%Y-%m}", png, now=now)
        return self._chart_base_url + chart_path(partnership.id, start, token)
