"""Retention: preview and apply each partnership's schedule, erase one case, export one case.

What is kept and for how long is `safeguarding.partnerships.RetentionSchedule` (cases, delivery
records, per partnership) and `ConversationRetention` (what the bot knows of people); what a
case's erasure leaves is `safeguarding.retention`. Drafts keep their own time to live
(REVIEW_BOT_DRAFT_TTL_DAYS, `storage.cases.DraftRepository`), swept by the reminder tick too.

Everything goes through the Store, one document at a time, each write conditional on the
version read: a run stopped halfway is finished by the next, and a second run changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from cards.referral import told_card
from safeguarding.cases import FINISHED_STATUSES, Case, CaseStatus, Erasure
from safeguarding.clocks import Clock, london_time
from safeguarding.partnerships import Partnership, Partnerships, RetentionSchedule
from safeguarding.retention import (
    BY_SCHEDULE,
    ERASED_FIELDS,
    ERASURE_WHAT,
    CaseDue,
    cases_due,
    erased_case,
    not_seen_since,
    redacted_audit_entry,
    schedule_rule,
)
from storage.base import Collection, ConflictError, Document, StoreError
from storage.cases import CaseRepository, DraftRepository
from storage.leases import Leases
from storage.retention import RetentionRecords, dialog_state_key
from usecases.errors import NotifierError, UseCaseError
from usecases.ports import ChannelNotifier

logger = logging.getLogger(__name__)

_OPEN_STATUSES = frozenset(CaseStatus) - FINISHED_STATUSES
# Records of people: a personal chat, a group chat, a team roster's cached Teams id. Channel
# records are the partnerships' review channels, kept while the bot posts there.
_PEOPLE_KINDS = frozenset({"personal", "groupChat", "roster_member"})
# A delivery in these states is settled: no sender holds it.
_SETTLED = frozenset({"sent", "failed", "gone", "uncertain"})
_DELIVERY_MOMENTS = ("claimed_at", "sending_since", "sent_at")


class CaseNotFoundError(UseCaseError):
    """No case has this reference."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"no case {reference}")


@dataclass
class RetentionPlan:
    """What a run at `at` erases or deletes: references and counts, never names."""

    at: datetime
    # Finished cases whose period is over, to erase now; and those on hold, kept.
    cases: list[CaseDue] = field(default_factory=list)
    held: list[CaseDue] = field(default_factory=list)
    # Due, but their partnership erases only by hand (`automatic = false`): the daily job
    # leaves them for `review-bot retention --apply`.
    by_hand: list[CaseDue] = field(default_factory=list)
    # Erased cases with something left to finish (a run stopped halfway, or free text a
    # decision recorded after the erasure).
    to_finish: list[str] = field(default_factory=list)
    drafts: int = 0
    # People's records not seen for the period, by kind; and those kept all the same (the
    # referrer of an open case, a configured lead).
    conversations: Counter[str] = field(default_factory=Counter)
    conversations_kept: int = 0
    # Records with no last-seen day yet (written before it was kept): dated on apply.
    undated: int = 0
    # Delivery records to delete, by partnership.
    deliveries: Counter[str] = field(default_factory=Counter)
    # Erased cases whose posted cards still show what was erased (the daily job replaces them).
    cards_to_update: list[str] = field(default_factory=list)

    @property
    def today(self) -> date:
        """The London day the run is for."""
        return london_time(self.at).date()


@dataclass
class _Work:
    """The plan and the documents it names, read once and acted on in `apply`."""

    plan: RetentionPlan
    drafts: list[Document]
    conversations: list[Document]
    undated: list[Document]
    deliveries: list[Document]


@dataclass(frozen=True)
class Erased:
    """One case's erasure: whether this call erased it, and what it redacted besides."""

    reference: str
    erasure: Erasure
    newly: bool
    audit_entries_redacted: int
    index_entries_deleted: int


@dataclass
class RetentionReport:
    """What a run changed."""

    at: datetime
    erased: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    drafts: int = 0
    conversations: int = 0
    dated: int = 0
    deliveries: int = 0
    # Left for the next run: a record that changed while this run read it.
    skipped: int = 0
    # Erased cases whose posted cards are still to be replaced.
    cards_to_update: list[str] = field(default_factory=list)


def _day(value: Any) -> date | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return london_time(moment).date() if moment.tzinfo else moment.date()


