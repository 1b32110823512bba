"""What two replicas share through the store: leases, seen activities, delivery claims.

Each runs over the embedded store and the in-memory fake, on the fake clock: only the Store's
conditional writes keep two holders apart, so any backend that keeps the contract will do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.base import Collection, Store
from storage.deliveries import CLAIM_TIMEOUT, DeliveryLog, DeliveryState
from storage.leases import Leases
from storage.seen import IN_FLIGHT, KEEP_DONE, SeenActivities, activity_key
from storage.tinydb_store import TinyDBStore
from tests.support.fakes import FakeClock
from tests.support.stores import MemoryStore
from usecases.delivery import OnceSender, Outcome

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TTL = timedelta(minutes=2)


@pytest.fixture(params=["tinydb", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store = TinyDBStore(tmp_path / "data") if request.param == "tinydb" else MemoryStore()
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
