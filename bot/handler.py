"""The Teams activity handler: thin, it records where it is and routes each activity."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import ConversationState, InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import DialogContext, DialogSet
from botbuilder.schema import Activity

from bot.conversations import ConversationRecord, ConversationRegistry
from bot.followups import FollowUps
from cards import wording
from cards.common import adaptive_card, submit_action, text_block
from cards.welcome import welcome_card
from dialogs import submits, turns
from dialogs.referral import REFERRAL_DIALOG, ReferralDialog
from safeguarding.cases import is_reference
from safeguarding.partnerships import Partnerships
from safeguarding.triage import Triage, TriageLabel, asks_which_referral
from usecases.answers import Answers
from usecases.decisions import DecisionDesk
from usecases.logs import quoted
from usecases.people import Person
from usecases.replies import Reply, Say
from usecases.safety import SafetyDesk, Screen
from usecases.vocabulary import Intent, intent_of

logger = logging.getLogger(__name__)


def _is_personal(context: TurnContext) -> bool:
    conversation = context.activity.conversation
    kind = conversation.conversation_type if conversation else None
    # Teams always says; an activity that does not is treated as shared, the safer side.
    return kind == "personal"


def _offer_referral() -> dict[str, Any]:
    return adaptive_card(
        [text_block(wording.OFFER_REFERRAL)],
        [submit_action(wording.START_REFERRAL, "start_referral")],
    )


def message_invoke_body(text: str) -> dict[str, Any]:
    """An Action.Execute answer that shows a sentence in place of the card (Universal Actions)."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


