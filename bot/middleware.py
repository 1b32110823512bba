"""Cross-cutting turn rules, as botbuilder middleware."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from dialogs.turns import attach_screen, turn_triage
from safeguarding.clocks import Clock
from storage.base import StoreError
from storage.seen import Seen, SeenActivities, activity_key
from usecases.logs import quoted
from usecases.safety import Screen

logger = logging.getLogger(__name__)


class DeduplicationMiddleware(Middleware):  # type: ignore[misc]
    """Drops an activity Teams delivers a second time (it retries after ~15 s without a reply).

    The record is shared through the store (`storage/seen.py`), so a redelivery that reaches
    another replica is dropped too; ids this process has handled are also kept in memory, so
    its own redeliveries cost no store call. With `seen=None` (a store only one process may
    open, so there is no other replica) the memory alone decides, and a turn writes nothing.
    """

    def __init__(
        self, seen: SeenActivities | None, clock: Clock, max_entries: int = 10_000
    ) -> None:
        self._seen = seen
        self._clock = clock
        self._local: OrderedDict[str, None] = OrderedDict()
        self._max = max_entries

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        """Run the turn unless this activity was already handled, here or on another replica."""
        activity = context.activity
        if not activity.id or activity.type not in ("message", "invoke"):
            await logic()
            return
        key = activity_key(
            activity.channel_id or "",
            activity.conversation.id if activity.conversation else "",
            activity.id,
        )
        if key in self._local:
            logger.info("duplicate activity %s dropped", quoted(activity.id))
            await _answer_dropped(context)
            return
        if self._seen is None:
            self._remember(key)
            await logic()
            return
        try:
            held = await self._seen.begin(key, now=self._clock.now())
        except StoreError as exc:
            # Better a rare second run than a message lost: the turn's own writes are e-tagged.
            logger.warning(
                "activity %s not recorded as seen (%s); run anyway", quoted(activity.id), exc
            )
            held = None
        else:
            if held is None:
                logger.info(
                    "duplicate activity %s dropped (handled elsewhere)", quoted(activity.id)
                )
                await _answer_dropped(context)
                return
        self._remember(key)
        try:
            await logic()
        finally:
            if held is not None:
                await self._done(held)

    def _remember(self, key: str) -> None:
        self._local[key] = None
        if len(self._local) > self._max:
            self._local.popitem(last=False)

    async def _done(self, held: Seen) -> None:
        assert self._seen is not None
        try:
            await self._seen.done(held, now=self._clock.now())
        except StoreError as exc:
            # The turn itself is over and answered; its record stays in flight until it
            # expires, after which a redelivery would run again (rare, and e-tags guard it).
            logger.warning("activity %s not marked done: %s", held.key, exc)


async def _answer_dropped(context: TurnContext) -> None:
    # A dropped invoke still needs an answer, or the adapter gives Teams HTTP 501: a bare 200,
    # as for an invoke the bot does not handle. The first delivery's answer stands.
    if context.activity.type == ActivityTypes.invoke:
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200))
        )


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
