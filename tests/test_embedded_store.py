"""The embedded store refuses a second writer and damage, converts the first layout, and
costs one document per write whatever else is stored."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import Settings
from cli.main import run
from storage.base import Collection
from storage.convert_v0 import BACKUP_DIR
from storage.shards import CorruptStoreError, StoreFormatError, StoreLockedError
from storage.tinydb_store import TinyDBStore
from tests.support.cases import make_case, make_referral
from tests.support.fakes import shared_screen
from tests.support.store_files import CountingReplace, manifest_bytes

ROOT = Path(__file__).resolve().parents[1]
CASE = {"partnership_id": "coventry", "summary": "x" * 1500, "children": [{"i": "AB"}]}


async def _filled(directory: Path, cases: int = 3) -> None:
    store = TinyDBStore(directory)
    for n in range(1, cases + 1):
        await store.put(Collection.CASES, f"COV-2026-{n:03d}", CASE)
        await store.put(Collection.AUDIT, f"COV-2026-{n:03d}/000001", {"what": "filed"})
    await store.put(Collection.STATE, "draft:29:someone", {"step": "child"})
    await store.close()


def _seed_first_layout(directory: Path, cases: int) -> None:
    """A data directory as the first layout wrote it: one TinyDB file per collection."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = {
        str(n): {"key": f"COV-2026-{n:05d}", "etag": f"etag-{n}", "data": CASE}
        for n in range(1, cases + 1)
    }
    (directory / "cases.json").write_text(json.dumps({"documents": documents}))
    trail = {
        "1": {"key": "COV-2026-00001/000001", "etag": "a1", "data": {"what": "filed"}},
        "2": {"key": "COV-2026-00001/000002", "etag": "a2", "data": {"what": "posted"}},
    }
    (directory / "audit.json").write_text(json.dumps({"documents": trail}))
    state = {"1": {"key": "bot:msteams/conversations/a:1", "etag": "s1", "data": {"n": 1}}}
    (directory / "state.json").write_text(json.dumps({"documents": state}))


