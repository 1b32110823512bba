"""The referral intake: a guided Adaptive Card flow that files a case and tells the subgroup.

Its diagram is `referral.mmd` beside this file. The draft lives in the store under the user,
not in the dialog stack, so it survives restarts and follows the practitioner across devices.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult, DialogTurnStatus

from cards import wording
from cards.referral import (
    cancel_confirm_card,
    resume_card,
    review_card,
    safety_card,
    safety_redirect_card,
    section_card,
)
from cards.text import escape_markdown
from dialogs import turns
from dialogs.interruptions import CardMaker, InterruptibleDialog
from dialogs.referral_forms import child_card_clash, parse_section, raw_inputs
from dialogs.submits import (
    CancelSubmit,
    ReferralSubmit,
    ResumeSubmit,
    StartReferralSubmit,
    Submit,
)
from safeguarding.calendar import PartnershipCalendars
from safeguarding.clocks import Clock, london_time
from safeguarding.frontdoor import front_doors_now
from safeguarding.leading import LeadRule
from safeguarding.partnerships import Partnerships
from safeguarding.referral import (
    SECTION_STEPS,
    Agencies,
    Area,
    Child,
    Criteria,
    Draft,
    Incident,
    Referrer,
    Step,
    pending_key,
    screen,
)
from safeguarding.referral import Actions as ActionsSection
from storage.cases import CaseRepository, DraftConflictError, DraftRepository, StoredDraft
from usecases.logs import quoted
from usecases.referrals import BeingFiled, Filed, ReferralFiling, Released, SendBack, is_stale
from usecases.safety import SafetyDesk

logger = logging.getLogger(__name__)

REFERRAL_DIALOG = "referral"
_FLOW = "referral-flow"


@dataclass(frozen=True)
class ReferralServices:
    """What the referral flow needs, injected by the composition root."""

    partnerships: Partnerships
    drafts: DraftRepository
    cases: CaseRepository
    filing: ReferralFiling
    clock: Clock
    calendars: PartnershipCalendars
    # Signposts typed text, screens free text typed into the cards (what happened, safety
    # actions) for a child at risk now, and counts the safety step's redirects. Required: a
    # referral dialog without it would let a typed emergency pass without 999.
    safety: SafetyDesk


def _key(dc: DialogContext) -> str:
    return turns.person_of(dc.context).key


@dataclass(frozen=True)
class _Turn:
    """One turn of the flow: the card's parsed submit and the draft as loaded for it."""

    dc: DialogContext
    submit: Submit | None
    stored: StoredDraft
    etag: str
    now: datetime

    async def show(self, flow: _ReferralFlow) -> None:
        """Send the card of the step the draft is at."""
        await flow._send_current(self.dc, self.stored, self.now)


