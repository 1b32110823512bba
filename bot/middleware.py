"""Cross-cutting turn rules, as botbuilder middleware."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext

from dialogs.turns import attach_screen, turn_triage
from usecases.safety import Screen

logger = logging.getLogger(__name__)


class DeduplicationMiddleware(Middleware):  # type: ignore[misc]
    """Drops an activity Teams delivers a second time (it retries after ~15 s without a reply)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._max = max_entries

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        """Run the turn unless this activity id was already handled by this process."""
        activity = context.activity
        key = f"{activity.conversation.id if activity.conversation else ''}|{activity.id}"
        if activity.id and activity.type in ("message", "invoke"):
            if key in self._seen:
                logger.info("duplicate activity %s dropped", activity.id)
                return
            self._seen[key] = None
            if len(self._seen) > self._max:
                self._seen.popitem(last=False)
        await logic()


class SafetyTriageMiddleware(Middleware):  # type: ignore[misc]
    """Classifies a typed message once, before anything else, for the whole turn to read.

    The handler, the dialogs and the turn error handler all read `turn_triage`, so a message is
    classified once per turn, and a failure later in the turn still knows it needs 999.
    """

    def __init__(self, screen: Screen) -> None:
        self._screen = screen

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        """Work out the turn's triage, then run the turn."""
        attach_screen(context, self._screen)
        if context.activity.type == "message":
            turn_triage(context)
        await logic()
