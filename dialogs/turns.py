"""A Teams turn in plain terms: the typed text, the person, the turn's triage, and sending replies.

This is the seam between the SDK and the use cases: the edge turns a `TurnContext` into plain
inputs here and sends what the use cases return through `send`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ActionTypes, Activity, CardAction, SuggestedActions
from msrest.exceptions import ClientRequestError, HttpOperationError

from dialogs.submits import Submit, parse_submit
from safeguarding.triage import Triage
from usecases.answers import Answers
from usecases.people import Person
from usecases.replies import AfterSent, Reply, Say
from usecases.safety import RULES_ONLY, Screen
from usecases.vocabulary import STATUS_WORD

logger = logging.getLogger(__name__)

_TRIAGE = "review_bot.triage"
_SUBMIT = "review_bot.submit"
_SIGNPOSTED = "review_bot.signposted"
_SCREEN = "review_bot.screen"
_LATER = "review_bot.later"


# As the SDK's mention removal finds the name: the text between the tags of a mention's text.
_AT_TAG = re.compile(r"<at(.*)>(.*?)</at>", re.IGNORECASE)


def _mentioned_names(activity: Activity) -> list[str]:
    """The names of the bot's mentions in an activity, as the SDK would remove them."""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    names: list[str] = []
    for entity in activity.entities or ():
        kind = getattr(entity, "type", None)
        if not isinstance(kind, str) or kind.lower() != "mention":
            continue
        props = getattr(entity, "additional_properties", None)
        props = props if isinstance(props, dict) else {}
        mentioned = props.get("mentioned")
        mentioned = mentioned if isinstance(mentioned, dict) else {}
        # A mention of someone else stays; one that names nobody, or a turn whose recipient is
        # unknown, is taken as the bot's: the user's own words are what the turn must read.
        if bot_id is not None and mentioned.get("id") not in (None, bot_id):
            continue
        shown = props.get("text") or mentioned.get("name")
        match = _AT_TAG.match(shown) if isinstance(shown, str) else None
        if match and match[2]:
            names.append(match[2])
    return names


def typed_text(context: TurnContext) -> str | None:
    """The user's typed text with a bot mention removed; None for card submits.

    The SDK's `remove_recipient_mention` raises on a missing recipient or a mention without
    `mentioned`, and reads the name as a pattern; this removes the same text, literally, and
    never raises, so the safety triage always has the words to read.
    """
    activity = context.activity
    text = activity.text
    if not isinstance(text, str):
        return None
    for name in _mentioned_names(activity):
        text = text.replace(name, "")
    text = text.replace("<at></at>", "")
    cleaned = " ".join(text.replace("&nbsp;", " ").split())
    return cleaned or None


def attach_screen(context: TurnContext, screen: Screen) -> None:
    """Give the turn the screen its triage is worked out with (the bot's, with its model)."""
    context.turn_state.setdefault(_SCREEN, screen)


def turn_triage(context: TurnContext) -> Triage | None:
    """The triage of this turn's typed text, worked out once per turn and kept on the turn."""
    if _TRIAGE not in context.turn_state:
        screen: Screen = context.turn_state.get(_SCREEN, RULES_ONLY)
        context.turn_state[_TRIAGE] = screen.assess(typed_text(context))
    found: Triage | None = context.turn_state[_TRIAGE]
    return found


def turn_submit(context: TurnContext) -> Submit | None:
    """The turn's card submission, parsed once where it enters (None if it is none of ours)."""
    if _SUBMIT not in context.turn_state:
        context.turn_state[_SUBMIT] = parse_submit(context.activity.value)
    found: Submit | None = context.turn_state[_SUBMIT]
    return found


def person_of(context: TurnContext) -> Person:
    """The user behind the activity; their UPN is asked of Teams only if a use case needs it."""
    sender = context.activity.from_property

    async def lookup_upn() -> str | None:
        if sender is None or not sender.id:
            return None
        try:
            member = await TeamsInfo.get_member(context, sender.id)
        except (HttpOperationError, ClientRequestError, TypeError, AttributeError):
            # Without the UPN the user is matched by object id only: fail closed.
            logger.warning("could not look up a member's UPN")
            return None
        found = getattr(member, "user_principal_name", None)
        return found if isinstance(found, str) and found else None

    return Person(
        teams_id=str(sender.id) if sender and sender.id else "",
        aad_object_id=sender.aad_object_id if sender else None,
        name=sender.name if sender else None,
        lookup_upn=lookup_upn,
    )


def to_activity(say: Say) -> Activity | str:
    """A message activity for one Say: its text, or its card with a notification summary.

    Its suggested next steps become imBack actions: a tap sends the value as typed text.
    """
    activity: Activity
    if say.card is None:
        if not say.suggested:
            return say.text or ""
        activity = MessageFactory.text(say.text or "")
    else:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(say.card))
        if say.summary:
            activity.summary = say.summary
    if say.suggested:
        activity.suggested_actions = SuggestedActions(
            actions=[
                CardAction(type=ActionTypes.im_back, title=s.title, value=s.value)
                for s in say.suggested
            ]
        )
    return activity


def card_message(card: dict[str, Any], summary: str | None = None) -> Activity:
    """A message carrying one Adaptive Card."""
    activity = to_activity(Say.card_of(card, summary))
    assert isinstance(activity, Activity)
    return activity


def defer_follow_ups(context: TurnContext) -> list[AfterSent]:
    """Let this turn leave follow-up work for after its response; the list it is kept in.

    Only the edge calls this, when it can run that work once the turn has answered; without
    it (dialog tests, proactive turns) `send(..., after_turn=True)` runs the work in the turn.
    """
    later: list[AfterSent] = context.turn_state.setdefault(_LATER, [])
    return later


async def send(context: TurnContext, reply: Reply, *, after_turn: bool = False) -> bool:
    """Send a reply's messages in order, then run its follow-up work; True if anything was said.

    With `after_turn` the follow-up work waits until the turn has answered, where the edge
    allows it (`defer_follow_ups`).
    """
    for say in reply.messages:
        await context.send_activity(to_activity(say))
    later: list[AfterSent] | None = context.turn_state.get(_LATER) if after_turn else None
    if later is not None:
        later.extend(reply.after)
    else:
        for after in reply.after:
            await after()
    return bool(reply.messages)


async def send_signpost(context: TurnContext, reply: Reply) -> bool:
    """Send a safety signpost and mark the turn, so a later failure does not send it twice."""
    sent = await send(context, reply)
    if sent:
        context.turn_state[_SIGNPOSTED] = True
    return sent


# Answers `status` (typed, or "Check status" pressed) in a turn: the user's referrals.
StatusResponder = Callable[[TurnContext], Awaitable[None]]


def status_responder(answers: Answers) -> StatusResponder:
    """The one answer to `status`, typed or pressed, in a dialog or outside one."""

    async def respond(context: TurnContext) -> None:
        # A typed question may name a reference ("status COV-2026-001"); a button names none.
        text = typed_text(context) or STATUS_WORD
        await send(context, await answers.case_status(person_of(context), text))

    return respond


def signposted(context: TurnContext) -> bool:
    """Whether this turn has already sent 999 or the front door."""
    return bool(context.turn_state.get(_SIGNPOSTED))