class _ReferralFlow(Dialog):  # type: ignore[misc]
    """The steps of the referral, one card each, driven by the stored draft."""

    def __init__(self, services: ReferralServices) -> None:
        super().__init__(_FLOW)
        self._s = services

    # --- turn entry points -------------------------------------------------------------

    async def begin_dialog(self, dc: DialogContext, options: object = None) -> DialogTurnResult:
        """Offer to resume an unfinished draft, or start a new one at the safety question."""
        now = self._s.clock.now()
        loaded = await self._s.drafts.load(_key(dc), now)
        if isinstance(options, dict) and options.get("replay") is True:
            # A referral card pressed with no dialog running: the stored draft decides.
            if loaded is None:
                await dc.context.send_activity(wording.REFERRAL_DRAFT_GONE)
                return await dc.end_dialog()
            return await self.continue_dialog(dc)
        if loaded is not None and loaded[0].claimed:
            # A filing holds the draft: it is finished or said to be under way, never offered
            # for a restart that would throw the referral away.
            return await self._on_claimed(_Turn(dc, None, loaded[0], loaded[1], now))
        restart = isinstance(options, dict) and options.get("restart") is True
        if loaded is not None and not restart:
            stored, _ = loaded
            if stored.filed_reference is None:
                logger.info("referral: offered resume at step %s", stored.draft.step.value)
                await dc.context.send_activity(
                    turns.card_message(resume_card(stored.draft, started=stored.started))
                )
                return Dialog.end_of_turn
        await self._start_new(dc, loaded[1] if loaded else None, now)
        return Dialog.end_of_turn

    async def continue_dialog(self, dc: DialogContext) -> DialogTurnResult:
        """Handle a card submit (or a typed message) for the current step."""
        context = dc.context
        now = self._s.clock.now()
        loaded = await self._s.drafts.load(_key(dc), now)
        if loaded is None:
            await context.send_activity(wording.REFERRAL_DRAFT_GONE)
            return await dc.end_dialog()
        stored, etag = loaded
        if stored.filed_reference is not None:
            await context.send_activity(
                wording.REFERRAL_ALREADY_FILED.format(reference=stored.filed_reference)
            )
            return await dc.end_dialog()
        turn = _Turn(dc, turns.turn_submit(context), stored, etag, now)
        if stored.claimed:
            return await self._on_claimed(turn)
        try:
            return await self._route(turn)
        except DraftConflictError:
            reloaded = await self._s.drafts.load(_key(dc), now)
            if reloaded is None:
                return await dc.end_dialog()
            again, again_etag = reloaded
            if again.filed_reference is not None:
                await context.send_activity(
                    wording.REFERRAL_ALREADY_FILED.format(reference=again.filed_reference)
                )
                return await dc.end_dialog()
            if again.claimed:
                # A second click on Submit: the first one's filing holds the draft.
                return await self._on_claimed(_Turn(dc, None, again, again_etag, now))
            logger.info("referral: draft changed elsewhere, showing the current step")
            await context.send_activity(wording.REFERRAL_CHANGED_ELSEWHERE)
            await self._send_current(dc, again, now)
            return Dialog.end_of_turn

    # --- routing -------------------------------------------------------------------------

    async def _route(self, turn: _Turn) -> DialogTurnResult:
        submit, dc = turn.submit, turn.dc
        if isinstance(submit, ResumeSubmit):
            if submit.restart:
                await self._start_new(dc, turn.etag, turn.now)
            else:
                await turn.show(self)
            return Dialog.end_of_turn
        if isinstance(submit, CancelSubmit):
            if submit.confirmed:
                return await self.cancel(dc)
            await turn.show(self)
            return Dialog.end_of_turn
        if isinstance(submit, StartReferralSubmit):
            # "Start a referral" on the help card (or any card) while this one runs: one line,
            # then the card it is at, once.
            await dc.context.send_activity(wording.REFERRAL_ALREADY_IN_PROGRESS)
            await turn.show(self)
            return Dialog.end_of_turn
        if not isinstance(submit, ReferralSubmit):
            # Typed text that is not an interruption, or a card from elsewhere.
            await dc.context.send_activity(wording.REFERRAL_USE_THE_CARD)
            await turn.show(self)
            return Dialog.end_of_turn

        if submit.step == "cancel":
            await dc.context.send_activity(turns.card_message(cancel_confirm_card()))
            return Dialog.end_of_turn
        current = turn.stored.draft.step
        if submit.step == "safety" and current is Step.SAFETY:
            return await self._on_safety(turn, submit)
        if submit.step == "safety_redirect" and current is Step.SAFETY:
            return await self._on_redirect_choice(turn, submit)
        if submit.step == "review" and current is Step.REVIEW:
            if submit.back:
                return await self._on_back(turn, submit, current)
            return await self._on_review(turn, submit)
        if submit.step == current.value and current not in (Step.SAFETY, Step.REVIEW):
            if submit.back:
                return await self._on_back(turn, submit, current)
            if submit.go_to_step is not None:
                return await self._on_go_to(turn, submit, current, submit.go_to_step)
            return await self._on_section(turn, submit, current)
        logger.info(
            "referral: stale card for step %s at step %s", quoted(submit.step), current.value
        )
        await dc.context.send_activity(wording.REFERRAL_STALE_CARD)
        await turn.show(self)
        return Dialog.end_of_turn

    # --- steps ---------------------------------------------------------------------------

    async def _on_safety(self, turn: _Turn, submit: ReferralSubmit) -> DialogTurnResult:
        answer = submit.answer
        if answer is None:
            await turn.show(self)
            return Dialog.end_of_turn
        logger.info("referral: safety answer %s", answer)
        if answer in ("danger", "worry"):
            await self._s.safety.count(
                "emergency" if answer == "danger" else "individual_concern", None
            )
        draft = turn.stored.draft.model_copy(update={"safety_answer": answer})
        if answer == "incident":
            # The area comes next, also after Back to this question (its answers kept).
            draft = draft.model_copy(update={"step": Step.AREA})
        await self._save_and_show(turn, draft)
        return Dialog.end_of_turn

    async def _on_redirect_choice(self, turn: _Turn, submit: ReferralSubmit) -> DialogTurnResult:
        if submit.choice == "end":
            await self._s.drafts.discard(_key(turn.dc))
            await turn.dc.context.send_activity(wording.REFERRAL_ENDED_AFTER_REDIRECT)
            return await turn.dc.end_dialog()
        draft = turn.stored.draft.model_copy(
            update={"safety_answer": "incident", "step": Step.AREA}
        )
        await self._save_and_show(turn, draft)
        return Dialog.end_of_turn

    async def _on_section(
        self, turn: _Turn, submit: ReferralSubmit, step: Step
    ) -> DialogTurnResult:
        dc, draft, value = turn.dc, turn.stored.draft, submit.inputs
        child_index = submit.child_index
        parsed = parse_section(
            step,
            value,
            partnerships=self._s.partnerships,
            draft=draft,
            today=london_time(turn.now).date(),
            child_index=child_index,
        )
        if parsed.errors:
            logger.info("referral: step %s has %d invalid field(s)", step.value, len(parsed.errors))
            card = section_card(
                step,
                partnerships=self._s.partnerships,
                draft=draft,
                values=value,
                errors=parsed.errors,
                child_index=child_index,
                go_to=parsed.go_to,
            )
            await dc.context.send_activity(turns.card_message(card))
            return Dialog.end_of_turn
        # An empty child form once children are added means "no more children".
        no_more_children = parsed.blank and step is Step.CHILD and bool(draft.children)
        if not no_more_children:
            draft = _with_section(draft, step, parsed.section, child_index, parsed.adult_confirmed)
            logger.info("referral: step %s saved", step.value)
        # What was kept from this card at a Back is now saved (or was left blank).
        pending = dict(draft.pending)
        pending.pop(pending_key(step, child_index), None)
        draft = draft.model_copy(update={"pending": pending})
        free_text = _free_text(parsed.section)
        if free_text:
            # A child still at risk may be mentioned only here: the signpost goes out first.
            screened = await self._s.safety.screen_field(turns.person_of(dc.context), free_text)
            await turns.send_signpost(dc.context, screened)
        if isinstance(parsed.section, Referrer) and not parsed.section.lead_agreed:
            await dc.context.send_activity(wording.REFERRAL_LEAD_SHOULD_AGREE)
        if isinstance(parsed.section, Area):
            await self._say_if_lead_not_served(dc, parsed.section)
        if step is Step.CHILD and not no_more_children and submit.next == "add_child":
            draft = draft.model_copy(update={"editing_child": None})
            await self._save(turn, draft)
            card = section_card(
                Step.CHILD,
                partnerships=self._s.partnerships,
                draft=draft,
                # A new child's card left by Back comes back as it was typed.
                values=draft.pending.get(pending_key(Step.CHILD, None)),
                child_index=None,
            )
            await dc.context.send_activity(turns.card_message(card))
            return Dialog.end_of_turn
        next_step = Step.REVIEW if draft.editing else _after(step, draft)
        draft = draft.model_copy(
            update={"step": next_step, "editing": False, "editing_child": None}
        )
        await self._save_and_show(turn, draft)
        return Dialog.end_of_turn

    async def _on_back(self, turn: _Turn, submit: ReferralSubmit, step: Step) -> DialogTurnResult:
        """Back: keep what is on this card, unchecked, and show the step before it.

        From a card opened by Edit on the review, Back goes to the review.
        """
        draft = _keep_pending(turn.stored.draft, step, submit)
        if draft.editing:
            target, child = Step.REVIEW, None
        else:
            target, child = _before(draft, step, submit.child_index)
        logger.info("referral: back from %s to %s", step.value, target.value)
        draft = draft.model_copy(
            update={
                "step": target,
                "editing": draft.editing and target is not Step.REVIEW,
                "editing_child": child,
            }
        )
        await self._save_and_show(turn, draft)
        return Dialog.end_of_turn

    async def _on_go_to(
        self, turn: _Turn, submit: ReferralSubmit, step: Step, target: Step
    ) -> DialogTurnResult:
        """A clash with another card's answer: keep this card's answers and show that card."""
        draft = _keep_pending(turn.stored.draft, step, submit)
        child = submit.go_to_child if target is Step.CHILD else None
        if target is Step.CHILD and (child is None or child >= len(draft.children)):
            child = None
        logger.info("referral: from %s to %s to change a clashing answer", step.value, target)
        draft = draft.model_copy(update={"step": target, "editing_child": child})
        await self._save_and_show(turn, draft)
        return Dialog.end_of_turn

    async def _say_if_lead_not_served(self, dc: DialogContext, area: Area) -> None:
        """Harmed in an area not served here: say plainly that its local authority leads."""
        partnership = self._s.partnerships.get(area.partnership_id)
        if area.lead_rule is LeadRule.LEAD_NOT_SERVED and partnership is not None:
            await dc.context.send_activity(
                wording.REFERRAL_LEAD_NOT_SERVED.format(
                    partnership=escape_markdown(partnership.name)
                )
            )

    async def _on_review(self, turn: _Turn, submit: ReferralSubmit) -> DialogTurnResult:
        edit = submit.edit_step
        if edit is not None:
            logger.info("referral: editing %s from the review", edit.value)
            draft = turn.stored.draft.model_copy(
                update={
                    "step": edit,
                    "editing": True,
                    "editing_child": submit.child_index if edit is Step.CHILD else None,
                }
            )
            await self._save_and_show(turn, draft)
            return Dialog.end_of_turn
        if submit.submit:
            return await self._file(turn)
        await turn.show(self)
        return Dialog.end_of_turn

    async def _file(self, turn: _Turn) -> DialogTurnResult:
        dc = turn.dc
        outcome = await self._s.filing.file(turns.person_of(dc.context), turn.stored, turn.etag)
        if isinstance(outcome, SendBack):
            await dc.context.send_activity(outcome.notice)
            await self._save_and_show(turn, outcome.draft)
            return Dialog.end_of_turn
        if isinstance(outcome, BeingFiled):
            await dc.context.send_activity(outcome.notice)
            return Dialog.end_of_turn
        await turns.send(dc.context, outcome.reply, after_turn=True)
        return await dc.end_dialog(outcome.reference)

    async def _on_claimed(self, turn: _Turn) -> DialogTurnResult:
        """A filing holds the draft: say it is under way, or finish it if it was interrupted."""
        dc = turn.dc
        if not is_stale(turn.stored, turn.now):
            # The filing that holds it is running (this replica or another): it will answer.
            await dc.context.send_activity(wording.REFERRAL_BEING_FILED)
            return Dialog.end_of_turn
        outcome = await self._s.filing.recover(turns.person_of(dc.context), turn.stored, turn.etag)
        if isinstance(outcome, Filed):
            await turns.send(dc.context, outcome.reply, after_turn=True)
            return await dc.end_dialog(outcome.reference)
        await dc.context.send_activity(outcome.notice)
        if isinstance(outcome, Released):
            await self._send_current(dc, outcome.stored, turn.now)
        return Dialog.end_of_turn

    # --- helpers -------------------------------------------------------------------------

    async def resume(self, dc: DialogContext) -> DialogTurnResult:
        """Typed "refer" mid-referral: the current step, or a new referral if the draft is gone.

        A dialog whose draft is no longer kept (cancelled on another device, expired, filed)
        never asks to be told "refer" again: it starts the new referral there and then.
        """
        now = self._s.clock.now()
        loaded = await self._s.drafts.load(_key(dc), now)
        if loaded is None:
            logger.info("referral: draft gone mid-dialog, a new one started")
            await dc.context.send_activity(wording.REFERRAL_STARTED_AFRESH)
            await self._start_new(dc, None, now)
            return Dialog.end_of_turn
        stored, etag = loaded
        if stored.filed_reference is not None:
            await dc.context.send_activity(
                wording.REFERRAL_NEW_AFTER_FILED.format(reference=stored.filed_reference)
            )
            await self._start_new(dc, etag, now)
            return Dialog.end_of_turn
        if stored.claimed:
            return await self._on_claimed(_Turn(dc, None, stored, etag, now))
        await self._send_current(dc, stored, now)
        return Dialog.end_of_turn

    async def cancel(self, dc: DialogContext) -> DialogTurnResult:
        """Discard the draft and end the referral."""
        await self._s.drafts.discard(_key(dc))
        logger.info("referral: cancelled, draft discarded")
        await dc.context.send_activity(wording.REFERRAL_CANCELLED)
        return await dc.end_dialog()

    async def _start_new(self, dc: DialogContext, etag: str | None, now: datetime) -> None:
        stored = StoredDraft(draft=await self._new_draft(dc, now), started=now, updated=now)
        await self._s.drafts.save(_key(dc), stored, etag)
        logger.info("referral: new draft")
        await dc.context.send_activity(turns.card_message(safety_card()))

    async def _new_draft(self, dc: DialogContext, now: datetime) -> Draft:
        """A new draft, its About you filled from this user's last filed referral, if any.

        Only the user's own details, from the case their filed marker names (kept while any
        draft of theirs is kept), and only if that case was filed by this same Teams user.
        They go on the card as if typed, to be checked and saved; whether the safeguarding lead
        agreed is asked again, as it is about this referral.
        """
        loaded = await self._s.drafts.load(_key(dc), now)
        reference = loaded[0].filed_reference if loaded is not None else None
        found = await self._s.cases.get(reference) if reference else None
        person = turns.person_of(dc.context)
        if found is None or not found[0].submitted_by.is_user(
            person.teams_id, person.aad_object_id
        ):
            return Draft()
        referrer = found[0].referral.referrer
        kept = {
            "name": referrer.name,
            "role": referrer.role,
            "agency": referrer.agency,
            "contact": referrer.contact,
        }
        logger.info("referral: about you filled from the user's last referral")
        return Draft(pending={pending_key(Step.REFERRER): kept}, referrer_from=reference)

    async def _save(self, turn: _Turn, draft: Draft) -> str:
        updated = turn.stored.model_copy(update={"draft": draft, "updated": turn.now})
        return await self._s.drafts.save(_key(turn.dc), updated, turn.etag)

    async def _save_and_show(self, turn: _Turn, draft: Draft) -> None:
        # The next card is built while the draft is written (the write waits on the disk, or
        # the database, in its own thread); it is sent only once the draft is saved.
        saving = asyncio.ensure_future(self._save(turn, draft))
        try:
            await asyncio.sleep(0)  # let the write start before the card is built
            card = await self._card(turn.stored.model_copy(update={"draft": draft}), turn.now)
            await saving
        finally:
            if not saving.done():
                saving.cancel()  # the card could not be built: the turn fails as before
        await turn.dc.context.send_activity(turns.card_message(card))

    async def _send_current(self, dc: DialogContext, stored: StoredDraft, now: datetime) -> None:
        await dc.context.send_activity(turns.card_message(await self._card(stored, now)))

    async def _card(self, stored: StoredDraft, now: datetime) -> dict[str, Any]:
        """The card of the step the draft is at."""
        draft = stored.draft
        step = draft.step
        if step is Step.SAFETY:
            if draft.safety_answer in ("danger", "worry"):
                contacts = front_doors_now(
                    self._s.partnerships.partnerships.values(), self._s.calendars.national, now
                )
                card = safety_redirect_card(draft.safety_answer, contacts)
            else:
                card = safety_card()
        elif step is Step.REVIEW:
            card = await self._review_card(draft, now)
        else:
            child_index = (
                draft.editing_child
                if draft.editing_child is not None
                else 0
                if step is Step.CHILD and draft.children
                else None
            )
            # What was on this card at a Back is shown again, before what was saved.
            kept = draft.pending.get(pending_key(step, child_index))
            # A child's date of birth after the incident date shows on its card at once.
            errors, go_to = (
                child_card_clash(draft, child_index, kept, london_time(now).date())
                if step is Step.CHILD
                else ({}, None)
            )
            card = section_card(
                step,
                partnerships=self._s.partnerships,
                draft=draft,
                values=kept,
                errors=errors,
                child_index=child_index,
                go_to=go_to,
            )
        return card

    async def _review_card(self, draft: Draft, now: datetime) -> dict[str, Any]:
        referral = draft.to_referral()
        partnership = self._s.partnerships.get(referral.area.partnership_id)
        assert partnership is not None  # the area step only accepts configured areas
        told_id = referral.area.told_partnership_id
        told = self._s.partnerships.get(told_id) if told_id else None
        duplicates = await self._s.cases.duplicates_of(referral)
        if duplicates:
            logger.info("referral: looks like %s", ", ".join(duplicates))
        return review_card(
            draft=draft,
            referral=referral,
            screening=screen(referral),
            partnership=partnership,
            duplicates=duplicates,
            today=london_time(now).date(),
            told=told,
        )