def _last_change(data: dict[str, Any]) -> date | None:
    days = [d for d in (_day(data.get(k)) for k in _DELIVERY_MOMENTS if data.get(k)) if d]
    return max(days, default=None)


class Retention:
    """Previews and applies the retention schedules, and erases or exports one case."""

    def __init__(
        self,
        *,
        partnerships: Partnerships,
        cases: CaseRepository,
        drafts: DraftRepository,
        records: RetentionRecords,
    ) -> None:
        self._partnerships = partnerships
        self._cases = cases
        self._drafts = drafts
        self._records = records

    # --- the plan ---------------------------------------------------------------------

    async def preview(self, now: datetime) -> RetentionPlan:
        """What a run at `now` would erase and delete; nothing is changed."""
        return (await self._work(now, automatic_only=False)).plan

    async def _work(self, now: datetime, *, automatic_only: bool) -> _Work:
        plan = RetentionPlan(at=now)
        finished: list[Case] = []
        open_cases: list[Case] = []
        for partnership in self._partnerships.partnerships.values():
            done = await self._cases.in_statuses(partnership.id, FINISHED_STATUSES)
            finished.extend(done)
            open_cases.extend(await self._cases.in_statuses(partnership.id, _OPEN_STATUSES))
            schedule = partnership.retention
            for due in cases_due(done, schedule, plan.today):
                if due.held:
                    plan.held.append(due)
                elif automatic_only and not schedule.automatic:
                    plan.by_hand.append(due)
                else:
                    plan.cases.append(due)
        for case in finished:
            if case.erasure is not None and await self._left_to_finish(case):
                plan.to_finish.append(case.reference)
        for case in [*finished, *open_cases]:
            if case.erasure is not None and not case.erasure.cards_updated:
                plan.cards_to_update.append(case.reference)
        drafts = await self._drafts.expired(now)
        plan.drafts = len(drafts)
        conversations, undated = await self._people(plan, open_cases)
        deliveries = await self._deliveries(plan, {c.reference for c in finished})
        return _Work(plan, drafts, conversations, undated, deliveries)

    async def _left_to_finish(self, case: Case) -> bool:
        assert case.erasure is not None
        if erased_case(case, case.erasure) != case:
            return True
        trail = await self._records.audit_docs(case.reference)
        if not any(_is_entry_of(doc.data, case.erasure) for doc in trail):
            return True
        return any(redacted_audit_entry(doc.data) is not None for doc in trail)

    async def _people(
        self, plan: RetentionPlan, open_cases: Sequence[Case]
    ) -> tuple[list[Document], list[Document]]:
        months = self._partnerships.retention.conversation_months
        # Kept whenever last seen: whoever referred an open case (told of its decisions) and
        # every configured lead (mentioned and refreshed on cards).
        kept: set[str] = set()
        for case in open_cases:
            kept.add(case.submitted_by.user_id)
            if case.submitted_by.aad_object_id:
                kept.add(case.submitted_by.aad_object_id)
        for partnership in self._partnerships.partnerships.values():
            kept.update(lead.aad_object_id for lead in partnership.leads if lead.aad_object_id)
        due: list[Document] = []
        undated: list[Document] = []
        for doc in await self._records.all(Collection.CONVERSATIONS):
            kind = str(doc.data.get("kind"))
            if kind not in _PEOPLE_KINDS:
                continue
            seen_on = _day(doc.data.get("seen_on")) if doc.data.get("seen_on") else None
            if seen_on is None:
                undated.append(doc)
                continue
            if not not_seen_since(seen_on, months, plan.today):
                continue
            ids = {doc.data.get("user_id"), doc.data.get("user_aad_object_id")}
            if kind == "personal" and ids & kept:
                plan.conversations_kept += 1
                continue
            due.append(doc)
            plan.conversations[kind] += 1
        plan.undated = len(undated)
        return due, undated

    async def _deliveries(self, plan: RetentionPlan, finished: set[str]) -> list[Document]:
        # Claimed filings: their acknowledgement may still be sent (a crash before the draft
        # was marked filed); its record is what stops a second one.
        claimed = {stored.filing_id for stored, _ in await self._drafts.claims()}
        year, week, _ = plan.today.isocalendar()
        this_week = f"{year}-W{week:02d}"
        due: list[Document] = []
        for doc in await self._records.all(Collection.DELIVERIES):
            partnership = self._partnerships.get(str(doc.data.get("partnership_id")))
            if partnership is None or not _may_delete(doc, finished, claimed, this_week):
                continue
            changed = _last_change(doc.data)
            days = partnership.retention.delivery_days
            if changed is None or changed + timedelta(days=days) > plan.today:
                continue
            due.append(doc)
            plan.deliveries[partnership.id] += 1
        return due

    # --- applying it ------------------------------------------------------------------

    async def apply(self, now: datetime, *, automatic_only: bool = False) -> RetentionReport:
        """Erase and delete what the plan at `now` names; returns what changed.

        `automatic_only` (the daily job): a partnership whose schedule is not automatic keeps
        its due cases until someone runs `review-bot retention --apply`.
        """
        work = await self._work(now, automatic_only=automatic_only)
        report = RetentionReport(at=now)
        for due in work.plan.cases:
            schedule = self._schedule(due.partnership_id)
            erasure = Erasure(
                at=now,
                by=BY_SCHEDULE,
                rule=schedule_rule(schedule),
                reason=(
                    f"finished on {due.finished_on.isoformat()}; kept"
                    f" {schedule.closed_case_years} year(s) after"
                ),
            )
            done = await self._erase(due.reference, erasure)
            if done is not None and done.newly:
                report.erased.append(due.reference)
        report.cards_to_update = sorted({*work.plan.cards_to_update, *report.erased})
        for reference in work.plan.to_finish:
            loaded = await self._cases.get(reference)
            if loaded is not None and loaded[0].erasure is not None:
                await self._erase(reference, loaded[0].erasure)
                report.finished.append(reference)
        for doc in work.drafts:
            if await self._records.remove(Collection.STATE, doc):
                report.drafts += 1
        for doc in work.conversations:
            if await self._forget(doc):
                report.conversations += 1
            else:
                report.skipped += 1
        for doc in work.undated:
            dated = {**doc.data, "seen_on": work.plan.today.isoformat()}
            if await self._records.replace(Collection.CONVERSATIONS, doc, dated):
                report.dated += 1
        for doc in work.deliveries:
            if await self._records.remove(Collection.DELIVERIES, doc):
                report.deliveries += 1
            else:
                report.skipped += 1
        logger.info(
            "retention: %d case(s) erased, %d finished, %d draft(s), %d conversation record(s),"
            " %d delivery record(s) deleted",
            len(report.erased),
            len(report.finished),
            report.drafts,
            report.conversations,
            report.deliveries,
        )
        return report

    def _schedule(self, partnership_id: str) -> RetentionSchedule:
        partnership = self._partnerships.get(partnership_id)
        assert partnership is not None  # planned from the configured partnerships
        return partnership.retention

    async def _forget(self, doc: Document) -> bool:
        """Delete a person's record, then what only served it: dialog state, a filed marker."""
        if not await self._records.remove(Collection.CONVERSATIONS, doc):
            return False  # they came back meanwhile (or another run took it)
        data = doc.data
        conversation_id, channel_id = data.get("conversation_id"), data.get("channel_id")
        if isinstance(conversation_id, str) and isinstance(channel_id, str):
            state = await self._records.get(
                Collection.STATE, dialog_state_key(channel_id, conversation_id)
            )
            if state is not None:
                await self._records.remove(Collection.STATE, state)
        for user in (data.get("user_aad_object_id"), data.get("user_id")):
            if not isinstance(user, str) or not user:
                continue
            marker = await self._records.get(Collection.STATE, DraftRepository.key(user))
            # Only a filed marker (it names their last case, to prefill About you): a draft in
            # progress keeps its own time to live, and a claimed one is a filing under way.
            if marker is not None and marker.data.get("filed_reference"):
                await self._records.remove(Collection.STATE, marker)
        return True

    # --- one case -----------------------------------------------------------------------

    async def erase(self, reference: str, *, by: str, reason: str, now: datetime) -> Erased:
        """Erase one case's personal data now (a request, a referral made in error); audited.

        Raises CaseNotFoundError. A case erased already is left as it was erased (its record
        kept), with anything left to finish finished.
        """
        erasure = Erasure(at=now, by=by, reason=reason)
        done = await self._erase(reference, erasure)
        if done is None:
            raise CaseNotFoundError(reference)
        return done

    async def _erase(self, reference: str, erasure: Erasure) -> Erased | None:
        # Order, for a run stopped anywhere: the index entries go first (they are derived from
        # the children's details, which the case write removes); then what the audit trail
        # holds of the referral; then the case; last the audit entry, written once.
        for _ in range(5):
            loaded = await self._cases.get(reference)
            if loaded is None:
                return None
            case, etag = loaded
            unindexed = await self._cases.unindex_children(case) if case.erasure is None else 0
            redacted = await self._redact_trail(reference)
            erased = erased_case(case, erasure)
            if erased != case:
                try:
                    await self._cases.save(erased, etag)
                except ConflictError:
                    continue  # a decision landed meanwhile: erase the case as it is now
            kept = erased.erasure
            assert kept is not None
            await self._audit_once(erased, kept, redacted=redacted, unindexed=unindexed)
            if case.erasure is None:
                logger.info("case %s: personal data erased (%s)", reference, kept.by)
            return Erased(reference, kept, case.erasure is None, redacted, unindexed)
        raise ConflictError(Collection.CASES, reference, expected=None, actual=None)

    async def _redact_trail(self, reference: str) -> int:
        redacted = 0
        for doc in await self._records.audit_docs(reference):
            changed = redacted_audit_entry(doc.data)
            if changed is not None and await self._records.replace(Collection.AUDIT, doc, changed):
                redacted += 1
        return redacted

    async def _audit_once(
        self, case: Case, erasure: Erasure, *, redacted: int, unindexed: int
    ) -> None:
        trail = await self._cases.audit_trail(case.reference)
        if any(_is_entry_of(entry, erasure) for entry in trail):
            return
        detail: dict[str, Any] = {
            "reason": erasure.reason,
            "fields": list(ERASED_FIELDS),
            "children": len(case.referral.children),
            "audit_entries_redacted": redacted,
            "index_entries_deleted": unindexed,
        }
        if erasure.rule is not None:
            detail["rule"] = erasure.rule
        await self._cases.audit(
            case.reference,
            at=erasure.at,
            actor=erasure.by,
            role="retention schedule" if erasure.by == BY_SCHEDULE else "operator",
            what=ERASURE_WHAT,
            **detail,
        )

    async def export(self, reference: str, *, now: datetime) -> dict[str, Any]:
        """Everything the bot holds on one case, for a subject access request (UK GDPR Art 15).

        The case as stored, its audit trail and its delivery records. Raises CaseNotFoundError.
        """
        loaded = await self._cases.get(reference)
        if loaded is None:
            raise CaseNotFoundError(reference)
        case = loaded[0]
        deliveries = await self._records.deliveries_of(case.reference)
        return {
            "export": {
                "kind": "subject access request: one case",
                "reference": case.reference,
                "partnership_id": case.partnership_id,
                "exported_at": now.isoformat(),
                "erased": case.erasure is not None,
            },
            "case": case.model_dump(mode="json"),
            "audit": await self._cases.audit_trail(case.reference),
            "deliveries": [doc.data for doc in deliveries],
        }


