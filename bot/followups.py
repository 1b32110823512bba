"""Work a turn leaves for after its HTTP response, run in tracked tasks.

A filing's acknowledgement is sent inside the turn; what comes after it (the claim giving way
to the filed marker, the case card posted to the review channel, which may wait its turn on
the channel's pacing) runs once the turn has answered. The app awaits every outstanding
follow-up before it closes the store on a clean stop; after a crash, the claim still held
and the case card not yet posted are finished by the reminder tick or start-up, as for any
interrupted filing (usecases/referrals.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from pydantic import ValidationError

from usecases.replies import AfterSent

logger = logging.getLogger(__name__)


class FollowUps:
    """Tracked background tasks, each running one turn's follow-up work in order."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Sequence[AfterSent], *, activity_id: str | None) -> None:
        """Run `work` in order in a new task, after the current turn has answered."""
        if not work:
            return
        task = asyncio.create_task(self._run(tuple(work), activity_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(work: tuple[AfterSent, ...], activity_id: str | None) -> None:
        for step in work:
            try:
                await step()
            except Exception as exc:
                # What did not happen is left as after a crash: the claim held or the card
                # unposted, which the reminder tick finishes. A pydantic error's text quotes
                # the data (a child's details): only its type is logged.
                logger.error(
                    "follow-up of activity %s stopped: %s",
                    activity_id or "-",
                    type(exc).__name__,
                    exc_info=not isinstance(exc, ValidationError),
                )
                return

    @property
    def outstanding(self) -> int:
        """How many follow-ups are still running."""
        return len(self._tasks)

    async def settled(self) -> None:
        """Wait until every follow-up started so far (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