_ORDER: tuple[Step, ...] = (Step.SAFETY, *SECTION_STEPS, Step.REVIEW)


def _after(step: Step, draft: Draft) -> Step:
    """The step after this one, or the first unanswered one if that comes sooner."""
    following = _ORDER[_ORDER.index(step) + 1]
    first = draft.next_step()
    return first if _ORDER.index(first) < _ORDER.index(following) else following


def _before(draft: Draft, step: Step, child_index: int | None) -> tuple[Step, int | None]:
    """The card before this one: the child before, the last child before the incident."""
    last = len(draft.children) - 1 if draft.children else None
    if step is Step.CHILD:
        if child_index is not None and 0 < child_index < len(draft.children):
            return Step.CHILD, child_index - 1
        if child_index is None and last is not None:
            return Step.CHILD, last  # from the form for another child to the last one added
        return Step.REFERRER, None
    previous = _ORDER[max(_ORDER.index(step) - 1, 0)]
    return previous, last if previous is Step.CHILD else None


def _keep_pending(draft: Draft, step: Step, submit: ReferralSubmit) -> Draft:
    """The draft with this card's answers kept, unchecked, for when the card is shown again."""
    if step is Step.REVIEW:
        return draft
    kept = raw_inputs(step, submit.inputs)
    pending = dict(draft.pending)
    key = pending_key(step, submit.child_index if step is Step.CHILD else None)
    if kept:
        pending[key] = kept
    else:
        pending.pop(key, None)
    return draft.model_copy(update={"pending": pending})


