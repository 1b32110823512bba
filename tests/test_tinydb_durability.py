"""TinyDB backend: atomic writes survive a crash between the temp write and the rename."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from storage.base import Collection
from storage.tinydb_store import CorruptStoreError, TinyDBStore


class SimulatedCrashError(RuntimeError):
    """Stands in for the process dying at the worst moment."""


def _crash(src: str, dst: Path) -> None:
    raise SimulatedCrashError("power lost before rename")


async def test_crash_before_rename_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-001", {"v": "acknowledged"})
    store.storage_of(Collection.CASES).replace = _crash
    with pytest.raises(SimulatedCrashError):
        await store.put(Collection.CASES, "COV-2026-002", {"v": "never acknowledged"})
    with pytest.raises(SimulatedCrashError):
        await store.put(Collection.CASES, "COV-2026-001", {"v": "overwrite lost"})
    # The in-process view did not move either: the failed writes left no trace.
    doc = await store.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"v": "acknowledged"}
    assert await store.get(Collection.CASES, "COV-2026-002") is None

    # "Restart": a new store over the same files, with the crashed temp files still lying there.
    reopened = TinyDBStore(tmp_path)
    doc = await reopened.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"v": "acknowledged"}
    assert await reopened.get(Collection.CASES, "COV-2026-002") is None
    assert not [p.name for p in os.scandir(tmp_path) if p.name.startswith(".tmp-")]
    await reopened.put(Collection.CASES, "COV-2026-002", {"v": "after restart"})
    assert len(await reopened.list(Collection.CASES)) == 2


async def test_a_half_written_temp_file_is_ignored_on_open(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-001", {"v": 1})
    await store.close()
    (tmp_path / ".tmp-cases.jsonabc").write_text('{"documents": {"1": {"key": "tr')
    reopened = TinyDBStore(tmp_path)
    assert len(await reopened.list(Collection.CASES)) == 1


async def test_the_file_on_disk_is_complete_json_after_each_write(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    for n in range(5):
        await store.put(Collection.AUDIT, f"entry-{n}", {"n": n})
        on_disk = json.loads((tmp_path / "audit.json").read_text())
        assert len(on_disk["documents"]) == n + 1


async def test_dialog_state_lives_apart_from_cases(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    for n in range(50):
        await store.put(Collection.CASES, f"COV-2026-{n:03}", {"n": n, "text": "x" * 200})
    before = (tmp_path / "cases.json").stat().st_mtime_ns
    await store.put(Collection.STATE, "bot/conversation", {"step": 1})
    assert (tmp_path / "cases.json").stat().st_mtime_ns == before
    assert (tmp_path / "state.json").stat().st_size < 1000


def test_a_corrupt_file_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "cases.json").write_text("{not json")
    with pytest.raises(CorruptStoreError, match=r"cases\.json"):
        TinyDBStore(tmp_path)


async def test_a_read_only_reader_leaves_a_writers_temp_files_and_cannot_write(
    tmp_path: Path,
) -> None:
    from storage.tinydb_store import ReadOnlyStoreError

    writer = TinyDBStore(tmp_path)
    await writer.put(Collection.CASES, "COV-2026-001", {"v": 1})
    in_flight = tmp_path / ".tmp-cases.jsonXYZ"
    in_flight.write_text("{}")  # as if the running bot were mid-write
    reader = TinyDBStore(tmp_path, read_only=True)
    assert in_flight.exists()
    doc = await reader.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    with pytest.raises(ReadOnlyStoreError):
        await reader.put(Collection.CASES, "COV-2026-002", {"v": 2})
    assert await writer.get(Collection.CASES, "COV-2026-002") is None
