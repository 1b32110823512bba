"""Hand-run figures for the embedded store (never run by pytest):

    .venv/bin/python -m tests.bench_embedded [CASES ...]     (default: 10 1000 10000)

For each size, a data directory in the first layout is seeded (cases with 10 audit entries
and 15 deliveries each), then a fresh process converts it, opens it, and measures: start-up,
memory (RSS), get/put/list, the duplicate check, and the referral dialog's review step and
filing with the bytes a filing writes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

AUDIT_PER_CASE = 10
DELIVERIES_PER_CASE = 15


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _seed(directory: Path, count: int) -> None:
    from tests.support.cases import make_case, make_referral

    directory.mkdir(parents=True)
    cases, audit, deliveries = {}, {}, {}
    for n in range(1, count + 1):
        reference = f"COV-2026-{n:05d}"
        referral = make_referral(
            incident=date(2026, 1, 5) + timedelta(days=n % 300),
            child_name=f"Child {chr(65 + n % 26)}{chr(65 + n // 26 % 26)}",
            born=date(2010, 1, 1) + timedelta(days=n % 5000),
        )
        case = make_case(
            referral, reference=reference, submitted_at=datetime(2026, 1, 5, tzinfo=UTC)
        )
        cases[str(n)] = {"key": reference, "etag": f"c{n}", "data": case.model_dump(mode="json")}
        for s in range(1, AUDIT_PER_CASE + 1):
            entry = {
                "reference": reference,
                "at": f"2026-01-05T10:{s:02d}:00+00:00",
                "actor": "29:lead",
                "role": "lead",
                "what": f"decision {s}",
                "sequence": s,
            }
            audit[str(len(audit) + 1)] = {
                "key": f"{reference}/{s:06d}",
                "etag": f"a{n}.{s}",
                "data": entry,
            }
        for d in range(DELIVERIES_PER_CASE):
            key = f"{reference}|m{d}|lead:2|2026-02-{d + 1:02d}"
            deliveries[str(len(deliveries) + 1)] = {
                "key": key,
                "etag": f"d{n}.{d}",
                "data": {
                    "key": key,
                    "reference": reference,
                    "partnership_id": "coventry",
                    "kind": "lead",
                    "milestone": f"m{d}",
                    "due": f"2026-02-{d + 1:02d}",
                    "state": "sent",
                    "owner": "vm:1",
                    "claimed_at": "2026-02-01T09:00:00+00:00",
                    "attempts": 1,
                    "sent_at": "2026-02-01T09:00:01+00:00",
                    "activity_id": f"1:{n}{d}",
                },
            }
    for name, documents in (("cases", cases), ("audit", audit), ("deliveries", deliveries)):
        (directory / f"{name}.json").write_text(json.dumps({"documents": documents}))


async def _timed(work: Callable[[], Awaitable[Any]], times: int) -> float:
    """Median milliseconds of `times` runs."""
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        await work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


async def _loop_lag(work: Awaitable[Any]) -> tuple[float, float]:
    """(seconds the work took, longest the event loop was held meanwhile, in ms)."""
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - before - 0.001)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    done = True
    await task
    return took, worst * 1000


def _convert(directory: Path) -> None:
    """Open the seeded first layout once: it is converted."""
    from storage.tinydb_store import TinyDBStore

    started = time.perf_counter()
    asyncio.run(TinyDBStore(directory).close())
    _out(f"conversion of the first layout: {time.perf_counter() - started:.2f} s")


async def _measure(directory: Path, count: int) -> None:
    from bot.app import create_app  # noqa: F401 - the bot's imports, for a fair baseline
    from storage.base import Collection
    from storage.cases import CaseRepository
    from storage.tinydb_store import TinyDBStore
    from tests.support.cases import make_case, make_referral
    from tests.support.fakes import FakeClock
    from tests.support.store_files import CountingReplace, file_count, manifest_bytes
    from tests.test_referral_dialog import FakeAnnouncer, Harness, fill_to_review

    baseline = _rss_mb()
    started = time.perf_counter()
    store = TinyDBStore(directory)
    opened = time.perf_counter() - started
    after_open = _rss_mb()
    gc.collect()
    gc.freeze()  # as `review-bot serve` does once started
    repo = CaseRepository(store)
    probe = make_referral(
        incident=date(2026, 1, 5) + timedelta(days=7),
        child_name="Child HA",
        born=date(2010, 1, 1) + timedelta(days=7),
    )
    started = time.perf_counter()
    found = await repo.duplicates_of(probe)  # the first check indexes the converted cases
    indexed = time.perf_counter() - started
    dup_ms = await _timed(lambda: repo.duplicates_of(probe), 20)
    key = f"COV-2026-{max(count // 2, 1):05d}"
    get_ms = await _timed(lambda: store.get(Collection.CASES, key), 50)  # cached after the first
    others = [f"COV-2026-{n:05d}" for n in range(1, min(count, 50) + 1)]
    started = time.perf_counter()
    for other in others:
        await store.get(Collection.AUDIT, f"{other}/000001")
    get_disk_ms = (time.perf_counter() - started) * 1000 / len(others)
    trail_ms = await _timed(lambda: store.list(Collection.AUDIT, prefix=f"{key}/"), 20)
    where_took, where_lag = await _loop_lag(
        store.list(Collection.CASES, where={"partnership_id": "coventry"})
    )
    tick_took, tick_lag = await _loop_lag(repo.for_partnership("coventry"))
    by_case_ms = await _timed(
        lambda: store.list(Collection.DELIVERIES, where={"reference": key}), 20
    )
    new = make_case(make_referral(), reference="COV-2026-99999")
    body = new.model_dump(mode="json")
    put_ms = await _timed(lambda: store.put(Collection.CASES, new.reference, body), 20)
    after_work = _rss_mb()

    # The referral dialog over the same store: the step that shows the review card (it runs
    # the duplicate check), then Submit (the filing), with the bytes the filing wrote.
    harness = Harness(store, FakeClock(datetime(2026, 11, 24, 10, tzinfo=UTC)), FakeAnnouncer())
    review, filing, filed_bytes = [], [], []
    for _ in range(5):
        started = time.perf_counter()
        await fill_to_review(harness)
        review.append((time.perf_counter() - started) * 1000)
        listed = manifest_bytes(directory)
        store.replace = counting = CountingReplace()
        started = time.perf_counter()
        await harness.step("review", submit=True)
        filing.append((time.perf_counter() - started) * 1000)
        store.replace = os.replace
        filed_bytes.append(sum(counting.written.values()) + manifest_bytes(directory) - listed)
    await store.close()
    files = file_count(directory)
    _out(
        f"{count:>6} cases ({count * AUDIT_PER_CASE} audit entries, "
        f"{count * DELIVERIES_PER_CASE} deliveries; {files} files)\n"
        f"  start-up {opened:.2f} s\n"
        f"  RSS: {baseline:.0f} MB after the bot's imports, {after_open:.0f} MB open"
        f" (+{after_open - baseline:.0f}), {after_work:.0f} MB after the work below\n"
        f"  first duplicate check (indexes the converted cases) {indexed:.2f} s; then"
        f" {dup_ms:.2f} ms ({len(found)} found)\n"
        f"  get: {get_ms:.3f} ms from memory, {get_disk_ms:.3f} ms from disk\n"
        f"  put (a case, over itself) {put_ms:.2f} ms\n"
        f"  list: a trail by prefix {trail_ms:.2f} ms; a case's deliveries (where)"
        f" {by_case_ms:.2f} ms; every case (where partnership) {where_took:.2f} s,"
        f" loop held at most {where_lag:.0f} ms\n"
        f"  for_partnership (every case validated) {tick_took:.2f} s, loop held at most"
        f" {tick_lag:.0f} ms\n"
        f"  dialog: review card step (8 turns) median {statistics.median(review):.0f} ms;"
        f" filing (Submit) median {statistics.median(filing):.0f} ms,"
        f" {statistics.median(filed_bytes) / 1024:.1f} KiB written"
    )


def main() -> None:
    """Seed and measure each size in a fresh process, so memory figures are its own."""
    logging.disable(logging.CRITICAL)
    if len(sys.argv) == 3 and sys.argv[1] == "--convert":
        _convert(Path(sys.argv[2]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        asyncio.run(_measure(Path(sys.argv[2]), int(sys.argv[3])))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10, 1_000, 10_000]
    for count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "data"
            _seed(directory, count)
            # Converted in another process: its memory must not count in the figures.
            subprocess.run(
                [sys.executable, "-m", "tests.bench_embedded", "--convert", str(directory)],
                check=True,
            )
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.bench_embedded",
                    "--measure",
                    str(directory),
                    str(count),
                ],
                check=True,
            )


if __name__ == "__main__":
    main()
