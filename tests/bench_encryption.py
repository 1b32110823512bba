"""Hand-run measure of what encryption at rest costs (`python -m tests.bench_encryption`).

The same turns as `tests/bench_store.py` (help, the review step, filing), over each backend
bare and encrypted, at one size, each run in a process of its own, rounds interleaved; then the
cost of sealing and opening one case document alone. Never run by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from cli.demo_data import write_demo_cases
from safeguarding.partnerships import load_partnerships
from storage.base import Collection, JsonDict
from storage.encrypted import EncryptedStore
from storage.tinydb_store import TinyDBStore
from tests.bench_store import NOW, _as, _post
from tests.support import activities
from tests.support.cases import make_case, make_referral
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock
from tests.support.keys import keyring
from tests.support.postgres import server_answers
from tests.support.referral import STEPS_TO_REVIEW
from tests.support.stores import MemoryStore


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _run(backend: str, size: int, encrypted: bool) -> dict[str, object]:
    args = [sys.executable, "-m", "tests.bench_store", "--one", backend, str(size)]
    done = subprocess.run(
        [*args, *(["--encrypted"] if encrypted else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cell(runs: list[dict[str, object]], name: str) -> str:
    p50s, p95s = [], []
    for r in runs:
        stats = r[name]
        assert isinstance(stats, dict)
        p50s.append(stats["p50"])
        p95s.append(stats["p95"])
    return f"{statistics.median(p50s):.1f} / {statistics.median(p95s):.1f}"


def _cpu_us(work: Callable[[], object], n: int = 5_000) -> float:
    # Processor time, not wall time: on a machine shared with other work it is the steadier.
    started = time.process_time()
    for _ in range(n):
        work()
    return (time.process_time() - started) / n * 1e6


def micro() -> str:
    """Sealing and opening one case document, in microseconds of processor time."""
    store = EncryptedStore(MemoryStore(), keyring())
    data = make_case(make_referral()).model_dump(mode="json")
    sealed = store._seal(Collection.CASES, "COV-2026-001", data)
    text = json.dumps(data)
    seal = _cpu_us(lambda: store._seal(Collection.CASES, "COV-2026-001", data))
    unseal = _cpu_us(lambda: store._unseal(Collection.CASES, "COV-2026-001", sealed))
    dumps, loads = _cpu_us(lambda: json.dumps(data)), _cpu_us(lambda: json.loads(text))
    return (
        f"one case ({len(text):,} bytes of JSON, {len(json.dumps(sealed)):,} sealed), processor"
        f" time: seal {seal:.0f} µs, open {unseal:.0f} µs (of which JSON alone {dumps:.0f} and"
        f" {loads:.0f} µs)"
    )


class _CountingStore(EncryptedStore):
    """Counts the documents sealed and opened, and the bytes of JSON they held."""

    sealed = opened = 0

    def _seal(self, collection: Collection, key: str, data: Mapping[str, Any]) -> JsonDict:
        self.sealed += 1
        return super()._seal(collection, key, data)

    def _unseal(
        self, collection: Collection, key: str, data: JsonDict, *, clear_ok: bool = False
    ) -> JsonDict:
        self.opened += 1
        return super()._unseal(collection, key, data, clear_ok=clear_ok)


async def _counts(size: int) -> dict[str, tuple[int, int]]:
    partnerships = tuple(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())
    with tempfile.TemporaryDirectory() as tmp:
        store = _CountingStore(TinyDBStore(Path(tmp) / "data"), keyring())
        await write_demo_cases(store, partnerships, size, seed=1, today=NOW.date())
        fake = FakeConnector()
        connector = TestServer(fake.app)
        await connector.start_server()
        fake.url = str(connector.make_url("/")).rstrip("/") + "/"
        settings = Settings(
            data_dir=Path(tmp) / "data", partnerships=EXAMPLE_PARTNERSHIPS, reminders_enabled=False
        )
        client: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, store=store, clock=FakeClock(NOW)))
        )
        await client.start_server()
        found: dict[str, tuple[int, int]] = {}

        async def counted(name: str, body: dict[str, Any]) -> None:
            store.sealed = store.opened = 0
            await _post(client, body)
            found[name] = (store.sealed, store.opened)

        try:
            await _post(client, activities.team_install(fake.url))
            await _post(client, _as(0, activities.message(fake.url, "help")))
            await counted("help", _as(0, activities.message(fake.url, "help")))
            await _post(client, _as(1, activities.message(fake.url, "refer")))
            for step, inputs in STEPS_TO_REVIEW[:-1]:
                value = {"action": "referral", "step": step, **inputs}
                await _post(client, _as(1, activities.card_submit(fake.url, value)))
            step, inputs = STEPS_TO_REVIEW[-1]
            value = {"action": "referral", "step": step, **inputs}
            await counted("review step", _as(1, activities.card_submit(fake.url, value)))
            value = {"action": "referral", "step": "review", "submit": True}
            await counted("filing", _as(1, activities.card_submit(fake.url, value)))
        finally:
            await client.close()
            await connector.close()
            await store.close()
        return found


async def _listing(size: int, encrypted: bool) -> float:
    partnerships = tuple(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())
    with tempfile.TemporaryDirectory() as tmp:
        backend = TinyDBStore(Path(tmp) / "data", cache_bytes=0)  # from disk, as a tick reads
        store = await EncryptedStore.open(backend, keyring()) if encrypted else backend
        await write_demo_cases(store, partnerships, size, seed=1, today=NOW.date())
        timings = []
        for _ in range(5):
            started = time.process_time()  # every thread's: the listing runs in one
            await store.list(Collection.CASES)
            timings.append(time.process_time() - started)
        await store.close()
        return statistics.median(timings)


def listing(size: int) -> str:
    """Listing every case (what a tick reads), clear and encrypted, from disk."""
    logging.disable(logging.CRITICAL)
    clear, sealed = (asyncio.run(_listing(size, encrypted)) for encrypted in (False, True))
    return (
        f"listing {size:,} cases from disk, processor time: {clear * 1000:.0f} ms in clear,"
        f" {sealed * 1000:.0f} ms encrypted"
    )


def counts(size: int) -> list[str]:
    """How many documents each turn seals and opens (what encryption adds is that times the
    cost of one)."""
    logging.disable(logging.CRITICAL)
    found = asyncio.run(_counts(size))
    return [f"{name}: {s} sealed, {o} opened" for name, (s, o) in found.items()]


def main() -> None:
    """Print a Markdown table: medians over rounds of each turn's p50 / p95 ms, clear and
    encrypted, the two interleaved so a busy machine weighs on both alike."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--counts-only", action="store_true")
    args = parser.parse_args()
    if args.counts_only:
        _out(micro())
        _out(listing(args.size))
        for line in counts(args.size):
            _out(line)
        return
    backends = ["tinydb"] + (["postgres"] if server_answers() else [])
    _out("| store | cases | at rest | help p50 / p95 ms | review step | filing | tick s |")
    _out("|---|---|---|---|---|---|---|")
    for backend in backends:
        runs: dict[bool, list[dict[str, object]]] = {False: [], True: []}
        for _ in range(args.rounds):
            for encrypted in (False, True):
                runs[encrypted].append(_run(backend, args.size, encrypted))
        for encrypted in (False, True):
            r = runs[encrypted]
            _out(
                f"| {backend} | {args.size:,} | {'encrypted' if encrypted else 'clear'}"
                f" | {_cell(r, 'help')} | {_cell(r, 'review')} | {_cell(r, 'filing')}"
                f" | {statistics.median(float(str(x['tick_s'])) for x in r):.2f} |"
            )
    _out(micro())
    _out(listing(args.size))
    for line in counts(args.size):
        _out(line)


if __name__ == "__main__":
    main()
