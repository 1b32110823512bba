"""Hand-run benchmark of the PostgreSQL store: get, put, list(where), list(prefix) latency at
10, 1,000 and 10,000 case documents. Never run by pytest; needs the loopback server.

    .venv/bin/python -m tests.bench_postgres
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from safeguarding.cases import Case
from storage.base import Collection
from storage.postgres_store import PostgresStore
from tests.support.cases import make_case, make_referral
from tests.support.postgres import MAINTENANCE_DATABASES, fresh_database, server_url

SIZES = (10, 1_000, 10_000)
REPEATS = 300
PARTNERSHIPS = (
    ("COV", "coventry"),
    ("WAR", "warwickshire"),
    ("CHW", "cheshire-west"),
    ("HUL", "hull"),
)


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _case_document(template: Case, prefix: str, partnership: str, n: int) -> dict[str, Any]:
    reference = f"{prefix}-2026-{n:05d}"
    data = template.model_copy(update={"reference": reference, "partnership_id": partnership})
    return data.model_dump(mode="json")


async def _timed(work: Callable[[int], Awaitable[object]]) -> tuple[float, float]:
    samples = []
    for i in range(REPEATS):
        start = time.perf_counter()
        await work(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


async def _measure(url: str, count: int) -> dict[str, tuple[float, float]]:
    store = await PostgresStore.open(url)
    template = make_case(make_referral())
    docs = []
    for i in range(count):
        prefix, partnership = PARTNERSHIPS[i % len(PARTNERSHIPS)]
        n = i // len(PARTNERSHIPS) + 1
        docs.append((f"{prefix}-2026-{n:05d}", _case_document(template, prefix, partnership, n)))
    coventry = sum(1 for _, d in docs if d["partnership_id"] == "coventry")
    for start in range(0, len(docs), 32):
        await asyncio.gather(
            *(store.put(Collection.CASES, k, d) for k, d in docs[start : start + 32])
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE documents")  # as autovacuum would soon after a bulk load
    keys = [k for k, _ in docs]
    body = docs[0][1]
    results = {
        "get": await _timed(lambda i: store.get(Collection.CASES, keys[i % len(keys)])),
        "put (unconditional)": await _timed(
            lambda i: store.put(Collection.CASES, keys[i % len(keys)], body)
        ),
        "get, then put if_match": await _timed(
            lambda i: _put_if_match(store, keys[i % len(keys)], body)
        ),
        "list where reference (1 doc)": await _timed(
            lambda i: store.list(Collection.CASES, where={"reference": keys[i % len(keys)]})
        ),
        f"list where partnership ({coventry} docs)": await _timed(
            lambda i: store.list(Collection.CASES, where={"partnership_id": "coventry"})
        ),
        "list prefix (≤9 docs)": await _timed(
            lambda i: store.list(Collection.CASES, prefix="COV-2026-0000")
        ),
    }
    await store.close()
    return results


async def _put_if_match(store: PostgresStore, key: str, body: dict[str, Any]) -> None:
    doc = await store.get(Collection.CASES, key)
    assert doc is not None
    await store.put(Collection.CASES, key, body, if_match=doc.etag)


def main() -> None:
    """Print median and 95th-percentile milliseconds per operation and size."""
    maintenance = server_url(MAINTENANCE_DATABASES[0])
    _out(f"median / p95 ms over {REPEATS} calls, one client, pool 1-4, loopback")
    for count in SIZES:
        with fresh_database(maintenance) as url:
            results = asyncio.run(_measure(url, count))
        _out(f"{count} case documents:")
        for name, (median, p95) in results.items():
            _out(f"  {name:<36} {median:7.2f} {p95:7.2f}")


if __name__ == "__main__":
    main()
