"""Fakes used across the tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = start

    def now(self) -> datetime:
        """The fake current moment."""
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a timedelta's keyword arguments."""
        self.current += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        """Jump to a moment."""
        self.current = moment


class FakeTime:
    """A monotonic clock and a sleep that only moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def shared_screen() -> Any:
    """The bot's screen with the shipped model, loaded once for the whole test run."""
    global _SCREEN
    if _SCREEN is None:
        from safeguarding.triage_model import load_model
        from usecases.safety import Screen

        _SCREEN = Screen(load_model())
    return _SCREEN


_SCREEN: Any = None
