"""TinyDB backend: a crash (simulated, or a real kill -9) loses no acknowledged write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage.base import Collection
from storage.shards import TMP_PREFIX, decode, shard_documents
from storage.tinydb_store import CorruptStoreError, ReadOnlyStoreError, TinyDBStore


class SimulatedCrashError(RuntimeError):
    """Stands in for the process dying at the worst moment."""


def _crash(src: str, dst: Path) -> None:
    raise SimulatedCrashError("power lost before rename")


def _temp_files(root: Path) -> list[str]:
    return [p.name for p in root.rglob(f"{TMP_PREFIX}*")]


async def test_crash_before_rename_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-001", {"v": "acknowledged"})
    await store.put(Collection.AUDIT, "COV-2026-001/000001", {"v": "acknowledged"})
    store.replace = _crash
    with pytest.raises(SimulatedCrashError):
        await store.put(Collection.CASES, "COV-2026-002", {"v": "never acknowledged"})
    with pytest.raises(SimulatedCrashError):
        await store.put(Collection.CASES, "COV-2026-001", {"v": "overwrite lost"})
    with pytest.raises(SimulatedCrashError):
        # A numbered entry shares its file with the entries before it: they must survive.
        await store.put(Collection.AUDIT, "COV-2026-001/000002", {"v": "never acknowledged"})
    with pytest.raises(SimulatedCrashError):
        await store.delete(Collection.CASES, "COV-2026-001")
    # The in-process view did not move either: the failed writes left no trace.
    doc = await store.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"v": "acknowledged"}
    assert await store.get(Collection.CASES, "COV-2026-002") is None
    assert [d.key for d in await store.list(Collection.AUDIT)] == ["COV-2026-001/000001"]
    # The process "dies": its lock goes with it.
    await store.close()

    reopened = TinyDBStore(tmp_path)
    doc = await reopened.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"v": "acknowledged"}
    assert await reopened.get(Collection.CASES, "COV-2026-002") is None
    assert [d.key for d in await reopened.list(Collection.AUDIT)] == ["COV-2026-001/000001"]
    assert _temp_files(tmp_path) == []
    await reopened.put(Collection.CASES, "COV-2026-002", {"v": "after restart"})
    assert len(await reopened.list(Collection.CASES)) == 2
    await reopened.close()


async def test_a_half_written_temp_file_is_ignored_and_removed_on_open(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-001", {"v": 1})
    await store.close()
    (tmp_path / "cases" / f"{TMP_PREFIX}COV-2026-002.jsonabc").write_text('{"format": "rev')
    reopened = TinyDBStore(tmp_path)
    assert [d.key for d in await reopened.list(Collection.CASES)] == ["COV-2026-001"]
    assert _temp_files(tmp_path) == []
    await reopened.close()


async def test_a_file_renamed_into_place_but_not_yet_listed_is_kept(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-001", {"v": 1})
    await store.put(Collection.CASES, "COV-2026-002", {"v": 2})
    await store.close()
    manifest = tmp_path / "cases" / "MANIFEST"
    lines = manifest.read_text().splitlines(keepends=True)
    # As if the process died after the rename, half way through listing the file.
    manifest.write_text("".join(lines[:-1]) + lines[-1][:5])
    reopened = TinyDBStore(tmp_path)
    assert [d.key for d in await reopened.list(Collection.CASES)] == [
        "COV-2026-001",
        "COV-2026-002",
    ]
    await reopened.close()
    assert manifest.read_text().splitlines() == [line.strip() for line in lines]


async def test_each_file_is_complete_and_checksummed_after_each_write(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    trail = tmp_path / "audit" / "COV-2026-001.json"
    for n in range(1, 6):
        await store.put(Collection.AUDIT, f"COV-2026-001/{n:06d}", {"n": n})
        body = decode(trail, "audit", trail.read_bytes())
        assert sorted(shard_documents(trail, body)) == [
            f"COV-2026-001/{i:06d}" for i in range(1, n + 1)
        ]
    await store.close()


def _mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


async def test_a_write_touches_only_its_own_file(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    for n in range(50):
        await store.put(Collection.CASES, f"COV-2026-{n:03}", {"n": n, "text": "x" * 200})
    before = _mtimes(tmp_path)
    await store.put(Collection.CASES, "COV-2026-007", {"n": 7, "text": "changed"})
    await store.put(Collection.STATE, "bot/conversation", {"step": 1})
    after = _mtimes(tmp_path)
    changed = sorted(name for name, mtime in after.items() if before.get(name) != mtime)
    state_file = next(p for p in changed if p.startswith("state/") and p != "state/MANIFEST")
    assert changed == sorted(["cases/COV-2026-007.json", state_file, "state/MANIFEST"])
    assert (tmp_path / state_file).stat().st_size < 400
    await store.close()


async def test_a_flipped_byte_is_reported_by_file_name(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-001", {"v": "kept"})
    await store.close()
    path = tmp_path / "cases" / "COV-2026-001.json"
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptStoreError, match=r"cases/COV-2026-001\.json: checksum mismatch"):
        TinyDBStore(tmp_path)


async def test_a_read_only_reader_leaves_a_writers_temp_files_and_cannot_write(
    tmp_path: Path,
) -> None:
    writer = TinyDBStore(tmp_path)
    await writer.put(Collection.CASES, "COV-2026-001", {"v": 1})
    in_flight = tmp_path / "cases" / f"{TMP_PREFIX}COV-2026-002.jsonXYZ"
    in_flight.write_text("{}")  # as if the running bot were mid-write
    reader = TinyDBStore(tmp_path, read_only=True)
    assert in_flight.exists()
    doc = await reader.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    with pytest.raises(ReadOnlyStoreError):
        await reader.put(Collection.CASES, "COV-2026-002", {"v": 2})
    assert await writer.get(Collection.CASES, "COV-2026-002") is None
    await reader.close()
    await writer.close()


ROOT = Path(__file__).resolve().parents[1]


def _start_writer(directory: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.store_writer", str(directory)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_kill_9_while_writing_loses_nothing_acknowledged(tmp_path: Path) -> None:
    acknowledged: list[str] = []
    for round_ in range(3):
        writer = _start_writer(tmp_path)
        assert writer.stdout is not None
        try:
            assert writer.stdout.readline() == "ready\n", writer.stderr
            # Killed mid-stream at a different point each round: after 7, 13, 19 more writes.
            for _ in range(7 + 6 * round_):
                acknowledged.append(writer.stdout.readline().strip())
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.communicate()
    store = TinyDBStore(tmp_path)
    cases = {d.key: d.data for d in await store.list(Collection.CASES)}
    for key in acknowledged:
        assert cases[key]["n"] == int(key.rsplit("-", 1)[1])
        trail = await store.list(Collection.AUDIT, prefix=f"{key}/")
        assert [d.data for d in trail] == [{"n": cases[key]["n"]}]
    await store.close()
