"""The APScheduler trigger: it only calls the runner's tick; the runner decides what is due."""

from __future__ import annotations

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
