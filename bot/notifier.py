"""The one sender of proactive messages: to a review channel or a user's personal chat."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.conversations import ConversationRecord, ConversationRegistry
from dialogs.referral import AnnouncementError
from safeguarding.partnerships import Partnership

logger = logging.getLogger(__name__)


class NotifierError(AnnouncementError):
    """A proactive message that cannot be sent; the message says what is missing."""


class DeliveryFailedError(NotifierError):
    """The Bot Connector refused or could not be reached."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"could not post to {what}: {reason}")


class ChannelNotConfiguredError(NotifierError):
    """The partnership has no review channel in the partnerships file."""

    def __init__(self, partnership_id: str) -> None:
        super().__init__(f"{partnership_id}: no review channel is configured")


class ConversationUnknownError(NotifierError):
    """The bot has never seen the team or chat it was asked to post to."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the bot has no conversation with {what}; is it installed there?")


def _where(reference: ConversationReference) -> str:
    conversation = reference.conversation
    return f"conversation {conversation.id if conversation else '?'}"


def card_activity(card: dict[str, Any], *, summary: str | None = None) -> Activity:
    """A message activity carrying one Adaptive Card (with a plain summary for notifications)."""
    activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if summary:
        activity.summary = summary
    return activity


class Notifier:
    """Sends every proactive message the product makes, through the adapter."""

    def __init__(
        self, *, adapter: BotAdapter, conversations: ConversationRegistry, bot_app_id: str
    ) -> None:
        self._adapter = adapter
        self._conversations = conversations
        self._bot_app_id = bot_app_id

    async def _send(self, reference: ConversationReference, activity: Activity) -> str:
        sent: list[str] = []

        async def callback(context: TurnContext) -> None:
            # The continuation activity has a made-up id; sending would make our post a reply
            # to it. Without one the connector creates a new top-level post.
            context.activity.id = None
            response = await context.send_activity(activity)
            if response is not None and response.id:
                sent.append(response.id)

        try:
            await self._adapter.continue_conversation(reference, callback, self._bot_app_id)
        except HttpOperationError as exc:
            status = exc.response.status_code if exc.response is not None else "no response"
            raise DeliveryFailedError(_where(reference), f"HTTP {status}") from None
        except ClientRequestError:
            raise DeliveryFailedError(_where(reference), "connector unreachable") from None
        return sent[0] if sent else ""

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
        activity_id = await self._send(reference, card_activity(card, summary=summary))
        logger.info("posted to review channel of %s: activity %s", partnership.id, activity_id)
        return activity_id

    async def send_to_user(
        self, record: ConversationRecord, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Send a card to a user's personal chat; return its activity id."""
        if record.kind != "personal":
            raise ConversationUnknownError("that user in a personal chat")
        return await self._send(record.reference(), card_activity(card, summary=summary))

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
        activity = card_activity(card)
        activity.id = activity_id

        async def callback(context: TurnContext) -> None:
            await context.update_activity(activity)

        await self._adapter.continue_conversation(reference, callback, self._bot_app_id)
