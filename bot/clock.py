"""The real clock, injected at the composition root."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Reads the machine's time; the only place the product does."""

    def now(self) -> datetime:
        """The current moment in UTC."""
        return datetime.now(UTC)