def _check(directory: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["check-store", "--data-dir", str(directory)], stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


# --- one writer at a time ---------------------------------------------------------------


def test_a_second_writer_in_another_process_is_refused_naming_this_one(
    tmp_path: Path,
) -> None:
    store = TinyDBStore(tmp_path)
    second = subprocess.run(
        [sys.executable, "-m", "tests.support.store_writer", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert f"is in use by process {os.getpid()} on " in second.stderr
    assert second.stdout == ""  # it never opened, so never wrote
    asyncio.run(store.close())


async def _count_cases(directory: Path) -> int:
    reader = TinyDBStore(directory, read_only=True)
    count = len(await reader.list(Collection.CASES))
    await reader.close()
    return count


def test_a_running_writer_is_named_and_readers_still_open_beside_it(tmp_path: Path) -> None:
    asyncio.run(_filled(tmp_path))
    with subprocess.Popen(
        [sys.executable, "-m", "tests.support.store_writer", str(tmp_path), "--hold"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        with pytest.raises(StoreLockedError, match=f"in use by process {holder.pid} on "):
            TinyDBStore(tmp_path)
        assert asyncio.run(_count_cases(tmp_path)) == 3
        assert _check(tmp_path)[0] == 0
        holder.communicate(timeout=30)  # closes its stdin: it lets go
    # Once it has gone, the directory opens again.
    asyncio.run(TinyDBStore(tmp_path).close())


async def test_a_second_writer_in_this_process_is_refused_too(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    with pytest.raises(StoreLockedError, match=f"process {os.getpid()}"):
        TinyDBStore(tmp_path)
    await store.close()
    await TinyDBStore(tmp_path).close()  # the lock went with the close


# --- damage stops start-up --------------------------------------------------------------


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


def _blanked(path: Path) -> None:
    path.write_text("  \n\n ")


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-300])


def _flipped(path: Path) -> None:
    # A byte in the middle of the body (after the header line), whatever the header's length.
    raw = bytearray(path.read_bytes())
    body = raw.index(b"\n") + 1
    raw[body + (len(raw) - body) // 2] ^= 0x20
    path.write_bytes(bytes(raw))


def _headless(path: Path) -> None:
    path.write_bytes(path.read_bytes().split(b"\n", 1)[1])


def _deleted(path: Path) -> None:
    path.unlink()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_emptied, "empty (0 bytes)"),
        (_blanked, "holds only whitespace"),
        (_truncated, "truncated"),
        (_flipped, "checksum mismatch"),
        (_headless, "no format header"),
        (_deleted, "missing: listed in MANIFEST"),
    ],
)
@pytest.mark.parametrize("read_only", [False, True])
async def test_a_damaged_case_file_stops_the_open_naming_it(
    tmp_path: Path, damage: Callable[[Path], None], reason: str, read_only: bool
) -> None:
    await _filled(tmp_path)
    path = tmp_path / "cases" / "COV-2026-002.json"
    damage(path)
    with pytest.raises(CorruptStoreError) as info:
        TinyDBStore(tmp_path, read_only=read_only)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}: {reason}")
    code, output = _check(tmp_path)
    assert code == 1
    assert f"{path}: {reason}" in output
    assert "cases          1 problem(s): 2 file(s)" in output


@pytest.mark.parametrize(
    ("damage", "where", "reason"),
    [
        (_deleted, "cases/MANIFEST", "missing"),
        (_emptied, "cases/MANIFEST", "empty (0 bytes)"),
        (_emptied, "store.json", "empty (0 bytes)"),
        (_flipped, "store.json", "checksum mismatch"),
    ],
)
async def test_a_damaged_record_of_what_is_stored_stops_the_open(
    tmp_path: Path, damage: Callable[[Path], None], where: str, reason: str
) -> None:
    await _filled(tmp_path)
    damage(tmp_path / where)
    with pytest.raises(CorruptStoreError, match=re.escape(f"{tmp_path / where}: {reason}")):
        TinyDBStore(tmp_path)
    assert _check(tmp_path)[0] == 1


async def test_an_emptied_collection_is_not_a_new_empty_one(tmp_path: Path) -> None:
    await _filled(tmp_path)
    for path in (tmp_path / "cases").iterdir():
        path.unlink()
    (tmp_path / "cases").rmdir()
    with pytest.raises(CorruptStoreError, match=r"cases: missing: store\.json lists"):
        TinyDBStore(tmp_path)


async def test_a_lost_store_record_with_documents_beside_it_is_refused(tmp_path: Path) -> None:
    await _filled(tmp_path)
    (tmp_path / "store.json").unlink()
    with pytest.raises(CorruptStoreError, match=r"store\.json: missing while \w+/ holds"):
        TinyDBStore(tmp_path)
    with pytest.raises(CorruptStoreError):
        TinyDBStore(tmp_path, read_only=True)
    assert _check(tmp_path)[0] == 1


async def test_a_file_damaged_while_running_is_refused_and_the_store_not_ready(
    tmp_path: Path,
) -> None:
    await _filled(tmp_path)
    store = TinyDBStore(tmp_path, cache_bytes=0)
    _flipped(tmp_path / "cases" / "COV-2026-001.json")
    with pytest.raises(CorruptStoreError, match=r"COV-2026-001\.json: checksum mismatch"):
        await store.get(Collection.CASES, "COV-2026-001")
    with pytest.raises(CorruptStoreError):
        await store.put(Collection.CASES, "COV-2026-001", {"over": "damage"})
    assert await store.is_ready() is False
    await store.close()


# --- check-store ------------------------------------------------------------------------


async def test_check_store_says_ok_with_counts(tmp_path: Path) -> None:
    await _filled(tmp_path, cases=4)
    code, output = _check(tmp_path)
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == f"{tmp_path}: review-bot/1"
    assert "  cases          OK: 4 file(s), 4 document(s)" in lines
    assert "  audit          OK: 4 file(s), 4 document(s)" in lines
    assert "  state          OK: 1 file(s), 1 document(s)" in lines


async def test_check_store_lists_every_damaged_file(tmp_path: Path) -> None:
    await _filled(tmp_path)
    _flipped(tmp_path / "cases" / "COV-2026-001.json")
    _deleted(tmp_path / "audit" / "COV-2026-003.json")
    code, output = _check(tmp_path)
    assert code == 1
    assert f"{tmp_path}/cases/COV-2026-001.json: checksum mismatch" in output
    assert f"{tmp_path}/audit/COV-2026-003.json: missing: listed in MANIFEST" in output
    assert "2 problem(s)" in output


@pytest.mark.parametrize("remains", ["audit", "deliveries"])
async def test_a_case_file_deleted_with_its_manifest_line_is_found_by_what_it_leaves(
    tmp_path: Path, remains: str
) -> None:
    await _filled(tmp_path)
    store = TinyDBStore(tmp_path)
    try:
        await store.put(Collection.DELIVERIES, "post|COV-2026-002", {"reference": "COV-2026-002"})
        await store.put(Collection.AUDIT, "COV-2026-002/000001", {"reference": "COV-2026-002"})
    finally:
        await store.close()
    # Deleted "cleanly": the case's file and its MANIFEST line, so no listed file is missing.
    (tmp_path / "cases" / "COV-2026-002.json").unlink()
    manifest = tmp_path / "cases" / "MANIFEST"
    manifest.write_text(
        "".join(
            line
            for line in manifest.read_text().splitlines(keepends=True)
            if "COV-2026-002" not in line
        )
    )
    other = "deliveries" if remains == "audit" else "audit"
    (tmp_path / other / "COV-2026-002.json").unlink()
    other_manifest = tmp_path / other / "MANIFEST"
    other_manifest.write_text(
        "".join(
            line
            for line in other_manifest.read_text().splitlines(keepends=True)
            if "COV-2026-002" not in line
        )
    )
    reason = f"missing: {remains}/ holds documents of COV-2026-002"
    with pytest.raises(CorruptStoreError, match=re.escape(reason)):
        TinyDBStore(tmp_path)
    code, output = _check(tmp_path)
    assert code == 1
    assert f"{tmp_path}/cases/COV-2026-002.json: {reason}" in output


def test_check_store_on_something_that_is_not_a_directory_is_a_usage_error(
    tmp_path: Path,
) -> None:
    code, output = _check(tmp_path / "nowhere")
    assert code == 2
    assert "is not a directory" in output


# --- the first layout is converted ------------------------------------------------------


async def test_the_first_layout_is_converted_on_first_open(tmp_path: Path) -> None:
    _seed_first_layout(tmp_path, cases=30)
    code, output = _check(tmp_path)
    assert (code, "first layout") == (0, output.splitlines()[0].split(": ", 1)[1][:12])
    store = TinyDBStore(tmp_path)
    cases = await store.list(Collection.CASES)
    assert [d.key for d in cases] == [f"COV-2026-{n:05d}" for n in range(1, 31)]
    doc = await store.get(Collection.CASES, "COV-2026-00007")
    assert doc is not None
    assert (doc.data, doc.etag) == (CASE, "etag-7")  # e-tags kept: a card's write still lands
    trail = await store.list(Collection.AUDIT, prefix="COV-2026-00001/")
    assert [d.data["what"] for d in trail] == ["filed", "posted"]
    assert await store.get(Collection.STATE, "bot:msteams/conversations/a:1") is not None
    assert not (tmp_path / "cases.json").exists()
    assert sorted(p.name for p in (tmp_path / BACKUP_DIR).iterdir()) == [
        "audit.json",
        "cases.json",
        "state.json",
    ]
    await store.close()
    assert _check(tmp_path)[0] == 0


async def test_a_conversion_that_stopped_part_way_runs_again_from_the_old_files(
    tmp_path: Path,
) -> None:
    _seed_first_layout(tmp_path, cases=5)
    # What a crash mid-way leaves: some folders, some files, no store.json yet.
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "COV-2026-00001.json").write_bytes(b'{"format": "review-bot/1", "by')
    store = TinyDBStore(tmp_path)
    assert len(await store.list(Collection.CASES)) == 5
    await store.close()
    assert _check(tmp_path)[0] == 0


