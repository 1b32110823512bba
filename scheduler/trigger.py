"""The APScheduler trigger: it only calls the runner's tick; the runner decides what is due."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.runner import ReminderRunner


def start_scheduler(runner: ReminderRunner, *, interval_s: int) -> AsyncIOScheduler:
    """Trigger the runner every `interval_s` seconds; one run at a time, missed runs merged."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        runner.tick,
        IntervalTrigger(seconds=interval_s),
        id="reminders",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.start()
    return scheduler


# How often each replica asks whether today's retention run is done; the run itself happens
# once per London day across every replica (usecases/retention.py RetentionJob).
RETENTION_CHECK_S = 3600
# The first check, this long after start: soon, so a replica restarted more often than hourly
# still runs retention, and not at once, so start-up's own work (finishing filings) goes first.
RETENTION_FIRST_CHECK_S = 60


def schedule_retention(
    scheduler: AsyncIOScheduler,
    run: Callable[[], Awaitable[object]],
    *,
    now: datetime,
    interval_s: int = RETENTION_CHECK_S,
    first_after_s: int = RETENTION_FIRST_CHECK_S,
) -> None:
    """Add the daily retention job beside the reminder tick: first checked `first_after_s` after
    `now` (the app's clock), then hourly; it runs once a day."""
    scheduler.add_job(
        run,
        IntervalTrigger(seconds=interval_s),
        next_run_time=now + timedelta(seconds=first_after_s),
        id="retention",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
