"""The ports the use cases need, implemented by the Teams edge and the adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Protocol

from safeguarding.cases import Case
from safeguarding.partnerships import Partnership

# Set by a once-only delivery around its post: the notifier awaits it once its waits (pacing
# into the conversation, finding the conversation) are over, right before the request goes
# out. The delivery is recorded as being sent only then, so a crash while it still waited
# leaves a post that is certainly unsent, and so sent again later, not one marked uncertain.
about_to_send: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "about_to_send", default=None
)


class CaseAnnouncer(Protocol):
    """Posts a new case's card to its partnership's review channel."""

    async def announce_case(self, case: Case, partnership: Partnership) -> str:
        """Post the card; return its activity id; raise NotifierError on failure."""
        ...

    async def tell_partnership(self, case: Case, lead: Partnership, told: Partnership) -> str:
        """Post a short card to the child's home partnership's channel; return its activity id."""
        ...


class ChannelNotifier(Protocol):
    """The one sender of proactive messages (the edge's Notifier implements it)."""

    async def post_to_review_channel(
        self, partnership: Partnership, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Post a card as a new post in the review channel; return its activity id."""
        ...

    async def update_in_review_channel(
        self, partnership: Partnership, activity_id: str, card: dict[str, Any]
    ) -> None:
        """Replace a card posted earlier in the review channel."""
        ...

    async def send_to_user_id(
        self, user_id: str, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Send a card to the personal chat of a Teams user id."""
        ...


class GroupMembership(Protocol):
    """Answers whether a user is in an Entra ID group (Graph implements it; fails closed)."""

    async def is_member(self, group_id: str, aad_object_id: str) -> bool:
        """True when the user is a member; raise LeadCheckUnavailableError when unsure."""
        ...


class UserDirectory(Protocol):
    """Finds the Teams user id of a configured lead, so their copy of a card refreshes."""

    async def teams_id_for(self, user: str, *, team_id: str | None = None) -> str | None:
        """The Teams id of a user (Entra object id or UPN): from their personal chat with the
        bot, else from the roster of `team_id`; None when it cannot be known now (fail safe)."""
        ...
