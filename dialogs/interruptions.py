"""Interruptions that work from any step of any dialog: help, cancel, status and the safety
redirect, typed or (help, status) pressed on a card from outside the dialog."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import ComponentDialog, DialogContext, DialogTurnResult, DialogTurnStatus

from cards import wording
from dialogs.submits import HelpSubmit, StatusSubmit
from dialogs.turns import StatusResponder, card_message, turn_submit, typed_text
from usecases.vocabulary import Intent, intent_of

logger = logging.getLogger(__name__)

# Answers a turn whose typed text needs a safety signpost; True when it answered.
SafetyResponder = Callable[[TurnContext], Awaitable[bool]]
CardMaker = Callable[[], dict[str, Any]]


class InterruptibleDialog(ComponentDialog):  # type: ignore[misc]
    """A ComponentDialog whose every turn is first checked for help, cancel and safety."""

    def __init__(
        self,
        dialog_id: str,
        *,
        safety: SafetyResponder,
        help_card: CardMaker,
        help_note: str,
        status: StatusResponder | None = None,
    ) -> None:
        super().__init__(dialog_id)
        self._safety = safety
        self._help_card = help_card
        self._help_note = help_note
        self._status = status

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Handle an interruption, or let the active step handle the turn."""
        interrupted = await self.interrupt(inner_dc)
        if interrupted is not None:
            return interrupted
        result: DialogTurnResult = await super().on_continue_dialog(inner_dc)
        return result

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        """Answer help, cancel, status or a safety concern without losing the dialog's place."""
        text = typed_text(inner_dc.context)
        if text is None:
            # The help card's Help and the acknowledgement's Check status, pressed mid-dialog.
            submit = turn_submit(inner_dc.context)
            if isinstance(submit, HelpSubmit):
                return await self._help(inner_dc)
            if isinstance(submit, StatusSubmit) and self._status is not None:
                return await self._status_reply(inner_dc)
            return None
        intent = intent_of(text)
        if intent is Intent.HELP:
            return await self._help(inner_dc)
        if intent is Intent.STATUS and self._status is not None:
            return await self._status_reply(inner_dc)
        if intent is Intent.CANCEL:
            logger.info("interruption: cancel")
            return await self.on_cancel_requested(inner_dc)
        if intent in (Intent.REFER, Intent.RESUME):
            logger.info("interruption: resume")
            return await self.on_resume_requested(inner_dc)
        if await self._safety(inner_dc.context):
            logger.info("interruption: safety signpost")
            return DialogTurnResult(status=DialogTurnStatus.Waiting)
        return None

    async def _help(self, inner_dc: DialogContext) -> DialogTurnResult:
        logger.info("interruption: help")
        await inner_dc.context.send_activity(card_message(self._help_card()))
        await inner_dc.context.send_activity(self._help_note)
        return DialogTurnResult(status=DialogTurnStatus.Waiting)

    async def _status_reply(self, inner_dc: DialogContext) -> DialogTurnResult:
        assert self._status is not None  # checked by the caller
        logger.info("interruption: status")
        await self._status(inner_dc.context)
        # Asked mid-referral: the filed ones are listed, and the one in progress is not lost.
        await inner_dc.context.send_activity(wording.STATUS_DRAFT_KEPT)
        return DialogTurnResult(status=DialogTurnStatus.Waiting)

    async def on_resume_requested(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Override to show where the dialog is; by default the step handles the text."""
        result: DialogTurnResult = await super().on_continue_dialog(inner_dc)
        return result

    async def on_cancel_requested(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Override to confirm before cancelling; by default cancel at once."""
        await inner_dc.cancel_all_dialogs()
        return DialogTurnResult(status=DialogTurnStatus.Cancelled)
