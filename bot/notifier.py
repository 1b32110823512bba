"""The one sender of proactive messages: to a review channel or a user's personal chat."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import requests
import urllib3
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from bot.conversations import ConversationRecord, ConversationRegistry
from dialogs.turns import card_message
from safeguarding.partnerships import Partnership
from usecases.errors import (
    ChannelNotConfiguredError,
    ConversationGoneError,
    ConversationUnknownError,
    DeliveryFailedError,
    DeliveryUncertainError,
    NotifierError,
    NotSentError,
    RateLimitedError,
)
from usecases.ports import about_to_send

logger = logging.getLogger(__name__)


def _where(reference: ConversationReference) -> str:
    conversation = reference.conversation
    return f"conversation {conversation.id if conversation else '?'}"


Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]

# Teams allows about 7 messages a second into one conversation.
MIN_INTERVAL_S = 1 / 7
SEND_ATTEMPTS = 4
MAX_RETRY_AFTER_S = 60.0


def _classify(exc: Exception, what: str) -> NotifierError:
    """What a connector failure means for sending again."""
    if isinstance(exc, HttpOperationError):
        response = exc.response
        status = getattr(response, "status_code", None)
        if status == 429:
            header = response.headers.get("Retry-After", "1") if response is not None else "1"
            try:
                retry_after = min(float(header), MAX_RETRY_AFTER_S)
            except ValueError:
                retry_after = 1.0
            return RateLimitedError(what, retry_after)
        if status in (403, 404):
            return ConversationGoneError(what, f"HTTP {status}")
        if status is not None and status >= 500:
            return DeliveryUncertainError(what, f"HTTP {status}")
        return DeliveryFailedError(what, f"HTTP {status}")
    if _never_sent(getattr(exc, "inner_exception", None)):
        return NotSentError(what, "connector unreachable")
    return DeliveryUncertainError(what, "no answer from the connector")


def _never_sent(error: object) -> bool:
    """Whether a transport error happened before the request left (so sending again is safe).

    Only a failure to connect proves that; a dropped connection or a read timeout may come
    after the connector accepted the message.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(error, requests.exceptions.ConnectionError):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
    )


def _wait(state: RetryCallState) -> float:
    # Honour Retry-After on 429; otherwise back off exponentially with jitter.
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, RateLimitedError):
        return error.retry_after
    backoff: float = wait_random_exponential(multiplier=0.5, max=10)(state)
    return backoff


class Notifier:
    """Sends every proactive message the product makes, through the adapter.

    A new post is sent again only when it certainly did not land (429, connector unreachable);
    a 5xx or a timeout raises DeliveryUncertainError and is not retried, because a blind retry
    could post twice. Updates replace a card in place and are retried on 5xx too.
    """

    def __init__(
        self,
        *,
        adapter: BotAdapter,
        conversations: ConversationRegistry,
        bot_app_id: str,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        send_timeout_s: float = 30.0,
    ) -> None:
        self._adapter = adapter
        self._conversations = conversations
        self._bot_app_id = bot_app_id
        self._sleep = sleep
        self._monotonic = monotonic
        self._next_slot: dict[str, float] = {}
        self._timeout = send_timeout_s

    async def _pace(self, conversation_id: str) -> None:
        # Each send takes the next free slot before it waits, so posts made at the same moment
        # go out 1/7 s apart, not all together after one shared pause.
        now = self._monotonic()
        slot = max(now, self._next_slot.get(conversation_id, now))
        self._next_slot[conversation_id] = slot + MIN_INTERVAL_S
        if slot > now:
            await self._sleep(slot - now)

    async def _attempt(
        self, reference: ConversationReference, activity: Activity, *, update: bool
    ) -> str:
        conversation_id = reference.conversation.id if reference.conversation else "?"
        await self._pace(conversation_id)
        ready = about_to_send.get()
        if ready is not None:
            await ready()
        sent: list[str] = []
        failures: list[Exception] = []

        async def callback(context: TurnContext) -> None:
            # Connector failures are caught here: escaping the callback they would reach the
            # adapter's turn-error handler, which would try to post an apology in the channel.
            try:
                if update:
                    await context.update_activity(activity)
                    sent.append(str(activity.id))
                    return
                # The continuation activity has a made-up id; sending would make our post a
                # reply to it. Without one the connector creates a new top-level post.
                context.activity.id = None
                response = await context.send_activity(activity)
                if response is not None and response.id:
                    sent.append(response.id)
            except (HttpOperationError, ClientRequestError) as exc:
                failures.append(exc)

        try:
            await asyncio.wait_for(
                self._adapter.continue_conversation(reference, callback, self._bot_app_id),
                timeout=self._timeout,
            )
        except TimeoutError:
            # The request went out and no answer came: it may have been posted.
            raise DeliveryUncertainError(_where(reference), "no answer in time") from None
        if failures:
            raise _classify(failures[0], _where(reference))
        return sent[0] if sent else ""

    async def _send(
        self, reference: ConversationReference, activity: Activity, *, update: bool = False
    ) -> str:
        retryable: tuple[type[Exception], ...] = (
            (RateLimitedError, NotSentError, DeliveryUncertainError)
            if update
            else (RateLimitedError, NotSentError)
        )
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(retryable),
            wait=_wait,
            stop=stop_after_attempt(SEND_ATTEMPTS),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(reference, activity, update=update)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _channel_reference(self, partnership: Partnership) -> ConversationReference:
        channel = partnership.review_channel
        if not channel.team_id or not channel.channel_id:
            raise ChannelNotConfiguredError(partnership.id)
        record = await self._conversations.for_team(channel.team_id)
        if record is None:
            raise ConversationUnknownError(f"team {channel.team_id}")
        return record.reference(conversation_id=channel.channel_id)

    async def post_to_review_channel(
        self, partnership: Partnership, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Post a card as a new post in the partnership's review channel; return its activity id."""
        reference = await self._channel_reference(partnership)
        activity_id = await self._send(reference, card_message(card, summary))
        logger.info("posted to review channel of %s: activity %s", partnership.id, activity_id)
        return activity_id

    async def send_to_user(
        self, record: ConversationRecord, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Send a card to a user's personal chat; return its activity id."""
        if record.kind != "personal":
            raise ConversationUnknownError("that user in a personal chat")
        return await self._send(record.reference(), card_message(card, summary))

    async def send_to_user_id(
        self, user_id: str, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Send a card to the personal chat of a Teams user id."""
        record = await self._conversations.for_user(user_id)
        if record is None:
            raise ConversationUnknownError("that user")
        return await self.send_to_user(record, card, summary=summary)

    async def update_in_review_channel(
        self, partnership: Partnership, activity_id: str, card: dict[str, Any]
    ) -> None:
        """Replace a card the bot posted earlier in the review channel, for everyone."""
        reference = await self._channel_reference(partnership)
        activity = card_message(card)
        activity.id = activity_id
        await self._send(reference, activity, update=True)