def _is_entry_of(entry: dict[str, Any], erasure: Erasure) -> bool:
    return entry.get("what") == ERASURE_WHAT and entry.get("at") == erasure.at.isoformat()


def _may_delete(doc: Document, finished: set[str], claimed: set[str | None], week: str) -> bool:
    """Whether deleting this delivery record can never let its post go out a second time.

    A record is what makes a post once-only (storage/deliveries.py): deleted while its key
    can still be planned, the next tick claims the key afresh and posts again. So only:
    a settled record (no sender holds it) of a case that is finished (the planner and the
    tick never read finished cases, and a finished case never reopens); a digest of a week
    gone by (only this week's is planned); an acknowledgement whose filing no draft still
    claims. Any other record stays.
    """
    data = doc.data
    if data.get("state") not in _SETTLED:
        return False
    if doc.key.startswith("digest|"):
        return not doc.key.endswith(f"|{week}")
    if doc.key.startswith("ack|"):
        return doc.key.removeprefix("ack|") not in claimed
    return data.get("reference") in finished


# --- the daily job ------------------------------------------------------------------------

RETENTION_LEASE = "retention-daily"
# Long enough for a day's work (a few cases, a sweep of people and deliveries); a run that
# outlives it may overlap another replica's, which its conditional writes make harmless.
RETENTION_LEASE_TTL = timedelta(minutes=30)