def _free_text(section: Any) -> str | None:
    if isinstance(section, Incident):
        return section.description
    if isinstance(section, ActionsSection):
        return section.safety_actions
    return None


def _with_section(
    draft: Draft, step: Step, section: Any, child_index: int | None, adult_confirmed: bool
) -> Draft:
    if step is Step.CHILD and isinstance(section, Child):
        children = list(draft.children)
        if child_index is not None and 0 <= child_index < len(children):
            children[child_index] = section
        else:
            children.append(section)
        return draft.model_copy(update={"children": tuple(children)})
    fields: dict[Step, tuple[str, type[Any]]] = {
        Step.AREA: ("area", Area),
        Step.REFERRER: ("referrer", Referrer),
        Step.INCIDENT: ("incident", Incident),
        Step.AGENCIES: ("agencies", Agencies),
        Step.CRITERIA: ("criteria", Criteria),
        Step.ACTIONS: ("actions", ActionsSection),
    }
    name, kind = fields[step]
    if not isinstance(section, kind):
        raise TypeError(f"{step.value} parsed into {type(section).__name__}")
    update: dict[str, Any] = {name: section}
    if step is Step.INCIDENT:
        update["adult_confirmed"] = adult_confirmed
    return draft.model_copy(update=update)


class ReferralDialog(InterruptibleDialog):
    """The referral intake, interruptible by help, cancel and the safety redirect."""

    def __init__(
        self,
        services: ReferralServices,
        *,
        help_card: CardMaker,
        status: turns.StatusResponder | None = None,
    ) -> None:
        super().__init__(
            REFERRAL_DIALOG,
            safety=self._signpost,
            help_card=help_card,
            help_note=wording.REFERRAL_HELP_NOTE,
            status=status,
        )
        self._desk = services.safety
        self._flow = _ReferralFlow(services)
        self.add_dialog(self._flow)
        self.initial_dialog_id = _FLOW

    async def _signpost(self, context: TurnContext) -> bool:
        # The turn's triage, worked out once for the turn, decides; the draft is kept.
        reply = await self._desk.signpost(
            turns.person_of(context), turns.turn_triage(context), in_referral=True
        )
        return await turns.send_signpost(context, reply)

    async def on_resume_requested(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Typed "refer" mid-referral: show the current step again (or start a new one)."""
        result: DialogTurnResult = await self._flow.resume(inner_dc)
        return result

    async def on_cancel_requested(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Typed "cancel": ask first; the draft is deleted only on Yes."""
        await inner_dc.context.send_activity(turns.card_message(cancel_confirm_card()))
        return DialogTurnResult(status=DialogTurnStatus.Waiting)
