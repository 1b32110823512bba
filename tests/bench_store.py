"""Hand-run benchmark of cost against stored cases (`make bench`); never run by pytest.

For each backend (embedded; PostgreSQL when a server answers on 127.0.0.1:5432) and each size
(10 / 1,000 / 10,000 cases written by `review-bot demo-data`'s code through the store), in a
process of its own so memory figures are not shared:
- a `help` turn over HTTP;
- the review step (the last section's Submit: the review card and the duplicate check);
- filing (the review's Submit);
- a reminder tick over every open case, with `help` turns sent all through it: how long the
  tick took and the slowest of those turns (what the tick did to everyone else's turn);
- the same for the first tick after a restart (the runner forgets what it kept: every open
  case is read again, every reminder asked of the delivery log again; nothing is posted);
- the process's resident memory once the cases are loaded, after the first tick (the catch-up
  that reads every open case) and after the steady tick;
- the machine's load average as the row started: the machine is shared, so figures are noisy.

`--one BACKEND SIZE` runs one row and prints it as JSON; `--backends` and `--sizes` choose rows,
e.g. `python -m tests.bench_store --backends postgres --sizes 10000`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES, create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from cli.demo_data import write_demo_cases
from safeguarding.partnerships import load_partnerships
from storage.base import Store
from storage.encrypted import EncryptedStore
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock
from tests.support.keys import keyring
from tests.support.postgres import fresh_database, server_answers, server_url
from tests.support.referral import STEPS_TO_REVIEW

SIZES = (10, 1_000, 10_000)
HELP_TURNS = 60
REFERRALS = 8
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ALL_OPEN = False


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@contextlib.asynccontextmanager
async def _store(backend: str, workdir: Path, *, encrypted: bool = False) -> AsyncIterator[Store]:
    if backend == "tinydb":
        store: Store = TinyDBStore(workdir / "data")
        try:
            yield await EncryptedStore.open(store, keyring()) if encrypted else store
        finally:
            await store.close()
        return
    with fresh_database(server_url("postgres")) as url:
        opened = await PostgresStore.open(url)
        try:
            yield await EncryptedStore.open(opened, keyring()) if encrypted else opened
        finally:
            await opened.close()


def _as(user: int, body: dict[str, Any]) -> dict[str, Any]:
    who = {"id": f"29:bench-{user}", "name": "Bench", "aadObjectId": f"bench-{user}"}
    body["from"] = who
    body["conversation"] = activities.personal("", who)
    return body


async def _post(client: TestClient[Any, Any], body: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status >= 300:
        raise RuntimeError(f"HTTP {response.status}")
    return elapsed


def _stats(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
    }


async def _one(backend: str, size: int, *, encrypted: bool = False) -> dict[str, Any]:
    partnerships = tuple(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())
    with tempfile.TemporaryDirectory() as tmp:
        async with _store(backend, Path(tmp), encrypted=encrypted) as store:
            started = time.perf_counter()
            await write_demo_cases(
                store, partnerships, size, seed=1, today=NOW.date(), all_open=ALL_OPEN
            )
            seeded = time.perf_counter() - started
            fake = FakeConnector()
            # It runs in this process: keeping every card a catch-up tick posts (thousands)
            # would count the connector's memory as the bot's. The last few are enough here.
            fake.sent = collections.deque(maxlen=50)  # type: ignore[assignment]
            fake.requests = collections.deque(maxlen=50)  # type: ignore[assignment]
            connector = TestServer(fake.app)
            await connector.start_server()
            fake.url = str(connector.make_url("/")).rstrip("/") + "/"
            settings = Settings(
                data_dir=Path(tmp) / "data",
                partnerships=EXAMPLE_PARTNERSHIPS,
                reminders_enabled=False,
            )
            app = create_app(settings, store=store, clock=FakeClock(NOW))
            client: TestClient[Any, Any] = TestClient(TestServer(app))
            await client.start_server()
            try:
                return await _measure(client, fake, app, size, seeded)
            finally:
                await client.close()
                await connector.close()


async def _measure(
    client: TestClient[Any, Any], fake: FakeConnector, app: Any, size: int, seeded: float
) -> dict[str, Any]:
    await client.post(
        "/api/messages",
        data=json.dumps(activities.team_install(fake.url)),
        headers={"Content-Type": "application/json"},
    )
    await _post(client, _as(0, activities.message(fake.url, "help")))  # warm-up
    gc.collect()
    gc.freeze()  # as `review-bot serve` does once started
    helps = [
        await _post(client, _as(0, activities.message(fake.url, "help"))) for _ in range(HELP_TURNS)
    ]
    rss_ready = _rss_mb()
    review, filing = [], []
    for user in range(1, REFERRALS + 1):
        # Apart by more than the notifier's pacing of posts into one channel (7 a second), so
        # filing is measured, not the wait for the previous case card's slot.
        await asyncio.sleep(0.2)
        await _post(client, _as(user, activities.message(fake.url, "refer")))
        for step, inputs in STEPS_TO_REVIEW[:-1]:
            value = {"action": "referral", "step": step, **inputs}
            await _post(client, _as(user, activities.card_submit(fake.url, value)))
        step, inputs = STEPS_TO_REVIEW[-1]
        value = {"action": "referral", "step": step, **inputs}
        review.append(await _post(client, _as(user, activities.card_submit(fake.url, value))))
        value = {"action": "referral", "step": "review", "submit": True}
        filing.append(await _post(client, _as(user, activities.card_submit(fake.url, value))))
    services = app[SERVICES]
    runner = services.reminders

    async def no_pause(_seconds: float) -> None:
        return None

    # The first tick catches up on every reminder the demo cases' history makes due; a running
    # bot did that long ago, so it is done without the notifier's per-channel pacing (7 posts a
    # second), and not measured. The measured tick is the one every minute after it.
    paced = services.notifier._sleep
    services.notifier._sleep = no_pause
    started = time.perf_counter()
    first = await runner.tick()
    catch_up = time.perf_counter() - started
    services.notifier._sleep = paced
    rss_first = _rss_mb()

    async def probed(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float, list[float]]:
        """Run `work` with `help` turns sent all through it; its result, time and the turns'."""
        during: list[float] = []
        done = asyncio.Event()

        async def probe() -> None:
            while not done.is_set():
                during.append(await _post(client, _as(0, activities.message(fake.url, "help"))))

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        result = await work()
        elapsed = time.perf_counter() - started
        done.set()
        await prober
        return result, elapsed, during

    steady, tick, during = await probed(runner.tick)
    rss_steady = _rss_mb()
    runner.forget()
    restarted, restart_s, during_restart = await probed(runner.tick)
    return {
        "size": size,
        "seeded_s": seeded,
        "help": _stats(helps),
        "review": _stats(review),
        "filing": _stats(filing),
        "catch_up_s": catch_up,
        "catch_up_sent": len(first.sent),
        "tick_s": tick,
        "tick_sent": len(steady.sent),
        "turns_during_tick": len(during),
        "slowest_turn_during_tick_ms": max(during) if during else 0.0,
        "tick_read": steady.read,
        "restart_tick_s": restart_s,
        "restart_tick_read": restarted.read,
        "restart_tick_sent": len(restarted.sent),
        "slowest_turn_during_restart_tick_ms": max(during_restart, default=0.0),
        "rss_ready_mb": rss_ready,
        "rss_first_tick_mb": rss_first,
        "rss_mb": rss_steady,
        "load": os.getloadavg()[0],
    }


