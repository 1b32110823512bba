"""A fake of the Teams edge's outbound side: the case announcer and the notifier at once."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from safeguarding.cases import Case
from safeguarding.partnerships import Partnership
from tests.support.fakes import FakeClock
from usecases.ports import about_to_send

REFERENCE = re.compile(r"[A-Z]{2,5}-\d{4}-\d{3,}")


@dataclass
class RecordingChannel:
    """Records what reached review channels and personal chats.

    With `clock` and `post_takes`, every channel post takes that long in fake time (a connector
    backing off); `on_post` runs after each one (another replica acting meanwhile).
    """

    clock: FakeClock | None = None
    post_takes: timedelta = timedelta(0)
    on_post: Callable[[], Awaitable[None]] | None = None
    # Case cards posted, by reference; every other channel post, by its summary.
    case_cards: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    # Cards sent to personal chats: (Teams user id, the reference the card gives).
    to_users: list[tuple[str, str]] = field(default_factory=list)
    # Acknowledgements a turn sent (user, reference), recorded by the test before a crash.
    in_turn: list[tuple[str, str]] = field(default_factory=list)

    async def _about_to_send(self) -> None:
        # As the real notifier: a once-only delivery is marked as being sent right before.
        ready = about_to_send.get()
        if ready is not None:
            await ready()

    async def announce_case(self, case: Case, partnership: Partnership) -> str:
        await self._about_to_send()
        self.case_cards.append(case.reference)
        return f"card-{len(self.case_cards)}"

    async def tell_partnership(self, case: Case, lead: Partnership, told: Partnership) -> str:
        await self._about_to_send()
        return "told"

    async def post_to_review_channel(
        self, partnership: Partnership, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        if self.clock is not None:
            self.clock.current += self.post_takes
        await self._about_to_send()
        self.posts.append(summary or "")
        if self.on_post is not None:
            await self.on_post()
        return f"activity-{len(self.posts)}"

    async def update_in_review_channel(
        self, partnership: Partnership, activity_id: str, card: dict[str, Any]
    ) -> None:
        return None

    async def send_to_user_id(
        self, user_id: str, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        [reference] = set(REFERENCE.findall(json.dumps(card)))
        await self._about_to_send()
        self.to_users.append((user_id, reference))
        return f"ack-{len(self.to_users)}"
