"""The clock the rest of the code is given; only an adapter in `bot/` reads the real time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    """Tells the current moment as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


def london_time(moment: datetime) -> datetime:
    """A moment as wall-clock time in England (GMT/BST), where office hours are kept."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return moment.astimezone(LONDON)