def _row(backend: str, r: dict[str, Any]) -> str:
    return (
        f"| {backend} | {r['size']:,} | {r['help']['p50']:.1f} / {r['help']['p95']:.1f}"
        f" | {r['review']['p50']:.1f} / {r['review']['p95']:.1f}"
        f" | {r['filing']['p50']:.1f} / {r['filing']['p95']:.1f}"
        f" | {r['catch_up_s']:.1f} ({r['catch_up_sent']}) | {r['tick_s']:.2f}"
        f" | {r['slowest_turn_during_tick_ms']:.0f}"
        f" | {r['restart_tick_s']:.1f} ({r['restart_tick_read']})"
        f" | {r['slowest_turn_during_restart_tick_ms']:.0f}"
        f" | {r['rss_ready_mb']:.0f} / {r['rss_first_tick_mb']:.0f} / {r['rss_mb']:.0f}"
        f" | {r['seeded_s']:.1f} | {r['load']:.1f} |"
    )


def store_table(
    out: Callable[[str], None],
    sizes: Sequence[int] = SIZES,
    backends: Sequence[str] = ("tinydb", "postgres"),
    *,
    encrypted: bool = False,
) -> None:
    """Every backend and size, each in its own process, as one Markdown table."""
    wanted = list(backends)
    if "postgres" in wanted and not server_answers():
        wanted.remove("postgres")
    out(
        "| store | cases | help p50 / p95 ms | review step | filing | first tick s (posts)"
        " | tick s | slowest turn during tick ms | restart tick s (cases read)"
        " | slowest turn during restart tick ms | RSS MB ready / first tick / steady tick"
        " | seeding s | load |"
    )
    out("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in wanted:
        for size in sizes:
            done = subprocess.run(
                [sys.executable, "-m", "tests.bench_store", "--one", backend, str(size)]
                + (["--encrypted"] if encrypted else []),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                out(f"| {backend} | {size:,} | failed: {done.stderr.strip().splitlines()[-1:]} |")
                continue
            out(_row(backend, json.loads(done.stdout.strip().splitlines()[-1])))
    if "postgres" in backends and "postgres" not in wanted:
        out("(PostgreSQL: no server answers on 127.0.0.1:5432, so only the embedded store ran)")


def main() -> None:
    """`--one BACKEND SIZE` prints one JSON result; otherwise the whole table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", nargs=2, metavar=("BACKEND", "SIZE"))
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument(
        "--encrypted", action="store_true", help="over the encryption at rest the app runs on"
    )
    parser.add_argument("--backends", default="tinydb,postgres")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    if args.one:
        backend, size = args.one[0], int(args.one[1])
        _out(json.dumps(asyncio.run(_one(backend, size, encrypted=args.encrypted))))
        return
    store_table(
        _out,
        [int(s) for s in args.sizes.split(",")],
        args.backends.split(","),
        encrypted=args.encrypted,
    )


if __name__ == "__main__":
    main()
