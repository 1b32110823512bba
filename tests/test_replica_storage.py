"""What two replicas share through the store: leases, seen activities, delivery claims.

Each runs over the embedded store and the in-memory fake, on the fake clock: only the Store's
conditional writes keep two holders apart, so any backend that keeps the contract will do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from safeguarding.calendar import PartnershipCalendars
from safeguarding.partnerships import load_partnerships
from scheduler.runner import ReminderRunner
from storage.base import Collection, Store
from storage.cases import CaseRepository
from storage.deliveries import CLAIM_TIMEOUT, DeliveryLog, DeliveryState
from storage.leases import Leases
from storage.seen import IN_FLIGHT, KEEP_DONE, SeenActivities, activity_key
from tests.support.cases import make_case, make_referral
from tests.support.channels import RecordingChannel
from tests.support.fakes import FakeClock
from tests.support.stores import open_backend
from usecases.delivery import OnceSender, Outcome

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PARTNERSHIPS = load_partnerships(EXAMPLE_PARTNERSHIPS)
TTL = timedelta(minutes=2)
# Each channel post in the tick tests takes this long: a connector backing off.
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["tinydb", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_backend(request, tmp_path)
    yield opened
    await opened.close()


# --- leases ----------------------------------------------------------------------------------


async def test_one_holder_at_a_time(store: Store) -> None:
    a, b = Leases(store, holder="replica-a"), Leases(store, holder="replica-b")
    taken = await asyncio.gather(
        a.take("reminder-tick", now=NOW, ttl=TTL), b.take("reminder-tick", now=NOW, ttl=TTL)
    )
    assert sum(lease is not None for lease in taken) == 1


async def test_a_released_lease_can_be_taken_by_another(store: Store) -> None:
    a, b = Leases(store, holder="replica-a"), Leases(store, holder="replica-b")
    lease = await a.take("reminder-tick", now=NOW, ttl=TTL)
    assert lease is not None
    assert await b.take("reminder-tick", now=NOW, ttl=TTL) is None
    await a.release(lease)
    assert await b.take("reminder-tick", now=NOW, ttl=TTL) is not None


async def test_a_dead_holders_lease_is_taken_over_once_it_expires(store: Store) -> None:
    a, b = Leases(store, holder="replica-a"), Leases(store, holder="replica-b")
    lease = await a.take("reminder-tick", now=NOW, ttl=TTL)
    assert lease is not None
    # replica-a is killed: it never renews or releases.
    assert await b.take("reminder-tick", now=NOW + TTL - timedelta(seconds=1), ttl=TTL) is None
    taken = await b.take("reminder-tick", now=NOW + TTL, ttl=TTL)
    assert taken is not None
    # Had replica-a only stalled, its renewal now fails: it knows it lost the lease.
    assert await a.renew(lease, now=NOW + TTL, ttl=TTL) is None
    # And its late release leaves replica-b's lease standing.
    await a.release(lease)
    doc = await store.get(Collection.LOCKS, "reminder-tick")
    assert doc is not None
    assert doc.data["holder"] == "replica-b"


async def test_renewing_keeps_the_lease(store: Store) -> None:
    a, b = Leases(store, holder="replica-a"), Leases(store, holder="replica-b")
    lease = await a.take("reminder-tick", now=NOW, ttl=TTL)
    assert lease is not None
    renewed = await a.renew(lease, now=NOW + timedelta(minutes=1), ttl=TTL)
    assert renewed is not None
    assert renewed.expires == NOW + timedelta(minutes=3)
    assert await b.take("reminder-tick", now=NOW + timedelta(minutes=2), ttl=TTL) is None


# --- seen activities -------------------------------------------------------------------------

KEY = activity_key("msteams", "a:personal-29:user-1", "act-1")


async def test_an_activity_is_run_by_one_delivery_only(store: Store) -> None:
    first, second = SeenActivities(store), SeenActivities(store)
    held = await asyncio.gather(first.begin(KEY, now=NOW), second.begin(KEY, now=NOW))
    assert sum(h is not None for h in held) == 1


async def test_a_redelivery_of_a_quick_turn_is_dropped_at_one_write(store: Store) -> None:
    seen = SeenActivities(store)
    held = await seen.begin(KEY, now=NOW)
    assert held is not None
    await seen.done(held, now=NOW + timedelta(seconds=1))  # answered: Teams will not retry
    doc = await store.get(Collection.SEEN, KEY)
    assert doc is not None
    assert doc.etag == held.etag  # nothing more written for a quick turn
    assert await seen.begin(KEY, now=NOW + timedelta(seconds=16)) is None


async def test_a_slow_turns_record_is_kept_so_every_retry_is_dropped(store: Store) -> None:
    seen = SeenActivities(store)
    held = await seen.begin(KEY, now=NOW)
    assert held is not None
    await seen.done(held, now=NOW + timedelta(seconds=20))  # Teams retried meanwhile
    # Teams may retry more than once, later than the in-flight window: still dropped.
    assert await seen.begin(KEY, now=NOW + IN_FLIGHT + timedelta(seconds=15)) is None
    assert await seen.begin(KEY, now=NOW + timedelta(seconds=20) + KEEP_DONE) is not None


async def test_a_turn_whose_replica_died_is_run_by_the_next_delivery(store: Store) -> None:
    seen = SeenActivities(store)
    assert await seen.begin(KEY, now=NOW) is not None  # replica-a is killed mid-turn
    assert await seen.begin(KEY, now=NOW + timedelta(seconds=15)) is None  # still in flight
    again = await seen.begin(KEY, now=NOW + IN_FLIGHT)
    assert again is not None  # the redelivery after that runs the turn
    assert await seen.begin(KEY, now=NOW + IN_FLIGHT) is None  # once


async def test_the_sweep_deletes_only_expired_records(store: Store) -> None:
    seen = SeenActivities(store)
    old = await seen.begin(KEY, now=NOW)
    assert old is not None
    recent = activity_key("msteams", "a:personal-29:user-1", "act-2")
    assert await seen.begin(recent, now=NOW + KEEP_DONE) is not None
    assert await seen.sweep(NOW + KEEP_DONE + timedelta(seconds=1)) == 1
    assert [d.key for d in await store.list(Collection.SEEN)] == [recent]


def test_ids_with_characters_a_key_cannot_hold_are_hashed() -> None:
    key = activity_key("msteams", "19:abc@thread.tacv2;messageid=1", "1 2#3")
    assert key.startswith("seen:sha256:")
    assert activity_key("msteams", "a", "1") != activity_key("msteams", "a", "2")


# --- delivery claims across processes ---------------------------------------------------------


async def test_a_claim_taken_over_while_its_owner_was_slow_is_not_posted_by_it(
    store: Store,
) -> None:
    clock = FakeClock(NOW)
    log = DeliveryLog(store)
    posted: list[str] = []
    details = {
        "reference": "COV-2026-001",
        "partnership_id": "coventry",
        "kind": "lead_time",
        "milestone": "sin",
        "due": "2026-11-25",
    }
    # Replica A claims, then stalls before it marks the send (a long pause, a slow store).
    slow = await log.claim("sin|COV-2026-001", owner="replica-a", now=clock.now(), details=details)
    assert slow is not None
    clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 1)

    async def post() -> str:
        posted.append("B")
        return "activity-1"

    done = await OnceSender(log=log, clock=clock, owner="replica-b").deliver(
        "sin|COV-2026-001", post, details
    )
    assert done.outcome is Outcome.SENT
    # Replica A wakes up: its claim is no longer the record, so it must not post.
    assert await log.sending(slow, clock.now()) is None
    assert posted == ["B"]
    record = await log.get("sin|COV-2026-001")
    assert record is not None
    assert record.state is DeliveryState.SENT
    assert record.owner == "replica-b"


# --- the tick's lease while a tick runs ------------------------------------------------------


def _runner(
    store: Store, clock: FakeClock, channel: RecordingChannel, holder: str
) -> ReminderRunner:
    return ReminderRunner(
        partnerships=PARTNERSHIPS,
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=DeliveryLog(store),
        notifier=channel,
        clock=clock,
        owner=holder,
        leases=Leases(store, holder=holder),
    )


async def _due(store: Store) -> datetime:
    # LA aware Wed 23 Dec 2026: the SIN is due Mon 4 Jan 2027; on Wed 30 Dec, 2 working days.
    case = make_case(
        make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23)),
        submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC),
    )
    await CaseRepository(store).create(case.model_copy(update={"channel_activity_id": "x"}))
    return datetime(2026, 12, 30, 9, 30, tzinfo=UTC)


async def test_a_long_tick_renews_its_lease_so_no_other_replica_ticks_meanwhile(
    store: Store,
) -> None:
    clock = FakeClock(await _due(store))
    other = _runner(store, clock, RecordingChannel(clock, MINUTE), "replica-b")
    held: list[bool] = []

    async def meanwhile() -> None:
        held.append((await other.tick()).held_elsewhere)

    channel = RecordingChannel(clock, MINUTE, meanwhile)
    report = await _runner(store, clock, channel, "replica-a").tick()
    assert len(report.sent) >= 2  # minutes of fake time went by inside one tick
    assert held  # replica-b tried, after every post...
    assert all(held)  # ...and never ticked while replica-a's tick ran


async def test_a_tick_that_lost_its_lease_stops_and_the_new_holder_posts_the_rest(
    store: Store,
) -> None:
    clock = FakeClock(await _due(store))
    thief = Leases(store, holder="replica-b")

    async def stalled() -> None:
        # replica-a stalls for longer than its lease; replica-b takes the expired lease.
        clock.advance(minutes=3)
        assert await thief.take("reminder-tick", now=clock.now(), ttl=TTL) is not None

    first = RecordingChannel(clock, MINUTE, stalled)
    report = await _runner(store, clock, first, "replica-a").tick()
    assert len(report.sent) == 1  # it stopped at its next renewal
    planned = report.planned
    await store.delete(Collection.LOCKS, "reminder-tick")  # replica-b's tick has ended
    second = RecordingChannel(clock, MINUTE)
    rest = await _runner(store, clock, second, "replica-b").tick()
    posted = first.posts + second.posts
    assert len(posted) == len(set(posted))  # nothing posted twice
    assert len([key for key in report.sent + rest.sent if not key.startswith("digest|")]) == (
        planned
    )
