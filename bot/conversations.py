"""Conversation references for every chat, team and channel the bot sees, for proactive posts."""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any, Literal

from botbuilder.core import serializer_helper
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)
from pydantic import BaseModel, ConfigDict

from safeguarding.clocks import Clock, london_time
from storage.base import Collection, ConflictError, Document, Store, safe_key

logger = logging.getLogger(__name__)

Kind = Literal["personal", "channel", "groupChat"]
_KINDS: dict[str, Kind] = {"personal": "personal", "channel": "channel", "groupChat": "groupChat"}


class ConversationRecord(BaseModel):
    """What the Notifier needs to reach a conversation later."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    conversation_id: str
    service_url: str
    channel_id: str
    tenant_id: str | None = None
    bot_id: str | None = None
    bot_name: str | None = None
    user_id: str | None = None
    user_aad_object_id: str | None = None
    team_id: str | None = None
    teams_channel_id: str | None = None
    greeted: bool = False
    # The London day the bot last heard in this conversation, kept to the day (a write a day
    # at most): retention forgets people not seen for a while (usecases/retention.py).
    seen_on: date | None = None

    def reference(self, conversation_id: str | None = None) -> ConversationReference:
        """A botbuilder reference to this conversation (or another one on the same service)."""
        return ConversationReference(
            channel_id=self.channel_id,
            service_url=self.service_url,
            bot=ChannelAccount(id=self.bot_id, name=self.bot_name),
            conversation=ConversationAccount(
                id=conversation_id or self.conversation_id,
                tenant_id=self.tenant_id,
                conversation_type=self.kind,
                is_group=self.kind != "personal",
            ),
        )


def _channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    if data is None:
        return {}
    as_dict = serializer_helper(data) if hasattr(data, "serialize") else {}
    return as_dict if isinstance(as_dict, dict) else {}


def record_for(activity: Activity) -> ConversationRecord | None:
    """The record an activity tells us about, or None when it lacks what a reference needs."""
    conversation = activity.conversation
    if conversation is None or not conversation.id or not activity.service_url:
        return None
    data = _channel_data(activity)
    tenant = data.get("tenant") or {}
    team = data.get("team") or {}
    channel = data.get("channel") or {}
    conversation_type = conversation.conversation_type or ("channel" if team else "personal")
    kind: Kind = _KINDS.get(conversation_type, "personal")
    sender = activity.from_property
    recipient = activity.recipient
    team_id = team.get("id") if isinstance(team, dict) else None
    return ConversationRecord(
        kind=kind,
        # A channel message's conversation id carries ";messageid=" for its thread.
        conversation_id=conversation.id.split(";messageid=")[0],
        service_url=activity.service_url,
        channel_id=activity.channel_id or "msteams",
        tenant_id=(tenant.get("id") if isinstance(tenant, dict) else None)
        or conversation.tenant_id,
        bot_id=recipient.id if recipient else None,
        bot_name=recipient.name if recipient else None,
        user_id=sender.id if sender and kind == "personal" else None,
        user_aad_object_id=sender.aad_object_id if sender and kind == "personal" else None,
        team_id=team_id,
        teams_channel_id=(channel.get("id") if isinstance(channel, dict) else None)
        or (team_id if kind == "channel" else None),
    )


def _roster_key(team_id: str, user: str) -> str:
    # Hashed whatever the ids hold: the key never carries a UPN (a name) in clear.
    return f"member:sha256:{hashlib.sha256(f'{team_id}|{user.casefold()}'.encode()).hexdigest()}"


def key_for(record: ConversationRecord) -> str:
    """Personal chats by user, channels by channel id, group chats by conversation id."""
    if record.kind == "personal" and record.user_id:
        return safe_key("user", record.user_id)
    if record.kind == "channel" and record.teams_channel_id:
        return safe_key("channel", record.teams_channel_id)
    return safe_key("chat", record.conversation_id)


class ConversationRegistry:
    """Keeps one record per conversation, writing only when something in it changed."""

    def __init__(self, store: Store, *, clock: Clock | None = None) -> None:
        self._store = store
        # Without a clock (tools, older tests) records carry no last-seen day.
        self._clock = clock
        # Avoids a store write per turn: the last record seen per key in this process.
        self._seen: dict[str, ConversationRecord] = {}

    def _today(self) -> date | None:
        return london_time(self._clock.now()).date() if self._clock is not None else None

    async def remember(self, activity: Activity) -> ConversationRecord | None:
        """Record the conversation an activity came from; return the stored record."""
        record = record_for(activity)
        if record is None:
            return None
        record = record.model_copy(update={"seen_on": self._today()})
        key = key_for(record)
        known = self._seen.get(key)
        if known is not None and known.model_copy(update={"greeted": False}) == record:
            return known
        doc = await self._store.get(Collection.CONVERSATIONS, key)
        if doc is not None:
            stored = ConversationRecord.model_validate(doc.data)
            record = record.model_copy(update={"greeted": stored.greeted})
            if stored == record:
                self._seen[key] = stored
                return stored
        if not await self._write(key, record, doc):
            # Another turn recorded the same conversation a moment ago: its record stands.
            logger.info("conversation record %s written concurrently", key)
        self._seen[key] = record
        return record

    async def _write(self, key: str, record: ConversationRecord, doc: Document | None) -> bool:
        """Write the record over the document read (or as new); False if another turn won."""
        try:
            await self._store.put(
                Collection.CONVERSATIONS,
                key,
                record.model_dump(mode="json"),
                if_match=doc.etag if doc else None,
                if_none_match=doc is None,
            )
        except ConflictError:
            return False
        return True

    async def mark_greeted(self, record: ConversationRecord) -> bool:
        """Set the greeted flag once; return False when the conversation was already greeted."""
        key = key_for(record)
        doc = await self._store.get(Collection.CONVERSATIONS, key)
        if doc is None:
            current = record
        else:
            current = ConversationRecord.model_validate(doc.data)
            if current.greeted:
                self._seen[key] = current
                return False
        updated = current.model_copy(update={"greeted": True})
        if not await self._write(key, updated, doc):
            return False
        self._seen[key] = updated
        return True

    async def for_user(self, user_id: str) -> ConversationRecord | None:
        """The personal chat with a user (by Teams user id)."""
        doc = await self._store.get(Collection.CONVERSATIONS, safe_key("user", user_id))
        return ConversationRecord.model_validate(doc.data) if doc else None

    async def for_user_aad(self, aad_object_id: str) -> ConversationRecord | None:
        """The personal chat with a user (by Entra object id)."""
        docs = await self._store.list(
            Collection.CONVERSATIONS, where={"user_aad_object_id": aad_object_id}
        )
        return ConversationRecord.model_validate(docs[0].data) if docs else None

    async def teams_id_for(self, aad_object_id: str) -> str | None:
        """The Teams id of the user's personal chat with the bot, if the bot has met them."""
        record = await self.for_user_aad(aad_object_id)
        return record.user_id if record is not None else None

    async def roster_id(self, team_id: str, user: str) -> str | None:
        """The Teams id found for a user (Entra object id or UPN) in a team's roster earlier."""
        doc = await self._store.get(Collection.CONVERSATIONS, _roster_key(team_id, user))
        found = doc.data.get("teams_id") if doc else None
        return found if isinstance(found, str) and found else None

    async def remember_roster_id(self, team_id: str, user: str, teams_id: str) -> None:
        """Keep the Teams id a team's roster gave for a user, so Teams is asked once."""
        key = _roster_key(team_id, user)
        doc = await self._store.get(Collection.CONVERSATIONS, key)
        if doc is not None and doc.data.get("teams_id") == teams_id:
            return
        try:
            await self._store.put(
                Collection.CONVERSATIONS,
                key,
                # No `team_id` or `user_aad_object_id` field: these are not conversations.
                # `seen_on`: the day it was found, so retention lets the cache go in time.
                {
                    "kind": "roster_member",
                    "roster_team": team_id,
                    "teams_id": teams_id,
                    **({"seen_on": today.isoformat()} if (today := self._today()) else {}),
                },
                if_match=doc.etag if doc else None,
                if_none_match=doc is None,
            )
        except ConflictError:
            logger.info("roster entry %s written concurrently", key)

    async def for_team(self, team_id: str) -> ConversationRecord | None:
        """Any channel record of a team, which carries the service URL and tenant to post there."""
        doc = await self._store.get(Collection.CONVERSATIONS, safe_key("channel", team_id))
        if doc is not None:
            return ConversationRecord.model_validate(doc.data)
        docs = await self._store.list(Collection.CONVERSATIONS, where={"team_id": team_id})
        return ConversationRecord.model_validate(docs[0].data) if docs else None
