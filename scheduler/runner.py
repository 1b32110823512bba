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
from datetime import datetime, timedelta
from typing import Any, Protocol

from cards import wording
from cards.reminders import digest_card, reminder_card
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import FINISHED_STATUSES, Case, CaseStatus
from safeguarding.clocks import Clock, london_time
from safeguarding.partnerships import Lead, Partnership, Partnerships
from scheduler.plan import (
    CaseFacts,
    Digest,
    FactsPass,
    Reminder,
    digest_due,
    digests_from_facts,
    plan_reminders,
    reminder_order,
    reminders_from_facts,
)
from storage.cases import CaseRepository
from storage.deliveries import DeliveryLog, DeliveryState
from storage.leases import Lease, Leases
from usecases.delivery import CaseAnnouncements, Delivered, OnceSender, Outcome
from usecases.ports import CaseAnnouncer, ChannelNotifier
from usecases.referrals import ReferralFiling

logger = logging.getLogger(__name__)
_OPEN_STATUSES = frozenset(CaseStatus) - FINISHED_STATUSES
# A tick's loop over thousands of reminders already posted lets other turns in this often.
_YIELD_EVERY = 50
# A tick renews its lease this often while it reads changed cases.
_LEASE_EVERY = 100
# The cases planned at once: a few milliseconds on the event loop, even at a first tick.
_PLAN_SLICE = 250


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    planned: int = 0
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    # Another replica held the tick's lease: this one did nothing.
    held_elsewhere: bool = False
    # References of interrupted filings finished, their referrers sent the acknowledgement.
    filed: list[str] = field(default_factory=list)
    # Open cases read: those new or changed since the last tick (all of them at the first).
    read: int = 0


# The lease that lets one replica at a time tick; renewed while a long tick runs.
TICK_LEASE = "reminder-tick"
LEASE_TTL = timedelta(minutes=2)


class TickLeaseLostError(Exception):
    """The tick's lease expired and another replica took it: this tick stops where it is."""

    def __init__(self) -> None:
        super().__init__("the reminder tick's lease was taken by another replica")


class TickJob(Protocol):
    """Another once-only job the tick runs under its lease, after the reminders (issue 20)."""

    async def run(self, now: datetime, sender: OnceSender) -> list[Delivered]:
        """Post what is due at `now` through `sender`; return each delivery's outcome."""
        ...


class Sweep(Protocol):
    """Housekeeping the tick runs: delete what has expired (drafts, seen activities)."""

    async def sweep(self, now: datetime) -> int:
        """Delete expired records; return how many."""
        ...


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
) -> list[Reminder]:
    """What the runner would post at `now`: the one plan for the tick and the CLI's dry run."""
    return plan_reminders(
        cases,
        partnerships=posting_partnerships(partnerships),
        calendars=calendars,
        now=now,
    )


