"""A reminder tick reads only the open cases that changed since the last tick, one at a time,
and never asks the delivery log again of a reminder it found posted; what it posts is the same."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, CaseStatus
from safeguarding.partnerships import Partnership, load_partnerships
from scheduler.runner import ReminderRunner, TickReport
from storage import tinydb_store
from storage.base import Collection, Document, Store
from storage.cases import CaseRepository
from storage.deliveries import DeliveryLog
from storage.encrypted import EncryptedStore
from storage.tinydb_store import TinyDBStore
from tests.support.cases import make_case, make_referral
from tests.support.fakes import FakeClock
from tests.support.keys import keyring
from tests.support.stores import ForwardingStore, open_backend

# The SIN of every case below is due Mon 4 Jan 2027 (LA aware Wed 23 Dec 2026).
TWO_DAYS_BEFORE = datetime(2026, 12, 30, 9, 30, tzinfo=UTC)
OVERDUE_DAY = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
OPEN = 12


class CountingStore(ForwardingStore):
    """Another store, counting the case documents and delivery records it hands out."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.cases_read = 0
        self.deliveries_asked: list[str] = []
        # Store calls under way at once, and the most there ever were.
        self.in_flight = 0
        self.most_in_flight = 0

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            yield
        finally:
            self.in_flight -= 1

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The inner store's document, counted."""
        doc = await super().get(collection, key)
        if collection is Collection.CASES and doc is not None:
            self.cases_read += 1
        if collection is Collection.DELIVERIES:
            self.deliveries_asked.append(key)
        return doc

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """The inner store's listing, its case documents counted."""
        docs = await super().list(collection, where=where, prefix=prefix)
        if collection is Collection.CASES:
            self.cases_read += len(docs)
        return docs


