"""The reminder tick use case: claim in the delivery log, post through the Notifier, record.

APScheduler only triggers `tick` (`scheduler/trigger.py`); everything that decides what to post
is in `scheduler/plan.py` and everything that makes it at-most-once is in `storage/deliveries.py`.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cards import wording
from cards.reminders import digest_card, reminder_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.clocks import Clock, london_time
from safeguarding.partnerships import Lead, Partnership, Partnerships
from scheduler.plan import (
    OpenMilestonesCache,
    Reminder,
    digest_due,
    plan_digest,
    plan_reminders,
)
from storage.cases import CaseRepository, DraftRepository
from storage.deliveries import Claim, DeliveryLog, DeliveryState
from usecases.errors import ConversationGoneError, DeliveryUncertainError, NotifierError
from usecases.ports import CaseAnnouncer, ChannelNotifier

logger = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    planned: int = 0
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0


_CARD_FIELDS = set(
    inspect.signature(reminder_card).parameters.keys()
    - {"mention", "for_lead", "refresh_user_ids", "notice", "status"}
)


def posting_partnerships(partnerships: Partnerships) -> dict[str, Partnership]:
    """The partnerships with a review channel to post to.

    A partnership without one has nowhere to post: nothing is claimed for it (check-config
    shows "no review channel"), rather than a failed delivery per reminder.
    """
    return {pid: p for pid, p in partnerships.partnerships.items() if p.review_channel.channel_id}


def due_reminders(
    cases: Sequence[Case],
    *,
    partnerships: Partnerships,
    calendars: PartnershipCalendars,
    now: datetime,
    cache: OpenMilestonesCache | None = None,
) -> list[Reminder]:
    """What the runner would post at `now`: the one plan for the tick and the CLI's dry run."""
    return plan_reminders(
        cases,
        partnerships=posting_partnerships(partnerships),
        calendars=calendars,
        now=now,
        cache=cache,
    )


def digest_key(partnership_id: str, iso_year: int, iso_week: int) -> str:
    """The idempotency key of a partnership's digest for one ISO week."""
    return f"digest|{partnership_id}|{iso_year}-W{iso_week:02d}"