async def test_a_conversion_that_stopped_after_its_record_keeps_the_converted_store(
    tmp_path: Path,
) -> None:
    _seed_first_layout(tmp_path, cases=5)
    store = TinyDBStore(tmp_path)
    await store.put(Collection.CASES, "COV-2026-00006", CASE)
    await store.close()
    # As if it stopped before moving the old files aside: they are no longer the truth.
    os.replace(tmp_path / BACKUP_DIR / "cases.json", tmp_path / "cases.json")
    reopened = TinyDBStore(tmp_path)
    assert len(await reopened.list(Collection.CASES)) == 6
    assert not (tmp_path / "cases.json").exists()
    await reopened.close()


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"   \n", "empty"), (b'{"documents": {"1": {"key"', "invalid JSON")],
)
def test_a_damaged_old_file_is_refused_not_converted(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    _seed_first_layout(tmp_path, cases=2)
    (tmp_path / "cases.json").write_bytes(content)
    with pytest.raises(CorruptStoreError, match=rf"cases\.json: {reason}"):
        TinyDBStore(tmp_path)
    assert (tmp_path / "state.json").exists()  # nothing moved, nothing half done
    assert not (tmp_path / "store.json").exists()


def test_a_reader_does_not_convert_and_says_how(tmp_path: Path) -> None:
    _seed_first_layout(tmp_path, cases=2)
    with pytest.raises(StoreFormatError, match="review-bot serve"):
        TinyDBStore(tmp_path, read_only=True)
    assert (tmp_path / "cases.json").exists()


# --- one document per write -------------------------------------------------------------


async def _bytes_of_filing(directory: Path) -> dict[str, int]:
    store = TinyDBStore(directory)
    counting = CountingReplace()
    store.replace = counting
    listed = manifest_bytes(directory)
    case = make_case(make_referral(), reference="COV-2026-99999")
    await store.put(Collection.CASES, case.reference, case.model_dump(mode="json"))
    await store.put(Collection.AUDIT, f"{case.reference}/000001", {"what": "filed"})
    await store.put(Collection.AUDIT, f"{case.reference}/000002", {"what": "posted"})
    await store.close()
    written = {str(path.relative_to(directory)): n for path, n in counting.written.items()}
    return {**written, "manifests": manifest_bytes(directory) - listed}


async def test_bytes_written_by_a_filing_do_not_grow_with_the_cases_stored(
    tmp_path: Path,
) -> None:
    _seed_first_layout(tmp_path / "few", cases=10)
    _seed_first_layout(tmp_path / "many", cases=2_000)
    few = await _bytes_of_filing(tmp_path / "few")
    many = await _bytes_of_filing(tmp_path / "many")
    assert many == few
    assert sorted(many) == ["audit/COV-2026-99999.json", "cases/COV-2026-99999.json", "manifests"]
    # One case file (the case, about 2 kB) and its small trail: nothing like the 2,000 others.
    assert many["cases/COV-2026-99999.json"] < 4_000
    assert sum(many.values()) < 6_000


# --- readiness over HTTP ----------------------------------------------------------------


async def test_the_app_does_not_start_on_a_damaged_store(settings: Settings) -> None:
    await _filled(settings.data_dir)
    _truncated(settings.data_dir / "cases" / "COV-2026-001.json")
    app = create_app(settings, screen=shared_screen())
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    with pytest.raises(CorruptStoreError, match=r"COV-2026-001\.json: truncated"):
        await client.start_server()
    await client.close()


async def test_readiness_fails_once_damage_is_met(settings: Settings) -> None:
    await _filled(settings.data_dir)
    store = TinyDBStore(settings.data_dir, cache_bytes=0)
    app = create_app(settings, store=store, screen=shared_screen())
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        assert (await client.get("/readyz")).status == 200
        _flipped(settings.data_dir / "cases" / "COV-2026-001.json")
        with pytest.raises(CorruptStoreError):
            await store.list(Collection.CASES)
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["store"] is False
    finally:
        await client.close()
        await store.close()


async def test_a_shared_file_deleted_while_running_is_not_written_over(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path, cache_bytes=0)
    await store.put(Collection.AUDIT, "COV-2026-001/000001", {"what": "filed"})
    _deleted(tmp_path / "audit" / "COV-2026-001.json")
    with pytest.raises(CorruptStoreError, match="missing: deleted while the bot was running"):
        await store.put(Collection.AUDIT, "COV-2026-001/000002", {"what": "posted"})
    assert not (tmp_path / "audit" / "COV-2026-001.json").exists()
    assert await store.is_ready() is False
    await store.close()