@dataclass(frozen=True, slots=True)
class _Known:
    """What a runner keeps of an open case between ticks: what planning needs, not the case."""

    etag: str
    facts: CaseFacts
    # Its first card to the review channel, or to the child's home partnership, is not out.
    cards_due: bool


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
        sweeps: Sequence[Sweep] = (),
        refresh_ids: Callable[[Partnership], Awaitable[list[str] | None]] | None = None,
        leases: Leases | None = None,
        filing: ReferralFiling | None = None,
        jobs: Sequence[TickJob] = (),
    ) -> None:
        self._partnerships = partnerships
        self._calendars = calendars
        self._cases = cases
        self._log = log
        self._notifier = notifier
        self._clock = clock
        self._sender = OnceSender(log=log, clock=clock, owner=owner)
        self._announcements = (
            CaseAnnouncements(announcer=announcer, cases=cases, sender=self._sender, clock=clock)
            if announcer is not None
            else None
        )
        self._sweeps = tuple(sweeps)
        # Without leases (one process, the CLI, tests) every tick runs; the claims still hold.
        self._leases = leases
        self._lease: Lease | None = None
        # Finishes filings a crash interrupted; their referrers are told here.
        self._filing = filing
        # The leads' Teams ids a reminder's refresh names (CaseCards.refresh_ids); without it
        # `userIds` is left out and Teams refreshes for everyone in a channel of up to 60.
        self._refresh_ids = refresh_ids
        # Held for a whole tick, so shutdown can wait for the tick in flight to finish.
        self._busy = asyncio.Lock()
        # The monthly report card (scheduler/monthly.py): run after the reminders, lease held.
        self._jobs = tuple(jobs)
        # Each open case as last read, by reference: a tick reads only those whose e-tag moved.
        self._known: dict[str, _Known] = {}
        # Per open case, the reminder keys found posted or settled for good: never asked again.
        self._settled: dict[str, set[str]] = {}

    def forget(self) -> None:
        """Drop what is kept of the cases between ticks, as a restart does: the next tick
        reads every open case and asks the delivery log of every reminder again."""
        self._known.clear()
        self._settled.clear()

    async def drain(self) -> None:
        """Wait until no tick is running (before the store closes)."""
        async with self._busy:
            return

    async def _read_changes(self, now: datetime, report: TickReport) -> None:
        """Bring what is kept of each open case up to date, reading only what changed."""
        # Closed and published cases have nothing left to remind of: they are not even listed,
        # so a tick costs what the open cases cost, however many finished ones are kept.
        listed: dict[str, str] = {}
        for partnership_id in self._partnerships.partnerships:
            listed.update(await self._cases.versions_in_statuses(partnership_id, _OPEN_STATUSES))
        for reference in self._known.keys() - listed.keys():
            del self._known[reference]  # finished or gone since
            self._settled.pop(reference, None)
        changed = [
            reference
            for reference, etag in listed.items()
            if (known := self._known.get(reference)) is None or known.etag != etag
        ]
        del listed
        report.read = len(changed)
        learning = FactsPass(
            partnerships=posting_partnerships(self._partnerships),
            calendars=self._calendars,
            now=now,
        )
        # One case at a time, each let go before the next is read: a whole case is only ever
        # in memory for the millisecond or two its deadlines take to work out, on the event
        # loop, which other turns get between two cases. Thousands of cases held at once
        # would be promoted to the collector's oldest generation as turns ran in between,
        # setting off full collections that hold every turn for a tenth of a second or more.
        number = 0
        async for case, etag in self._cases.each_version(changed):
            if number % _LEASE_EVERY == 0:
                await self._hold_lease()
            number += 1
            self._known[case.reference] = _Known(
                etag=etag, facts=learning.facts(case), cards_due=_cards_due(case)
            )
            # A read served from the store's memory does not wait: let other turns in anyway.
            await asyncio.sleep(0)

    def plan(self, cases: Sequence[Case], now: datetime) -> list[Reminder]:
        """What is due at `now` (pure; also the CLI's dry run)."""
        return due_reminders(
            cases, partnerships=self._partnerships, calendars=self._calendars, now=now
        )

    async def _plan_known(self, facts: Sequence[CaseFacts], now: datetime) -> list[Reminder]:
        # A slice of cases at a time on the event loop, other turns let in between. In a
        # thread, the thousands of reminders of a first tick would hold the interpreter's
        # lock for a few tenths of a second, and each of another turn's steps would wait
        # for it in turn.
        posting = posting_partnerships(self._partnerships)
        planned: list[Reminder] = []
        for start in range(0, len(facts), _PLAN_SLICE):
            planned.extend(
                reminders_from_facts(
                    facts[start : start + _PLAN_SLICE],
                    partnerships=posting,
                    calendars=self._calendars,
                    now=now,
                    settled=self._settled,
                )
            )
            await asyncio.sleep(0)
        planned.sort(key=reminder_order)
        return planned

    async def tick(self) -> TickReport:
        """Post every reminder due now that no process has posted or claimed, then digests.

        One replica at a time: a tick that finds the lease held elsewhere does nothing.
        """
        async with self._busy:
            now = self._clock.now()
            if self._leases is not None:
                self._lease = await self._leases.take(TICK_LEASE, now=now, ttl=LEASE_TTL)
                if self._lease is None:
                    logger.debug("reminders: another replica is ticking")
                    return TickReport(held_elsewhere=True)
            report = TickReport()
            try:
                await self._tick(report)
            except TickLeaseLostError:
                logger.warning("reminders: tick stopped, its lease was taken by another replica")
            finally:
                if self._lease is not None and self._leases is not None:
                    await self._leases.release(self._lease)
                self._lease = None
            return report

    async def finish_filings(self) -> TickReport:
        """Finish filings a crash interrupted and tell their referrers (run at start-up)."""
        async with self._busy:
            report = TickReport()
            await self._finish_filings(report)
            return report

    async def _hold_lease(self) -> None:
        """Renew the lease once half of it has gone; raise when another replica took it."""
        if self._lease is None or self._leases is None:
            return
        now = self._clock.now()
        if self._lease.expires - now > LEASE_TTL / 2:
            return
        renewed = await self._leases.renew(self._lease, now=now, ttl=LEASE_TTL)
        if renewed is None:
            self._lease = None
            raise TickLeaseLostError()
        self._lease = renewed

    async def _finish_filings(self, report: TickReport) -> None:
        if self._filing is None:
            return
        for filed in await self._filing.finish_interrupted():
            await self._hold_lease()
            say = filed.acknowledgement
            card = say.card
            if card is None:
                continue  # the acknowledgement is always a card: there is nothing else to send
            done = await self._sender.deliver(
                f"ack|{filed.filing_id}",
                functools.partial(
                    self._notifier.send_to_user_id, filed.user_id, card, summary=say.summary
                ),
                {
                    "reference": filed.reference,
                    "partnership_id": filed.partnership_id,
                    "kind": "acknowledgement",
                    "milestone": "acknowledgement",
                    "due": london_time(self._clock.now()).date().isoformat(),
                },
            )
            self._count(report, done)
            if done.outcome is Outcome.FAILED:
                # Not sent: the claim stays, so the next sweep takes it over and tries again.
                continue
            for after in filed.reply.after:
                await after()
            report.filed.append(filed.reference)

    async def _tick(self, report: TickReport) -> None:
        await self._finish_filings(report)
        await self._tick_cases(report)
        for job in self._jobs:
            await self._hold_lease()
            for done in await job.run(self._clock.now(), self._sender):
                self._count(report, done)

    async def _tick_cases(self, report: TickReport) -> None:
        now = self._clock.now()
        await self._read_changes(now, report)
        known = list(self._known.values())
        facts = [k.facts for k in known]
        # Reminders found posted by an earlier tick are not planned again, so a steady tick
        # plans only what is new.
        reminders = await self._plan_known(facts, now)
        digests = await self._plan_digests(facts, now)
        cards_due = [k.facts.reference for k in known if k.cards_due]
        del known, facts
        report.planned = len(reminders)
        for number, reminder in enumerate(reminders):
            if number % _YIELD_EVERY == 0:
                # Most reminders were posted by an earlier tick, and checking one reads only
                # memory, so nothing here waits: let other turns in now and then.
                await asyncio.sleep(0)
            partnership = self._partnerships.get(reminder.partnership_id)
            if partnership is None:
                continue
            done = await self._deliver(
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
            if done.settled:
                self._settled.setdefault(reminder.reference, set()).add(reminder.key)
        del reminders
        await self._post_digests(digests, report)
        await self._post_missing_cards(cards_due, report)
        for sweep in self._sweeps:
            swept = await sweep.sweep(now)
            if swept:
                logger.info("reminders: %d expired record(s) deleted", swept)
        if report.sent or report.failed:
            logger.info(
                "reminders: %d planned, %d sent, %d failed, %d already handled",
                report.planned,
                len(report.sent),
                len(report.failed),
                report.skipped,
            )

    async def _post_missing_cards(self, references: Sequence[str], report: TickReport) -> None:
        """Post the first cards of the cases whose first posts failed, each read afresh (a
        case's card shows it as it is now)."""
        if self._announcements is None:
            return
        async for case, _ in self._cases.each_version(references):
            await self._post_missing_case_cards([case], report)
            await self._tell_missing_home_partnerships([case], report)

    async def _post_missing_case_cards(self, cases: Sequence[Case], report: TickReport) -> None:
        """Post the case card of any case whose first post to the channel failed."""
        if self._announcements is None:
            return
        posting = posting_partnerships(self._partnerships)
        for case in cases:
            partnership = posting.get(case.partnership_id)
            if case.channel_activity_id or partnership is None:
                continue
            await self._hold_lease()
            self._count(report, await self._announcements.post_case_card(case, partnership))

    async def _tell_missing_home_partnerships(
        self, cases: Sequence[Case], report: TickReport
    ) -> None:
        """Tell the child's home partnership of any case whose first card to it failed."""
        if self._announcements is None:
            return
        posting = posting_partnerships(self._partnerships)
        for case in cases:
            told_id = case.referral.area.told_partnership_id
            told = posting.get(told_id) if told_id else None
            lead = self._partnerships.get(case.partnership_id)
            if case.told_activity_id or told is None or lead is None:
                continue
            await self._hold_lease()
            self._count(report, await self._announcements.tell_home_partnership(case, lead, told))

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
    ) -> Delivered:
        """Claim, post and record one delivery."""
        await self._hold_lease()
        done = await self._sender.deliver(key, post, details)
        self._count(report, done)
        return done

    @staticmethod
    def _count(report: TickReport, done: Delivered) -> None:
        if done.outcome is Outcome.SENT:
            report.sent.append(done.key)
        elif done.outcome is Outcome.FAILED:
            report.failed.append(done.key)
        else:
            report.skipped += 1

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

    async def _plan_digests(self, facts: Sequence[CaseFacts], now: datetime) -> list[Digest]:
        """This week's digests not yet sent, planned (nothing is posted here)."""
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
            return []
        # Every open case's row, built in a thread as the plan is.
        return await asyncio.to_thread(
            digests_from_facts,
            facts,
            partnerships={p.id: p for p in due},
            calendars=self._calendars,
            now=now,
        )

    async def _post_digests(self, digests: Sequence[Digest], report: TickReport) -> None:
        """Post planned digests, with what could not be delivered so far."""
        if not digests:
            return
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


def _cards_due(case: Case) -> bool:
    """Whether a case's first card to its review channel, or to the child's home partnership,
    has not gone out (its first post failed): the tick posts it."""
    told = case.referral.area.told_partnership_id
    return not case.channel_activity_id or bool(told and not case.told_activity_id)


async def _ready(card: dict[str, Any]) -> dict[str, Any]:
    return card


def london_label(moment: datetime) -> str:
    """A moment as London wall-clock time, for the dry run's header."""
    return f"{london_time(moment):%Y-%m-%d %H:%M} (Europe/London)"
