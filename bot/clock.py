"""The real clock, injected at the composition root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """Reads the machine's time; the only place the product does."""

    def now(self) -> datetime:
        """The current moment in UTC."""
        return datetime.now(UTC)


class ShiftedClock:
    """The real clock moved by an offset; only for test mode (the e2e tests move time)."""

    def __init__(self, base: SystemClock) -> None:
        self._base = base
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The real moment plus the offset."""
        return self._base.now() + self._offset

    def set(self, moment: datetime) -> None:
        """From now on, read `moment` (and let real time run on from there)."""
        self._offset = moment - self._base.now()