class Channel:
    """Stands in for the Notifier: every post to a review channel, by card title."""

    def __init__(self) -> None:
        self.posts: list[str] = []

    async def post_to_review_channel(
        self, partnership: Partnership, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Record the post; let other tasks run, as a real request does."""
        await asyncio.sleep(0)
        self.posts.append(str(card["body"][0]["text"]))
        return f"activity-{len(self.posts)}"

    async def update_in_review_channel(
        self, partnership: Partnership, activity_id: str, card: dict[str, Any]
    ) -> None:
        """Nothing is updated here."""

    async def send_to_user_id(
        self, user_id: str, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        """Nothing is sent to a person here."""
        return "activity-person"


@pytest.fixture(
    params=[
        "tinydb",
        "memory",
        pytest.param("postgres", marks=pytest.mark.postgres),
        # The encryption at rest the app always runs on.
        "encrypted-tinydb",
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CountingStore]:
    if request.param == "encrypted-tinydb":
        inner: Store = await EncryptedStore.open(TinyDBStore(tmp_path / "data"), keyring())
    else:
        inner = await open_backend(request, tmp_path / "data")
    counting = CountingStore(inner)
    yield counting
    await counting.close()


def _case(number: int, status: CaseStatus = CaseStatus.REFERRED) -> Case:
    case = make_case(
        make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23)),
        reference=f"COV-2026-{number:03d}",
        submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC),
    )
    # Its case card went out when it was filed.
    return case.model_copy(update={"status": status, "channel_activity_id": f"card-{number}"})


def _runner(store: Store, clock: FakeClock, channel: Channel) -> ReminderRunner:
    return ReminderRunner(
        partnerships=load_partnerships(EXAMPLE_PARTNERSHIPS),
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=DeliveryLog(store),
        notifier=channel,
        clock=clock,
        owner="test",
    )


async def _seed(store: Store) -> CaseRepository:
    repo = CaseRepository(store)
    for number in range(1, OPEN + 1):
        await repo.create(_case(number))
    # Finished cases are not even read.
    await repo.create(_case(OPEN + 1, CaseStatus.CLOSED))
    await repo.create(_case(OPEN + 2, CaseStatus.PUBLISHED))
    return repo


def _sin_lead(report: TickReport) -> list[str]:
    return sorted(k.split("|")[0] for k in report.sent if "|sin|lead:2|" in k)


async def test_a_tick_after_one_case_changed_reads_that_case_alone(store: CountingStore) -> None:
    repo = await _seed(store)
    clock = FakeClock(TWO_DAYS_BEFORE)
    channel = Channel()
    runner = _runner(store, clock, channel)
    first = await runner.tick()
    assert (first.read, store.cases_read) == (OPEN, OPEN)
    assert _sin_lead(first) == [f"COV-2026-{n:03d}" for n in range(1, OPEN + 1)]

    store.cases_read = 0
    quiet = await runner.tick()
    assert (quiet.read, store.cases_read, quiet.sent) == (0, 0, [])

    loaded = await repo.get("COV-2026-005")
    assert loaded is not None
    case, etag = loaded
    await repo.save(case.model_copy(update={"status": CaseStatus.RAPID_REVIEW}), etag)
    store.cases_read = 0
    changed = await runner.tick()
    assert (changed.read, store.cases_read) == (1, 1)
    assert changed.sent == []  # the reminder was posted already: not posted again

    await repo.create(_case(OPEN + 3))
    store.cases_read = 0
    added = await runner.tick()
    assert (added.read, store.cases_read) == (1, 1)
    assert _sin_lead(added) == [f"COV-2026-{OPEN + 3:03d}"]


async def test_a_change_is_planned_from_the_case_as_it_is_now(store: CountingStore) -> None:
    repo = await _seed(store)
    clock = FakeClock(TWO_DAYS_BEFORE)
    runner = _runner(store, clock, Channel())
    await runner.tick()
    # Between two ticks the SIN of one case is made, and another case is closed.
    made = await repo.get("COV-2026-001")
    assert made is not None
    dates = made[0].dates.model_copy(update={"sin_made": date(2026, 12, 31)})
    await repo.save(made[0].model_copy(update={"dates": dates}), made[1])
    closed = await repo.get("COV-2026-002")
    assert closed is not None
    await repo.save(closed[0].model_copy(update={"status": CaseStatus.CLOSED}), closed[1])
    clock.set(OVERDUE_DAY)
    later = await runner.tick()
    overdue = sorted(k.split("|")[0] for k in later.sent if "|sin|overdue|" in k)
    assert overdue == [f"COV-2026-{n:03d}" for n in range(3, OPEN + 1)]


async def test_a_steady_tick_asks_the_delivery_log_nothing_of_reminders_posted_before(
    store: CountingStore,
) -> None:
    await _seed(store)
    clock = FakeClock(TWO_DAYS_BEFORE)
    channel = Channel()
    runner = _runner(store, clock, channel)
    await runner.tick()
    posted = len(channel.posts)
    assert posted >= OPEN
    store.deliveries_asked.clear()
    steady = await runner.tick()
    # Only this week's digests are looked up, to see whether they went out.
    assert [k for k in store.deliveries_asked if not k.startswith("digest|")] == []
    assert (steady.planned, steady.sent, len(channel.posts)) == (0, [], posted)

    # After a restart nothing is known: every open case is read and every reminder asked of
    # the log again, and still nothing is posted twice.
    runner.forget()
    store.deliveries_asked.clear()
    store.cases_read = 0
    restarted = await runner.tick()
    assert (restarted.read, store.cases_read) == (OPEN, OPEN)
    assert len([k for k in store.deliveries_asked if "|sin|" in k]) == OPEN
    assert (restarted.sent, len(channel.posts)) == ([], posted)


async def test_a_tick_uses_one_store_connection_at_a_time(store: CountingStore) -> None:
    # Other conversations' turns always find a pooled connection free while a tick runs.
    await _seed(store)
    runner = _runner(store, FakeClock(TWO_DAYS_BEFORE), Channel())
    runner.forget()
    await runner.tick()
    await runner.tick()
    assert store.most_in_flight == 1


async def test_the_embedded_store_lists_case_etags_from_memory_once_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tinydb_store.TinyDBStore(tmp_path / "data")
    written = [await first.put(Collection.CASES, f"COV-2026-00{n}", {"n": n}) for n in (1, 2)]
    await first.close()
    reads: list[Path] = []
    real = tinydb_store.read_file

    def counted(path: Path, kind: str) -> Any:
        reads.append(path)
        return real(path, kind)

    monkeypatch.setattr(tinydb_store, "read_file", counted)
    store = tinydb_store.TinyDBStore(tmp_path / "data")  # opened afresh: nothing known yet
    try:
        reads.clear()
        listed = [("COV-2026-001", written[0]), ("COV-2026-002", written[1])]
        assert await store.etags(Collection.CASES) == listed
        assert len(reads) == 2  # learnt from the files once
        reads.clear()
        moved = await store.put(Collection.CASES, "COV-2026-002", {"n": 3}, if_match=written[1])
        reads.clear()
        assert await store.etags(Collection.CASES) == [listed[0], ("COV-2026-002", moved)]
        assert reads == []
    finally:
        await store.close()


async def test_a_tick_posts_what_the_dry_run_plans_from_the_whole_cases(
    store: CountingStore,
) -> None:
    repo = await _seed(store)
    cases = await repo.for_partnership("coventry")
    runner = _runner(store, FakeClock(OVERDUE_DAY), Channel())
    planned = sorted(r.key for r in runner.plan(cases, OVERDUE_DAY))
    assert len(planned) > OPEN
    report = await runner.tick()
    assert sorted(k for k in report.sent if not k.startswith("digest|")) == planned