class CardBuilder(Protocol):
    """Builds the case card as the channel shows it (usecases.decisions.CaseCards)."""

    async def card(self, case: Case, partnership: Partnership, *, for_lead: bool) -> Any:
        """The case card; `for_lead=False` is the channel's copy."""
        ...


@dataclass
class DailyReport:
    """What one daily run did, or why it did nothing."""

    ran: bool
    why_not: str | None = None
    report: RetentionReport | None = None
    cards_updated: list[str] = field(default_factory=list)


class RetentionJob:
    """The daily run: once per London day across every replica, under a lease.

    After erasing, it replaces the cards already posted for each erased case (the case card in
    the review channel, the card that told the child's home partnership) with the same cards
    drawn from the erased case: age bands where initials and ages were, and a line saying the
    details were erased. A card that cannot be replaced now is tried again the next day.
    """

    def __init__(
        self,
        *,
        retention: Retention,
        records: RetentionRecords,
        leases: Leases,
        clock: Clock,
        cases: CaseRepository,
        partnerships: Partnerships,
        cards: CardBuilder | None = None,
        notifier: ChannelNotifier | None = None,
    ) -> None:
        self._retention = retention
        self._records = records
        self._leases = leases
        self._clock = clock
        self._cases = cases
        self._partnerships = partnerships
        self._cards = cards
        self._notifier = notifier
        # Held for a whole run, so shutdown can wait for it before the store closes.
        self._busy = asyncio.Lock()

    async def drain(self) -> None:
        """Wait until no run is under way (before the store closes)."""
        async with self._busy:
            return

    async def scheduled(self) -> None:
        """The scheduler's entry: a run that fails is logged and tried at the next check."""
        try:
            await self.run()
        except (StoreError, UseCaseError) as exc:
            logger.warning("retention: daily run failed, tried again within the hour: %s", exc)

    async def run(self) -> DailyReport:
        """Apply the schedules once today (London): a replica that finds the lease held, or
        today's run done, does nothing."""
        async with self._busy:
            return await self._run()

    async def _run(self) -> DailyReport:
        now = self._clock.now()
        today = london_time(now).date()
        lease = await self._leases.take(RETENTION_LEASE, now=now, ttl=RETENTION_LEASE_TTL)
        if lease is None:
            return DailyReport(ran=False, why_not="held elsewhere")
        try:
            if await self._records.ran_on() == today:
                return DailyReport(ran=False, why_not="done today")
            report = await self._retention.apply(now, automatic_only=True)
            updated = [
                reference
                for reference in report.cards_to_update
                if await self._replace_cards(reference)
            ]
            await self._records.mark_ran(today)
            return DailyReport(ran=True, report=report, cards_updated=updated)
        finally:
            await self._leases.release(lease)

    async def _replace_cards(self, reference: str) -> bool:
        """Replace an erased case's posted cards; mark the case once they are replaced."""
        if self._cards is None or self._notifier is None:
            return False
        loaded = await self._cases.get(reference)
        if loaded is None or loaded[0].erasure is None:
            return False
        case, etag = loaded
        lead = self._partnerships.get(case.partnership_id)
        if lead is None:
            return False
        told = self._partnerships.get(case.referral.area.told_partnership_id or "")
        posts: list[tuple[Partnership, str, Callable[[], Awaitable[dict[str, Any]]]]] = []
        if case.channel_activity_id and lead.review_channel.channel_id:
            cards = self._cards

            async def channel_copy() -> dict[str, Any]:
                card: dict[str, Any] = await cards.card(case, lead, for_lead=False)
                return card

            posts.append((lead, case.channel_activity_id, channel_copy))
        if case.told_activity_id and told is not None and told.review_channel.channel_id:

            async def told_copy() -> dict[str, Any]:
                assert told is not None
                return told_card(case=case, lead=lead, told=told)

            posts.append((told, case.told_activity_id, told_copy))
        try:
            for where, activity_id, draw in posts:
                await self._notifier.update_in_review_channel(where, activity_id, await draw())
        except NotifierError as exc:
            logger.warning("case %s: erased cards not replaced yet: %s", case.reference, exc)
            return False
        marked = case.erasure.model_copy(update={"cards_updated": True}) if case.erasure else None
        try:
            await self._cases.save(case.model_copy(update={"erasure": marked}), etag)
        except ConflictError:
            return False  # replaced again tomorrow: harmless
        return True
