"""Filing that can only confirm its own case: a reset counter, and a crash at every write.

The filing use case and the reminder tick over the embedded store and the in-memory fake, with
a store that "dies" at the Nth write (before or after the write lands). After each crash the
bot starts again (fresh objects over the same data) and finishes what it can; the referrer must
end up with their own case's reference, the channel with its card at most once, and nobody with
another child's case.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.partnerships import load_partnerships
from scheduler.runner import ReminderRunner
from storage.base import Collection, Store
from storage.cases import CaseRepository, DraftConflictError, DraftRepository, StoredDraft
from storage.deliveries import DeliveryLog, DeliveryState
from tests.support.cases import draft_of, make_referral
from tests.support.channels import RecordingChannel
from tests.support.fakes import FakeClock
from tests.support.stores import CrashingStore, InjectedCrashError, open_backend
from usecases.delivery import CaseAnnouncements, OnceSender
from usecases.people import Person
from usecases.referrals import BeingFiled, Filed, ReferralFiling, Released, SendBack

PARTNERSHIPS = load_partnerships(EXAMPLE_PARTNERSHIPS)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ALICE = Person(teams_id="29:alice", aad_object_id="aad-alice")
BOB = Person(teams_id="29:bob", aad_object_id="aad-bob")
REFERENCE = re.compile(r"COV-2026-\d{3}")


@pytest.fixture(params=["tinydb", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def base(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_backend(request, tmp_path)
    yield store
    await store.close()


@dataclass
class Bot:
    """One process's worth of filing and tick over a store; a restart is a new Bot."""

    store: Store
    clock: FakeClock
    channel: RecordingChannel

    def __post_init__(self) -> None:
        self.drafts = DraftRepository(self.store, ttl=timedelta(days=14))
        self.cases = CaseRepository(self.store)
        log = DeliveryLog(self.store)
        self.filing = ReferralFiling(
            partnerships=PARTNERSHIPS,
            drafts=self.drafts,
            cases=self.cases,
            announcements=CaseAnnouncements(
                announcer=self.channel,
                cases=self.cases,
                sender=OnceSender(log=log, clock=self.clock, owner=f"bot-{id(self)}"),
                clock=self.clock,
            ),
            calendars=PartnershipCalendars(),
            clock=self.clock,
        )
        self.runner = ReminderRunner(
            partnerships=PARTNERSHIPS,
            calendars=PartnershipCalendars(),
            cases=self.cases,
            log=log,
            notifier=self.channel,
            clock=self.clock,
            owner=f"tick-{id(self)}",
            announcer=self.channel,
            filing=self.filing,
        )

    async def submit(self, person: Person) -> tuple[list[str], str | None]:
        """Press Submit as the dialog would; what the user was told (references) and any note."""
        loaded = await self.drafts.load(person.key, self.clock.now())
        assert loaded is not None
        stored, etag = loaded
        if stored.filed_reference is not None:
            return [stored.filed_reference], None
        if stored.claimed:
            outcome: Any = await self.filing.recover(person, stored, etag)
        else:
            outcome = await self.filing.file(person, stored, etag)
        if isinstance(outcome, BeingFiled | SendBack | Released):
            return [], outcome.notice
        assert isinstance(outcome, Filed)
        # The edge sends the acknowledgement first, then runs what comes after it.
        self.channel.in_turn.append((person.teams_id, outcome.reference))
        for after in outcome.reply.after:
            await after()
        return [outcome.reference], None


async def _ready(store: Store, person: Person, child: str = "Jane Doe") -> None:
    # As the app does at start-up: the child index is built before any filing, so a filing's
    # writes are only its own.
    await CaseRepository(store).build_child_index()
    draft = draft_of(make_referral(child_name=child))
    await DraftRepository(store, ttl=timedelta(days=14)).save(
        person.key, StoredDraft(draft=draft, started=NOW, updated=NOW), None
    )


async def _cases(store: Store) -> list[Case]:
    return await CaseRepository(store).for_partnership("coventry")


