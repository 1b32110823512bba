"""A partnership's reminder policy, typed for planning: milestones, hours, when digests go.

`ReminderPolicy` itself lives in `safeguarding.partnerships`, where the partnerships file is
validated; this module re-exports it and turns its settings into the types the planner uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import get_args

from safeguarding.clocks import LONDON
from safeguarding.partnerships import DigestWeekday, ReminderPolicy
from safeguarding.timeline import MilestoneKey

__all__ = [
    "DEFAULT_REMINDER_MILESTONES",
    "DIGEST_WEEKDAYS",
    "NOTIFICATION_PATH",
    "ReminderPolicy",
    "digest_day",
    "digest_moment",
    "london_moment",
    "reminded_milestones",
]

# The milestones of the notification and the rapid review, in timeline order; kept once here
# because the default reminders below and the planner's check that a case is on this path both
# mean exactly these.
NOTIFICATION_PATH: tuple[MilestoneKey, ...] = (
    MilestoneKey.SIN,
    MilestoneKey.NOTIFY_PARTNERS,
    MilestoneKey.RR_IAS_REQUESTS,
    MilestoneKey.RR_IAS_RETURNS,
    MilestoneKey.RR_DRAFT,
    MilestoneKey.RR_SIGN_OFF,
    MilestoneKey.RAPID_REVIEW,
)

# Every statutory milestone that falls due, and the rapid review's internal steps: the whole
# notification path and the CSPR report's deadlines. The Panel's reply is the Panel's to meet
# (and not statutory); the report's public period is never "due".
DEFAULT_REMINDER_MILESTONES: tuple[MilestoneKey, ...] = (
    *NOTIFICATION_PATH,
    MilestoneKey.REPORT_COPY_TO_PANEL,
    MilestoneKey.CSPR_FINAL_REPORT,
)

DIGEST_WEEKDAYS: tuple[DigestWeekday, ...] = get_args(DigestWeekday)


def reminded_milestones(policy: ReminderPolicy) -> tuple[MilestoneKey, ...]:
    """The milestones this policy reminds of, in timeline order."""
    chosen = DEFAULT_REMINDER_MILESTONES if policy.milestones is None else policy.milestones
    wanted = {MilestoneKey(key) for key in chosen}
    return tuple(key for key in MilestoneKey if key in wanted)


def digest_day(policy: ReminderPolicy, day: date) -> date:
    """The digest's day in the ISO week (Monday to Sunday) that contains `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday + timedelta(days=DIGEST_WEEKDAYS.index(policy.digest_weekday))


def digest_moment(policy: ReminderPolicy, day: date) -> datetime:
    """The aware UTC moment of the digest in the ISO week that contains `day`."""
    return london_moment(digest_day(policy, day), policy.digest_clock())


def london_moment(day: date, clock: time) -> datetime:
    """A London wall-clock time on a day, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)
