"""Hand-run measure of what encryption at rest costs (`python -m tests.bench_encryption`).

The same turns as `tests/bench_store.py` (help, the review step, filing), over each backend
bare and encrypted, at one size, each run in a process of its own; then the cost of sealing and
opening one case document alone. Never run by pytest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import timeit

from storage.base import Collection
from storage.encrypted import EncryptedStore
from tests.support.cases import make_case, make_referral
from tests.support.keys import keyring
from tests.support.postgres import server_answers
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


def _cell(r: dict[str, object], name: str) -> str:
    stats = r[name]
    assert isinstance(stats, dict)
    return f"{stats['p50']:.1f} / {stats['p95']:.1f}"


def micro() -> str:
    """Sealing and opening one case document, in microseconds."""
    store = EncryptedStore(MemoryStore(), keyring())
    data = make_case(make_referral()).model_dump(mode="json")
    sealed = store._seal(Collection.CASES, "COV-2026-001", data)
    n = 5_000
    seal = timeit.timeit(lambda: store._seal(Collection.CASES, "COV-2026-001", data), number=n)
    unseal = timeit.timeit(
        lambda: store._unseal(Collection.CASES, "COV-2026-001", sealed), number=n
    )
    size = len(json.dumps(data)), len(json.dumps(sealed))
    return (
        f"one case ({size[0]:,} bytes of JSON, {size[1]:,} sealed): seal"
        f" {seal / n * 1e6:.0f} µs, open {unseal / n * 1e6:.0f} µs"
    )


def main() -> None:
    """Print a Markdown table: p50 / p95 ms of each turn, bare and encrypted."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000)
    args = parser.parse_args()
    backends = ["tinydb"] + (["postgres"] if server_answers() else [])
    _out("| store | cases | at rest | help p50 / p95 ms | review step | filing |")
    _out("|---|---|---|---|---|---|")
    for backend in backends:
        for encrypted in (False, True):
            r = _run(backend, args.size, encrypted)
            _out(
                f"| {backend} | {args.size:,} | {'encrypted' if encrypted else 'clear'}"
                f" | {_cell(r, 'help')} | {_cell(r, 'review')} | {_cell(r, 'filing')} |"
            )
    _out(micro())


if __name__ == "__main__":
    main()