class ReminderRunner:
    """Plans, claims, posts and records milestone reminders and weekly digests."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        calendars: PartnershipCalendars,
        cases: CaseRepository,
        log: DeliveryLog,
        notifier: ChannelNotifier,
        clock: Clock,
        owner: str,
        announcer: CaseAnnouncer | None = None,
        drafts: DraftRepository | None = None,
        refresh_ids: Callable[[Partnership], Awaitable[list[str] | None]] | None = None,
    ) -> None:
        self._partnerships = partnerships
        self._calendars = calendars
        self._cases = cases
        self._log = log
        self._notifier = notifier
        self._clock = clock
        self._owner = owner
        self._announcer = announcer
        self._drafts = drafts
        # The leads' Teams ids a reminder's refresh names (CaseCards.refresh_ids); without it
        # `userIds` is left out and Teams refreshes for everyone in a channel of up to 60.
        self._refresh_ids = refresh_ids
        # Held for a whole tick, so shutdown can wait for the tick in flight to finish.
        self._busy = asyncio.Lock()
        self._open = OpenMilestonesCache()

    async def drain(self) -> None:
        """Wait until no tick is running (before the store closes)."""
        async with self._busy:
            return

    async def _open_cases(self) -> list[Case]:
        found: list[Case] = []
        for partnership_id in self._partnerships.partnerships:
            found.extend(await self._cases.for_partnership(partnership_id))
        return found

    def plan(self, cases: Sequence[Case], now: datetime) -> list[Reminder]:
        """What is due at `now` (pure; also the CLI's dry run)."""
        return due_reminders(
            cases,
            partnerships=self._partnerships,
            calendars=self._calendars,
            now=now,
            cache=self._open,
        )

    async def tick(self) -> TickReport:
        """Post every reminder due now that no process has posted or claimed, then digests."""
        async with self._busy:
            return await self._tick()

    async def _tick(self) -> TickReport:
        now = self._clock.now()
        cases = await self._open_cases()
        report = TickReport()
        reminders = self.plan(cases, now)
        report.planned = len(reminders)
        for reminder in reminders:
            partnership = self._partnerships.get(reminder.partnership_id)
            if partnership is None:
                continue
            await self._deliver(
                key=reminder.key,
                post=self._to_channel(
                    partnership,
                    functools.partial(self._card, reminder, partnership),
                    wording.REMINDER_SUMMARY.format(
                        reference=reminder.reference,
                        milestone=wording.milestone_name(reminder.milestone),
                    ),
                ),
                details={
                    "reference": reminder.reference,
                    "partnership_id": reminder.partnership_id,
                    "kind": reminder.kind,
                    "milestone": reminder.milestone.value,
                    "due": reminder.due.isoformat(),
                    "late": reminder.late,
                },
                report=report,
            )
        await self._digests(cases, now, report)
        await self._post_missing_case_cards(cases, report)
        await self._tell_missing_home_partnerships(cases, report)
        if self._drafts is not None:
            swept = await self._drafts.sweep(now)
            if swept:
                logger.info("reminders: %d expired draft(s) deleted", swept)
        if report.sent or report.failed:
            logger.info(
                "reminders: %d planned, %d sent, %d failed, %d already handled",
                report.planned,
                len(report.sent),
                len(report.failed),
                report.skipped,
            )
        return report

    async def _post_missing_case_cards(self, cases: Sequence[Case], report: TickReport) -> None:
        """Post the case card of any case whose first post to the channel failed."""
        if self._announcer is None:
            return
        posting = posting_partnerships(self._partnerships)
        for case in cases:
            partnership = posting.get(case.partnership_id)
            if case.channel_activity_id or partnership is None:
                continue
            activity_id = await self._deliver(
                key=f"post|{case.reference}",
                post=functools.partial(self._announcer.announce_case, case, partnership),
                details={
                    "reference": case.reference,
                    "partnership_id": partnership.id,
                    "kind": "case_card",
                    "milestone": "case_card",
                    "due": case.submitted_at.date().isoformat(),
                },
                report=report,
            )
            if activity_id is not None:
                await self._cases.record_post(case.reference, activity_id, at=self._clock.now())

    async def _tell_missing_home_partnerships(
        self, cases: Sequence[Case], report: TickReport
    ) -> None:
        """Tell the child's home partnership of any case whose first card to it failed."""
        if self._announcer is None:
            return
        posting = posting_partnerships(self._partnerships)
        for case in cases:
            told_id = case.referral.area.told_partnership_id
            told = posting.get(told_id) if told_id else None
            lead = self._partnerships.get(case.partnership_id)
            if case.told_activity_id or told is None or lead is None:
                continue
            activity_id = await self._deliver(
                key=f"told|{case.reference}",
                post=functools.partial(self._announcer.tell_partnership, case, lead, told),
                details={
                    # The lead's digest lists it if it never goes: the lead must tell them.
                    "reference": case.reference,
                    "partnership_id": lead.id,
                    "kind": "told",
                    "milestone": "told",
                    "due": case.submitted_at.date().isoformat(),
                },
                report=report,
            )
            if activity_id is not None:
                await self._cases.record_told(case.reference, activity_id, at=self._clock.now())

    async def _card(self, reminder: Reminder, partnership: Partnership) -> dict[str, Any]:
        wanted = set(reminder.mention_lead_ids)
        leads: list[Lead] = [
            lead for lead in partnership.leads if (lead.aad_object_id or lead.upn) in wanted
        ]
        ids = await self._refresh_ids(partnership) if self._refresh_ids is not None else None
        # The card shows the reminder's own fields, named alike on both sides. Posted read-only:
        # a lead's copy refreshes into the one with Done and Slip (usecases/decisions.py).
        return reminder_card(
            **reminder.model_dump(include=_CARD_FIELDS),
            mention=leads,
            for_lead=False,
            refresh_user_ids=ids,
        )

    async def _deliver(
        self,
        *,
        key: str,
        post: Callable[[], Awaitable[str]],
        details: dict[str, Any],
        report: TickReport,
    ) -> str | None:
        """Claim, post and record one delivery; the activity id when it was posted now."""
        # Each claim is stamped with the moment it is made, not when the tick began: a long
        # catch-up tick must not make its own fresh claims look stale to another process.
        claim = await self._log.claim(
            key, owner=self._owner, now=self._clock.now(), details=details
        )
        if claim is None:
            report.skipped += 1
            return None
        claim = await self._log.sending(claim, self._clock.now())
        try:
            activity_id = await post()
        except NotifierError as exc:
            await self._record_failure(claim, exc)
            report.failed.append(key)
            return None
        await self._log.sent(claim, activity_id=activity_id, now=self._clock.now())
        report.sent.append(key)
        return activity_id

    def _to_channel(
        self,
        partnership: Partnership,
        card: Callable[[], Awaitable[dict[str, Any]]],
        summary: str,
    ) -> Callable[[], Awaitable[str]]:
        async def post() -> str:
            return await self._notifier.post_to_review_channel(
                partnership, await card(), summary=summary
            )

        return post

    async def _record_failure(self, claim: Claim, exc: NotifierError) -> None:
        if isinstance(exc, DeliveryUncertainError):
            state = DeliveryState.UNCERTAIN
        elif isinstance(exc, ConversationGoneError):
            state = DeliveryState.GONE
        else:
            # Not posted; this includes a team the bot has not joined yet: keep trying.
            state = DeliveryState.FAILED
        logger.warning("reminder %s not posted (%s): %s", claim.delivery.key, state.value, exc)
        await self._log.failed(claim, state=state, reason=str(exc))

    async def _digests(self, cases: Sequence[Case], now: datetime, report: TickReport) -> None:
        year, week, _ = london_time(now).isocalendar()
        due: list[Partnership] = []
        for p in posting_partnerships(self._partnerships).values():
            if not digest_due(p, now, None, calendar=self._calendars.for_partnership(p)):
                continue
            # Once this week's digest is sent (or settled), skip the planning altogether.
            existing = await self._log.get(digest_key(p.id, year, week))
            if existing is None or existing.state is DeliveryState.FAILED:
                due.append(p)
        if not due:
            return
        digests = plan_digest(
            cases,
            partnerships={p.id: p for p in due},
            calendars=self._calendars,
            now=now,
            cache=self._open,
        )
        undelivered = await self._log.in_states(
            DeliveryState.GONE, DeliveryState.UNCERTAIN, DeliveryState.FAILED
        )
        for digest in digests:
            partnership = self._partnerships.get(digest.partnership_id)
            if partnership is None:
                continue
            rows = [
                (
                    entry.reference,
                    wording.milestone_name(entry.milestone)
                    if entry.milestone
                    else wording.CASE_STATUSES.get(entry.case_status.value, "open"),
                    entry.due,
                    entry.working_days_left,
                    entry.overdue,
                )
                for entry in digest.entries
            ]
            problems = [
                (d.reference, wording.milestone_name(d.milestone), d.reason or "")
                for d in undelivered
                if d.partnership_id == partnership.id and not d.key.startswith("digest|")
            ]
            card = digest_card(
                partnership_name=partnership.name,
                week_of=digest.week_of,
                rows=rows,
                undelivered=problems,
            )
            await self._deliver(
                key=digest_key(partnership.id, digest.iso_year, digest.iso_week),
                post=self._to_channel(
                    partnership,
                    functools.partial(_ready, card),
                    wording.DIGEST_TITLE.format(partnership=partnership.name),
                ),
                details={
                    "reference": "digest",
                    "partnership_id": partnership.id,
                    "kind": "digest",
                    "milestone": "digest",
                    "due": digest.planned_on.isoformat(),
                },
                report=report,
            )


async def _ready(card: dict[str, Any]) -> dict[str, Any]:
    return card


def london_label(moment: datetime) -> str:
    """A moment as London wall-clock time, for the dry run's header."""
    return f"{london_time(moment):%Y-%m-%d %H:%M} (Europe/London)"
