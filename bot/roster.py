"""The use cases' UserDirectory: a lead's Teams id from their chat with the bot or the roster.

A card's `refresh.userIds` takes Teams user ids (29:…), which the partnerships file does not
hold: it names leads by Entra object id (or UPN). The bot learns a Teams id when the lead chats
with it; before that, Teams' roster of the review channel's team answers for a single member
looked up by object id or UPN (TeamsInfo.get_team_member, `GET /v3/conversations/{team}/
members/{user}`). Where that single lookup answers "not found" (the Agents Playground looks
members up by Teams id only), the team's paged roster (`GET /v3/conversations/{team}/
pagedmembers`, at most MAX_PAGES pages of PAGE_SIZE) is read for the object id or UPN. What the
roster gives is kept in the conversation registry, so Teams is asked once per lead; a lead it
does not find is asked about again after a while.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.conversations import ConversationRegistry

logger = logging.getLogger(__name__)

# A lead the roster did not give (not in the team yet, or Teams unreachable) is asked about
# again after this long; meanwhile their card is built without them.
RETRY_AFTER_S = 600.0
LOOKUP_TIMEOUT_S = 5.0
# Teams pages rosters in 50-500 members; 20 full pages cover the largest partnership team.
PAGE_SIZE = 500
MAX_PAGES = 20


def _is_user(member: object, user: str) -> bool:
    ids = {
        str(value).casefold()
        for value in (
            getattr(member, "aad_object_id", None),
            getattr(member, "user_principal_name", None),
        )
        if value
    }
    return user.casefold() in ids


def _status_of(exc: Exception) -> object:
    return getattr(getattr(exc, "response", None), "status_code", None)


class RosterDirectory:
    """Teams ids of leads: their personal chat first, then the team's roster (cached)."""

    def __init__(
        self,
        *,
        adapter: BotAdapter,
        conversations: ConversationRegistry,
        bot_app_id: str,
        monotonic: Callable[[], float] = time.monotonic,
        timeout_s: float = LOOKUP_TIMEOUT_S,
    ) -> None:
        self._adapter = adapter
        self._conversations = conversations
        self._bot_app_id = bot_app_id
        self._monotonic = monotonic
        self._timeout = timeout_s
        self._missed: dict[tuple[str, str], float] = {}
        # Teams' roster failing (not a "not found"): the team is not asked again for a while.
        self._down: dict[str, float] = {}

    async def teams_id_for(self, user: str, *, team_id: str | None = None) -> str | None:
        """The user's Teams id, or None when it cannot be known now (never raises)."""
        met = await self._conversations.teams_id_for(user)
        if met:
            return met
        if not team_id:
            return None
        cached = await self._conversations.roster_id(team_id, user)
        if cached:
            return cached
        if self._recent(self._missed.get((team_id, user.casefold()))) or self._recent(
            self._down.get(team_id)
        ):
            return None
        found = await self._ask_roster(team_id, user)
        if found is None:
            self._missed[(team_id, user.casefold())] = self._monotonic()
            return None
        self._missed.pop((team_id, user.casefold()), None)
        await self._conversations.remember_roster_id(team_id, user, found)
        return found

    def _recent(self, moment: float | None) -> bool:
        return moment is not None and self._monotonic() - moment < RETRY_AFTER_S

    def _failed(self, team_id: str, exc: Exception) -> None:
        status = _status_of(exc)
        # Not a name: the exception's type and the status only.
        logger.info("roster lookup in team %s failed: %s %s", team_id, type(exc).__name__, status)
        if status != 404:
            self._down[team_id] = self._monotonic()

    async def _ask_roster(self, team_id: str, user: str) -> str | None:
        record = await self._conversations.for_team(team_id)
        if record is None:
            # The bot has not been added to the team yet: nothing to ask.
            return None
        found: list[str] = []

        async def callback(context: TurnContext) -> None:
            try:
                member = await TeamsInfo.get_team_member(context, team_id, user)
            except Exception as exc:  # noqa: BLE001 - a roster answer must never stop a card
                # 404 for someone not in the team, or a Teams that looks members up by Teams
                # id only: the paged roster says which. Anything else (a malformed reply the
                # SDK cannot read, say): unknown for now, and the card goes out without the id.
                if _status_of(exc) != 404:
                    self._failed(team_id, exc)
                    return
                member = await self._scan_pages(context, team_id, user)
                if member is None:
                    return
            teams_id = getattr(member, "id", None)
            # Only an answer about the user asked for, with a Teams id, is kept.
            if isinstance(teams_id, str) and teams_id and _is_user(member, user):
                found.append(teams_id)

        # The team's id is also its General channel's conversation id, which the roster takes.
        reference = record.reference(conversation_id=team_id)
        try:
            await asyncio.wait_for(
                self._adapter.continue_conversation(reference, callback, self._bot_app_id),
                timeout=self._timeout,
            )
        except Exception as exc:  # noqa: BLE001 - the card is posted whatever the roster does
            self._failed(team_id, exc)
            return None
        return found[0] if found else None

    async def _scan_pages(self, context: TurnContext, team_id: str, user: str) -> object | None:
        token: str | None = None
        for _ in range(MAX_PAGES):
            try:
                page = await TeamsInfo.get_paged_team_members(context, team_id, token, PAGE_SIZE)
            except Exception as exc:  # noqa: BLE001 - as for the single lookup
                self._failed(team_id, exc)
                return None
            members: list[object] = list(getattr(page, "members", None) or [])
            for member in members:
                if _is_user(member, user):
                    return member
            token = getattr(page, "continuation_token", None)
            if not token:
                break
        logger.info("roster lookup in team %s: not a member", team_id)
        return None