async def test_a_reset_counter_never_confirms_another_childs_case(
    base: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock, channel = FakeClock(NOW), RecordingChannel()
    bot = Bot(base, clock, channel)
    await _ready(base, ALICE, "Jane Doe")
    assert await bot.submit(ALICE) == (["COV-2026-001"], None)
    # counters.json emptied (restored from an old copy, edited by hand): the counter restarts.
    await base.delete(Collection.COUNTERS, "COV-2026")
    await _ready(base, BOB, "Tom Smith")
    with caplog.at_level(logging.WARNING):
        told, note = await bot.submit(BOB)
    assert (told, note) == (["COV-2026-002"], None)
    cases = {case.reference: case for case in await _cases(base)}
    assert sorted(cases) == ["COV-2026-001", "COV-2026-002"]
    assert cases["COV-2026-001"].submitted_by.user_id == "29:alice"  # untouched
    assert cases["COV-2026-002"].submitted_by.user_id == "29:bob"
    assert [c.name for c in cases["COV-2026-002"].referral.children] == ["Tom Smith"]
    [anomaly] = [r for r in caplog.records if "counter anomaly" in r.getMessage()]
    assert "COV-2026-001" in anomaly.getMessage()
    for private in ("Jane", "Tom", "Smith", "Doe", "alice", "bob"):
        assert private not in anomaly.getMessage()
    # The counter was moved past the cases on file: the next filing needs no skipping.
    counter = await base.get(Collection.COUNTERS, "COV-2026")
    assert counter is not None
    assert counter.data["last"] == 2


async def test_a_counter_far_behind_is_moved_past_every_case_at_once(base: Store) -> None:
    clock, channel = FakeClock(NOW), RecordingChannel()
    bot = Bot(base, clock, channel)
    for n in range(1, 13):
        person = Person(teams_id=f"29:p{n}", aad_object_id=f"aad-p{n}")
        await _ready(base, person)
        await bot.submit(person)
    await base.delete(Collection.COUNTERS, "COV-2026")
    await _ready(base, BOB)
    assert (await bot.submit(BOB))[0] == ["COV-2026-013"]


async def test_an_interrupted_filing_whose_reference_was_taken_files_under_the_next(
    base: Store,
) -> None:
    # Bob's filing reserved COV-2026-001 and stopped; meanwhile (counter reset) Alice's case
    # was filed as COV-2026-001. Bob's recovery must not confirm Alice's case.
    clock, channel = FakeClock(NOW), RecordingChannel()
    bot = Bot(base, clock, channel)
    await _ready(base, BOB, "Tom Smith")
    drafts = DraftRepository(base, ttl=timedelta(days=14))
    loaded = await drafts.load(BOB.key, NOW)
    assert loaded is not None
    await drafts.save(
        BOB.key,
        loaded[0].model_copy(update={"filing_since": NOW, "filing_reference": "COV-2026-001"}),
        loaded[1],
    )
    await _ready(base, ALICE, "Jane Doe")
    assert (await bot.submit(ALICE))[0] == ["COV-2026-001"]
    clock.advance(minutes=3)
    told, _ = await bot.submit(BOB)
    assert told == ["COV-2026-002"]
    cases = {case.reference: case for case in await _cases(base)}
    assert cases["COV-2026-001"].submitted_by.user_id == "29:alice"
    assert cases["COV-2026-002"].submitted_by.user_id == "29:bob"


async def test_a_double_click_files_once_and_the_claim_holds_until_the_user_is_told(
    base: Store,
) -> None:
    clock, channel = FakeClock(NOW), RecordingChannel()
    bot = Bot(base, clock, channel)
    await _ready(base, ALICE)
    drafts = DraftRepository(base, ttl=timedelta(days=14))
    loaded = await drafts.load(ALICE.key, NOW)
    assert loaded is not None
    stored, etag = loaded
    first = await bot.filing.file(ALICE, stored, etag)
    assert isinstance(first, Filed)
    # The second click read the draft before the first claimed it: its claim loses, and the
    # number it took for it goes back, so the next referral is COV-2026-002 (no gap).
    with pytest.raises(DraftConflictError):
        await bot.filing.file(ALICE, stored, etag)
    counter = await base.get(Collection.COUNTERS, "COV-2026")
    assert counter is not None
    assert counter.data["last"] == 1
    claimed = await drafts.load(ALICE.key, NOW)
    assert claimed is not None
    assert claimed[0].claimed  # held, with the referral, until the acknowledgement has gone
    assert claimed[0].filing_reference == "COV-2026-001"
    for after in first.reply.after:
        await after()
    marker = await drafts.load(ALICE.key, NOW)
    assert marker is not None
    assert marker[0].filed_reference == "COV-2026-001"
    assert [c.reference for c in await _cases(base)] == ["COV-2026-001"]


# Every write of a filing and of its first channel post, in order (see usecases/referrals.py):
# the counter, the claim carrying the reference, the case; then, after the acknowledgement,
# the child index, the trail's first entry, the marker, the delivery claim, "sending", "sent",
# the post noted on the case, its audit entry.
WRITES = 11


@pytest.mark.parametrize("landed", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("crash_at", range(1, WRITES + 1))
@pytest.mark.parametrize("recovery", ["tick", "submit"])
async def test_a_crash_at_any_write_ends_with_the_referrers_own_reference_and_one_card(
    base: Store, crash_at: int, landed: bool, recovery: str
) -> None:
    clock, channel = FakeClock(NOW), RecordingChannel()
    await _ready(base, ALICE)
    crashing = CrashingStore(base)
    crashing.crash_on_put(crash_at, landed=landed)
    dying = Bot(crashing, clock, channel)
    with pytest.raises(InjectedCrashError):
        await dying.submit(ALICE)

    restarted = Bot(base, clock, channel)
    clock.advance(minutes=3)  # the claim is stale now
    if recovery == "tick":
        await restarted.runner.tick()
    else:
        await restarted.submit(ALICE)
    clock.advance(minutes=11)  # delivery claims left by the crash time out
    await restarted.runner.tick()
    await restarted.runner.tick()
    if not (await _cases(base)):
        # The crash came before the claim landed: nothing was filed and the draft is intact,
        # still unclaimed at the review; the user was told the turn failed. Submit files it.
        loaded = await restarted.drafts.load(ALICE.key, clock.now())
        assert loaded is not None
        assert not loaded[0].claimed
        assert loaded[0].draft.step.value == "review"
        await restarted.submit(ALICE)

    [case] = await _cases(base)
    given = [ref for user, ref in channel.in_turn + channel.to_users if user == "29:alice"]
    assert given, "the referrer was never given a reference"
    assert set(given) == {case.reference}  # and never another case's
    assert case.submitted_by.user_id == "29:alice"
    assert case.filing_id
    marker = await restarted.drafts.load(ALICE.key, clock.now())
    assert marker is not None
    assert marker[0].filed_reference == case.reference
    assert marker[0].draft.children == ()  # no referral details stay in the draft
    # The case card: once, or (a crash between "sending" and the post) never again and
    # listed for the digest as uncertain.
    assert channel.case_cards in ([case.reference], [])
    if not channel.case_cards:
        record = await DeliveryLog(base).get(f"post|{case.reference}")
        assert record is not None
        assert record.state is DeliveryState.UNCERTAIN
    trail = await CaseRepository(base).audit_trail(case.reference)
    assert [e["what"] for e in trail].count("referral submitted") == 1
    # And the child index names it: a later referral of the same child finds it.
    assert await CaseRepository(base).duplicates_of(case.referral) == [case.reference]


async def test_two_sweeps_at_once_finish_a_filing_once(base: Store) -> None:
    clock, channel = FakeClock(NOW), RecordingChannel()
    await _ready(base, ALICE)
    crashing = CrashingStore(base)
    crashing.crash_on_put(3)  # died before creating the case (the counter, the claim, the case)
    with pytest.raises(InjectedCrashError):
        await Bot(crashing, clock, channel).submit(ALICE)
    clock.advance(minutes=3)
    first, second = Bot(base, clock, channel), Bot(base, clock, channel)
    reports = await asyncio.gather(first.runner.tick(), second.runner.tick())
    assert sorted(r for report in reports for r in report.filed) == ["COV-2026-001"]
    assert channel.to_users == [("29:alice", "COV-2026-001")]
    assert [c.reference for c in await _cases(base)] == ["COV-2026-001"]


async def test_the_being_filed_notice_promises_only_what_the_bot_does() -> None:
    # It says the reference will be sent here, and what to do if it is not: never "a moment".
    assert "moment" not in wording.REFERRAL_BEING_FILED
    assert "press Submit again" in wording.REFERRAL_BEING_FILED