class ReviewBot(TeamsActivityHandler):  # type: ignore[misc]
    """Routes Teams activities; the domain, dialogs and cards do the work."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        conversations: ConversationRegistry,
        conversation_state: ConversationState,
        referral: ReferralDialog,
        safety: SafetyDesk,
        screen: Screen,
        answers: Answers,
        decisions: DecisionDesk | None = None,
        follow_ups: FollowUps | None = None,
    ) -> None:
        super().__init__()
        self._follow_ups = follow_ups
        self._partnerships = partnerships
        self._conversations = conversations
        self._conversation_state = conversation_state
        self._safety = safety
        self._screen = screen
        self._answers = answers
        self._status = turns.status_responder(answers)
        self._decisions = decisions
        self._dialogs = DialogSet(conversation_state.create_property("dialog_state"))
        self._dialogs.add(referral)

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Record the conversation, handle the activity, then save state once.

        Follow-up work the turn left (a filing's marker and case card) starts once it is done,
        even if it failed after the messages that came before that work had gone.
        """
        turns.attach_screen(turn_context, self._screen)
        later = turns.defer_follow_ups(turn_context) if self._follow_ups is not None else None
        try:
            await self._conversations.remember(turn_context.activity)
            await super().on_turn(turn_context)
            await self._conversation_state.save_changes(turn_context)
        finally:
            if self._follow_ups is not None and later:
                self._follow_ups.start(later, activity_id=turn_context.activity.id)

    def _welcome(self) -> Activity:
        card = welcome_card(list(self._partnerships.partnerships.values()))
        return turns.card_message(card, wording.WELCOME_TITLE)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Continue the active dialog, or answer a typed message or a card submit."""
        dc = await self._dialogs.create_context(turn_context)
        if dc.active_dialog is not None:
            await dc.continue_dialog()
            return
        text = turns.typed_text(turn_context)
        private = _is_personal(turn_context)
        if not text:
            submit = turns.turn_submit(turn_context)
            if not private and submit is not None and not isinstance(submit, submits.HelpSubmit):
                shared_only = (
                    wording.PERSONAL_CHAT_ONLY_STATUS
                    if isinstance(submit, submits.StatusSubmit)
                    else wording.PERSONAL_CHAT_ONLY
                )
                await turn_context.send_activity(shared_only)
                return
            await self._on_card_submit(turn_context, dc)
            return
        intent = intent_of(text)
        if intent is Intent.HELP:
            await turn_context.send_activity(self._welcome())
        elif intent is Intent.REFER:
            if private:
                await dc.begin_dialog(REFERRAL_DIALOG)
            else:
                await turn_context.send_activity(wording.PERSONAL_CHAT_ONLY)
        elif intent is Intent.STATUS:
            # Case progress carries children's details: only in the personal chat.
            if private:
                await self._status(turn_context)
            else:
                await turn_context.send_activity(wording.PERSONAL_CHAT_ONLY_STATUS)
        else:
            await self._on_typed(turn_context, text, private=private)

    async def _on_typed(self, turn_context: TurnContext, text: str, *, private: bool) -> None:
        # Safety first: 999 or the front door goes out before anything else is said.
        triage = turns.turn_triage(turn_context)
        if triage is None:
            return
        person = turns.person_of(turn_context)
        await turns.send_signpost(
            turn_context, await self._safety.signpost(person, triage, in_referral=False)
        )
        label = triage.label
        if label in (TriageLabel.EMERGENCY, TriageLabel.INDIVIDUAL_CONCERN):
            return
        if asks_which_referral(triage):
            return  # the signpost asked which referral is meant: one reply, not two
        await turns.send(turn_context, await self._answer(person, text, triage, private=private))

    async def _answer(self, person: Person, text: str, triage: Triage, *, private: bool) -> Reply:
        """What to say to a typed message once any signpost has gone."""
        label = triage.label
        if label is TriageLabel.CASE_STATUS and not private:
            # Case progress carries children's details: never in a shared chat.
            return Reply.of(wording.PERSONAL_CHAT_ONLY_STATUS)
        if label is TriageLabel.REVIEW_REFERRAL and not private:
            return Reply.of(wording.PERSONAL_CHAT_ONLY)
        if label is TriageLabel.REVIEW_REFERRAL:
            return Reply.of(Say.card_of(_offer_referral()))
        if label is TriageLabel.PROCESS_QUESTION:
            return await self._answers.process_question(person, text)
        if label is TriageLabel.CASE_STATUS:
            return await self._answers.case_status(person, text)
        if label is TriageLabel.OTHER_SERVICE:
            return await self._answers.other_service(person, triage)
        return Reply.of(wording.DID_NOT_UNDERSTAND)

    async def _on_card_submit(self, turn_context: TurnContext, dc: DialogContext) -> None:
        submit = turns.turn_submit(turn_context)
        # The model's name, never a value the client sent: logs cannot be forged from a card.
        logger.info("card submit: %s", type(submit).__name__ if submit else "(not recognised)")
        if isinstance(submit, submits.HelpSubmit):
            await turn_context.send_activity(self._welcome())
        elif isinstance(submit, submits.StartReferralSubmit):
            await dc.begin_dialog(REFERRAL_DIALOG)
        elif isinstance(submit, submits.StatusSubmit):
            await self._status(turn_context)
        elif isinstance(
            submit, submits.ReferralSubmit | submits.ResumeSubmit | submits.CancelSubmit
        ):
            # A referral card pressed after the dialog ended (or its state was lost): the
            # draft in the store decides what happens.
            await dc.begin_dialog(REFERRAL_DIALOG, {"replay": True})
        else:
            await turn_context.send_activity(wording.CARD_NOT_RECOGNISED)

    async def _greet(self, turn_context: TurnContext) -> None:
        record = await self._conversations.remember(turn_context.activity)
        if record is None or not await self._conversations.mark_greeted(record):
            return
        if record.kind == "personal":
            await turn_context.send_activity(self._welcome())
        elif record.kind == "channel":
            await turn_context.send_activity(self._channel_introduction(record))

    def _channel_introduction(self, record: ConversationRecord) -> str:
        for partnership in self._partnerships.partnerships.values():
            if record.team_id and partnership.review_channel.team_id == record.team_id:
                logger.info("added to the review team of %s", partnership.id)
                return wording.CHANNEL_INTRODUCTION.format(partnership=partnership.name)
        logger.info("added to a team that is no partnership's review channel")
        return wording.CHANNEL_UNASSIGNED

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Greet once when the bot itself joins a chat or team; other updates are ignored.

        In place of the SDK's Teams dispatch, which reads `channelData` through models that
        fail on a missing or odd one and looks members up with Teams; the bot needs neither.
        """
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = activity.members_added or []
        if bot_id and any(getattr(member, "id", None) == bot_id for member in added):
            await self._greet(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """Greet once when the app is installed in a personal chat or a team."""
        await self._greet(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Handle Action.Execute ourselves; any other invoke gets a bare 200.

        The SDK's own dispatch answers an invoke it has no handler for with HTTP 501, and parses
        the value of the Teams invokes it knows (task modules, message extensions, sign-in…)
        with models that raise on junk. The bot uses none of them, so none reaches that code.
        """
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            logger.info("ignored invoke %s", quoted(activity.name) if activity.name else "(none)")
            return InvokeResponse(status=200)
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action")
        action = action if isinstance(action, dict) else {}
        verb = action.get("verb")
        raw_data = action.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        reference = data.get("reference")
        logger.info("card action: verb=%s", quoted(verb) if verb else "(none)")
        if (
            self._decisions is None
            or not isinstance(verb, str)
            or not isinstance(reference, str)
            or not is_reference(reference)
        ):
            # Universal Actions' message response: the client shows the text in place.
            return InvokeResponse(status=200, body=message_invoke_body(wording.CARD_NOT_RECOGNISED))
        # Teams says "automatic" for a refresh it ran itself, "manual" for a press.
        manual = value.get("trigger") != "automatic"
        card = await self._decisions.handle(
            turns.person_of(turn_context), verb, data, manual=manual
        )
        return InvokeResponse(
            status=200,
            body={
                "statusCode": 200,
                "type": "application/vnd.microsoft.card.adaptive",
                "value": card,
            },
        )

    async def on_unrecognized_activity_type(self, turn_context: TurnContext) -> Any:
        """Ignore activity types the bot has no use for."""
        logger.debug("ignored activity type %s", quoted(turn_context.activity.type))
