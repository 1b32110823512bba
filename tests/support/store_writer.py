"""A process that writes to a store and says which writes were acknowledged (for crash tests).

`python -m tests.support.store_writer DIR` opens the store, prints `ready`, then puts cases
COV-2026-00001, 00002, … each with an audit entry, printing each key once its writes
returned, until killed. With `--hold` it only opens the store and waits for stdin to close.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage.base import Collection
from storage.tinydb_store import TinyDBStore


async def _write(directory: Path) -> None:
    store = await TinyDBStore.open(directory)
    start = len(await store.list(Collection.CASES)) + 1
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for n in range(start, start + 100_000):
        key = f"COV-2026-{n:05d}"
        await store.put(Collection.CASES, key, {"n": n, "text": "x" * 500}, if_none_match=True)
        await store.put(Collection.AUDIT, f"{key}/000001", {"n": n}, if_none_match=True)
        sys.stdout.write(f"{key}\n")
        sys.stdout.flush()


def _hold(directory: Path) -> None:
    store = TinyDBStore(directory)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()
    asyncio.run(store.close())


def main() -> None:
    """Write until killed, or hold the store open."""
    directory = Path(sys.argv[1])
    if "--hold" in sys.argv:
        _hold(directory)
    else:
        asyncio.run(_write(directory))


if __name__ == "__main__":
    main()
