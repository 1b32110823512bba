"""Hand-run: what one referral's turns write on the embedded store. Never run by pytest.

`python -m tests.bench_writes [WALKS]` walks whole referrals through the real app over HTTP (the
fake connector in process) on a TinyDB store in a temporary directory, and prints per kind of
turn the store writes (by collection), the fsyncs (file and directory) and the time spent in
them. `--profile` also writes a cProfile of the filing turns to `filing.prof`.
"""

from __future__ import annotations

import asyncio
import contextvars
import cProfile
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES, create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from storage.base import Collection
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.referral import STEPS

MIDDLE = ("area", "referrer", "child", "incident", "agencies", "criteria", "actions")


@dataclass
class Tally:
    """What the turns of one kind wrote."""

    turns: int = 0
    puts: Counter[str] = field(default_factory=Counter)
    deletes: int = 0
    fsyncs: int = 0
    fsync_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # the whole process's, fake connector included
    store_cpu_s: float = 0.0  # in the store's worker threads, fsync's own time included


# The tally a store call counts against: set where the call starts, so the worker thread
# that writes (and fsyncs) sees it too (asyncio.to_thread copies the context).
_TALLY: contextvars.ContextVar[Tally | None] = contextvars.ContextVar("tally", default=None)


class CountingStore(TinyDBStore):
    """The embedded store, noting each write under the turn kind being measured."""

    current: Tally | None = None  # the turn being measured
    later: Tally | None = None  # what that turn left for after its answer

    def _tally(self) -> Tally | None:
        task = asyncio.current_task()
        coro = task.get_coro() if task is not None else None
        # A turn's follow-ups run in tasks of their own (bot/followups.py).
        if coro is not None and getattr(coro, "__qualname__", "") == "FollowUps._run":
            return self.later
        return self.current

    async def put(
        self,
        collection: Collection,
        key: str,
        data: Mapping[str, Any],
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Count, then write."""
        tally = self._tally()
        _TALLY.set(tally)
        if tally is not None:
            tally.puts[Collection(collection).value] += 1
        return await super().put(
            collection, key, data, if_match=if_match, if_none_match=if_none_match
        )

    def _put_now(self, *args: Any) -> str:
        started = time.thread_time()
        try:
            return super()._put_now(*args)
        finally:
            tally = _TALLY.get()
            if tally is not None:
                tally.store_cpu_s += time.thread_time() - started

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Count, then delete."""
        tally = self._tally()
        if tally is not None:
            tally.deletes += 1
        return await super().delete(collection, key, if_match=if_match)


def _kind(step: str) -> str:
    if step in MIDDLE:
        return "mid-referral submit"
    if step == "review":
        return "filing submit"
    return step


async def _run(walks: int, profile: bool) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    real_fsync = os.fsync
    profiler = cProfile.Profile() if profile else None

    def counted_fsync(fd: int) -> None:
        started = time.perf_counter()
        real_fsync(fd)
        tally = _TALLY.get()
        if tally is not None:
            tally.fsyncs += 1
            tally.fsync_s += time.perf_counter() - started

    os.fsync = counted_fsync
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data", partnerships=EXAMPLE_PARTNERSHIPS, reminders_enabled=False
        )
        store = CountingStore(settings.data_dir)
        clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
        fake = FakeConnector()
        server = TestServer(fake.app)
        await server.start_server()
        fake.url = str(server.make_url("/")).rstrip("/") + "/"
        url = fake.url
        app = create_app(settings, store=store, clock=clock, screen=shared_screen())
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()

        async def post(body: dict[str, Any], kind: str | None) -> None:
            tally = tallies.setdefault(kind, Tally()) if kind else None
            # What the turn leaves for after its response is counted on its own.
            later = tallies.setdefault(f"{kind}: after the response", Tally()) if kind else None
            CountingStore.current, CountingStore.later = tally, later
            on = profiler is not None and kind == "filing submit"
            started, cpu = time.perf_counter(), time.process_time()
            if on:
                assert profiler is not None
                profiler.enable()
            response = await client.post(
                "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
            )
            await response.read()
            if on:
                assert profiler is not None
                profiler.disable()
            if tally is not None:
                tally.turns += 1
                tally.wall_s += time.perf_counter() - started
                tally.cpu_s += time.process_time() - cpu
            assert response.status == 201, await response.text()
            CountingStore.current = None
            started, cpu = time.perf_counter(), time.process_time()
            follow_ups = getattr(app[SERVICES], "follow_ups", None)  # None: an older build
            if follow_ups is not None:
                await follow_ups.settled()
            if later is not None:
                later.turns += 1
                later.wall_s += time.perf_counter() - started
                later.cpu_s += time.process_time() - cpu
            CountingStore.current = None

        try:
            await post(activities.team_install(url, "team-id"), None)
            for n in range(walks + 2):
                user = {"id": f"29:w-{n}", "name": "A Practitioner", "aadObjectId": f"aad-{n}"}
                dob = (date(2015, 1, 1) + timedelta(days=n)).isoformat()
                steps = [(s, {**i, "date_of_birth": dob} if s == "child" else i) for s, i in STEPS]
                walk: list[tuple[str, dict[str, Any]]] = [
                    ("install", activities.personal_install(url)),
                    ("start", activities.card_submit(url, {"action": "start_referral"})),
                    *(
                        (s, activities.card_submit(url, {"action": "referral", "step": s, **i}))
                        for s, i in steps
                    ),
                    ("help", activities.message(url, "help")),
                ]
                for step, body in walk:
                    body["from"] = user
                    body["conversation"] = activities.personal(url, user)
                    # The first two walks warm up: imports, caches, the child index.
                    await post(body, _kind(step) if n >= 2 else None)
                # Past the channel's pacing, so the next case card never waits its turn.
                clock.advance(seconds=1)
        finally:
            os.fsync = real_fsync
            await client.close()
            await server.close()
            await store.close()
    if profiler is not None:
        profiler.dump_stats("filing.prof")
    return tallies


def main() -> None:
    """Print the writes per turn."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    walks = int(args[0]) if args else 20
    started = time.process_time()
    tallies = asyncio.run(_run(walks, "--profile" in sys.argv))
    sys.stderr.write(f"process CPU {time.process_time() - started:.2f} s\n")
    out = sys.stdout.write
    out("| turn | turns | store writes per turn (by collection) | deletes | fsyncs | ")
    out("ms in fsync | ms per turn | CPU ms per turn | of which in store writes |\n")
    out("|---|---|---|---|---|---|---|---|---|\n")
    for kind, t in tallies.items():
        n = t.turns
        if not t.puts and not t.deletes and kind.endswith("after the response"):
            continue
        by = ", ".join(f"{c} {v / n:.2g}" for c, v in sorted(t.puts.items()))
        total = sum(t.puts.values()) / n
        out(
            f"| {kind} | {n} | {total:.3g} ({by}) | {t.deletes / n:.2g} | {t.fsyncs / n:.3g} |"
            f" {t.fsync_s / n * 1000:.1f} | {t.wall_s / n * 1000:.1f} |"
            f" {t.cpu_s / n * 1000:.1f} | {t.store_cpu_s / n * 1000:.1f} |\n"
        )


if __name__ == "__main__":
    main()
