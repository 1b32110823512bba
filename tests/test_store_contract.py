"""One contract for every Store backend: each test runs against each implementation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from storage.base import Collection, ConflictError, InvalidKeyError, Store, StoreClosedError
from storage.encrypted import EncryptedStore
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore
from tests.support.keys import keyring
from tests.support.stores import MemoryStore

StoreFactory = Callable[[], Awaitable[Store]]


@pytest.fixture(
    params=[
        "tinydb",
        "memory",
        pytest.param("postgres", marks=pytest.mark.postgres),
        # The encryption at rest the app always runs on, over each real backend.
        "encrypted-tinydb",
        pytest.param("encrypted-postgres", marks=pytest.mark.postgres),
    ]
)
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Opens a store of the backend under test; several opens see the same data."""
    opened: list[Store] = []
    # The in-memory fake (tests/support) keeps to the same contract, so tests over it count.
    shared = MemoryStore()
    backend = request.param.removeprefix("encrypted-")
    # A database of this test's own (skipped only when no PostgreSQL server answers).
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else ""

    async def factory() -> Store:
        if backend == "tinydb":
            store: Store = TinyDBStore(tmp_path / "store")
        elif backend == "memory":
            store = shared.reopened()
        elif backend == "postgres":
            store = await PostgresStore.open(url)
        else:  # pragma: no cover - new backends are added here
            raise AssertionError(request.param)
        if request.param.startswith("encrypted-"):
            store = await EncryptedStore.open(store, keyring())
        opened.append(store)
        return store

    yield factory
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: StoreFactory) -> Store:
    return await open_store()


async def test_put_then_get_returns_the_data_and_etag(store: Store) -> None:
    etag = await store.put(Collection.CASES, "COV-2026-001", {"a": 1, "nested": {"b": [1, 2]}})
    doc = await store.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"a": 1, "nested": {"b": [1, 2]}}
    assert doc.etag == etag


async def test_missing_key_is_none(store: Store) -> None:
    assert await store.get(Collection.CASES, "nothing") is None


async def test_every_write_changes_the_etag(store: Store) -> None:
    first = await store.put(Collection.STATE, "k", {"v": 1})
    second = await store.put(Collection.STATE, "k", {"v": 1})
    assert first != second


async def test_collections_are_separate(store: Store) -> None:
    await store.put(Collection.CASES, "same-key", {"where": "cases"})
    await store.put(Collection.STATE, "same-key", {"where": "state"})
    cases = await store.get(Collection.CASES, "same-key")
    state = await store.get(Collection.STATE, "same-key")
    assert cases is not None
    assert state is not None
    assert (cases.data["where"], state.data["where"]) == ("cases", "state")


async def test_returned_data_is_a_copy(store: Store) -> None:
    await store.put(Collection.CASES, "k", {"list": [1]})
    doc = await store.get(Collection.CASES, "k")
    assert doc is not None
    doc.data["list"].append(2)
    again = await store.get(Collection.CASES, "k")
    assert again is not None
    assert again.data == {"list": [1]}


async def test_if_match_with_the_current_etag_writes(store: Store) -> None:
    etag = await store.put(Collection.CASES, "k", {"v": 1})
    await store.put(Collection.CASES, "k", {"v": 2}, if_match=etag)
    doc = await store.get(Collection.CASES, "k")
    assert doc is not None
    assert doc.data == {"v": 2}


async def test_if_match_with_a_stale_etag_conflicts_and_changes_nothing(store: Store) -> None:
    stale = await store.put(Collection.CASES, "k", {"v": 1})
    await store.put(Collection.CASES, "k", {"v": 2}, if_match=stale)
    with pytest.raises(ConflictError) as info:
        await store.put(Collection.CASES, "k", {"v": 3}, if_match=stale)
    assert info.value.key == "k"
    doc = await store.get(Collection.CASES, "k")
    assert doc is not None
    assert doc.data == {"v": 2}


async def test_if_match_on_a_missing_document_conflicts(store: Store) -> None:
    with pytest.raises(ConflictError):
        await store.put(Collection.CASES, "gone", {"v": 1}, if_match="some-etag")
    assert await store.get(Collection.CASES, "gone") is None


async def test_if_none_match_creates_only_once(store: Store) -> None:
    await store.put(Collection.CASES, "COV-2026-001", {"v": 1}, if_none_match=True)
    with pytest.raises(ConflictError):
        await store.put(Collection.CASES, "COV-2026-001", {"v": 2}, if_none_match=True)
    doc = await store.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"v": 1}


async def test_concurrent_writers_with_the_same_etag_one_wins(store: Store) -> None:
    etag = await store.put(Collection.CASES, "k", {"decided_by": None})

    async def decide(who: str) -> str:
        try:
            await store.put(Collection.CASES, "k", {"decided_by": who}, if_match=etag)
        except ConflictError:
            return "conflict"
        return "won"

    results = await asyncio.gather(*(decide(f"lead-{i}") for i in range(8)))
    assert sorted(results) == ["conflict"] * 7 + ["won"]
    doc = await store.get(Collection.CASES, "k")
    assert doc is not None
    winner = results.index("won")
    assert doc.data == {"decided_by": f"lead-{winner}"}


async def test_concurrent_creators_one_wins(store: Store) -> None:
    async def create(n: int) -> bool:
        try:
            await store.put(Collection.CASES, "COV-2026-002", {"n": n}, if_none_match=True)
        except ConflictError:
            return False
        return True

    results = await asyncio.gather(*(create(n) for n in range(5)))
    assert results.count(True) == 1


async def test_delete(store: Store) -> None:
    etag = await store.put(Collection.STATE, "k", {"v": 1})
    with pytest.raises(ConflictError):
        await store.delete(Collection.STATE, "k", if_match="stale")
    assert await store.delete(Collection.STATE, "k", if_match=etag) is True
    assert await store.get(Collection.STATE, "k") is None
    assert await store.delete(Collection.STATE, "k") is False


async def test_list_filters_on_top_level_fields(store: Store) -> None:
    await store.put(Collection.CASES, "COV-2026-001", {"partnership": "coventry", "open": True})
    await store.put(Collection.CASES, "COV-2026-002", {"partnership": "coventry", "open": False})
    await store.put(Collection.CASES, "HUL-2026-001", {"partnership": "hull", "open": True})
    everything = await store.list(Collection.CASES)
    assert [d.key for d in everything] == ["COV-2026-001", "COV-2026-002", "HUL-2026-001"]
    open_coventry = await store.list(
        Collection.CASES, where={"partnership": "coventry", "open": True}
    )
    assert [d.key for d in open_coventry] == ["COV-2026-001"]


async def test_list_by_key_prefix_in_key_order(store: Store) -> None:
    for key in [
        "COV-2026-001/000002",
        "COV-2026-001/000001",
        "COV-2026-0010/000001",
        "COV-2026-002/000001",
    ]:
        await store.put(Collection.AUDIT, key, {"reference": key.split("/")[0]})
    trail = await store.list(Collection.AUDIT, prefix="COV-2026-001/")
    assert [d.key for d in trail] == ["COV-2026-001/000001", "COV-2026-001/000002"]
    assert await store.list(Collection.AUDIT, prefix="HUL-") == []
    both = await store.list(
        Collection.AUDIT, prefix="COV-2026-00", where={"reference": "COV-2026-002"}
    )
    assert [d.key for d in both] == ["COV-2026-002/000001"]


async def test_key_order_is_code_point_order_whatever_the_case_and_punctuation(
    store: Store,
) -> None:
    keys = ["b", "B", "a", "A", "_x", "-x", ".x", "a-b", "a.b", "a/b", "a:b", "a_b", "a|b"]
    keys += ["Z9", "z9", "9z", "a@b", "a+b", "a=b", "é", "ß", "a;b", "ab", "aB", "Ab"]
    for key in keys:
        await store.put(Collection.STATE, key, {"k": key})
    assert [d.key for d in await store.list(Collection.STATE)] == sorted(keys)
    assert [d.key for d in await store.list(Collection.STATE, prefix="a")] == sorted(
        k for k in keys if k.startswith("a")
    )


async def test_where_is_equality_not_containment(store: Store) -> None:
    await store.put(Collection.CASES, "k1", {"tags": [1, 2], "who": {"a": 1, "b": 2}})
    await store.put(Collection.CASES, "k2", {"tags": [1], "who": {"a": 1}})
    assert [d.key for d in await store.list(Collection.CASES, where={"tags": [1]})] == ["k2"]
    assert [d.key for d in await store.list(Collection.CASES, where={"who": {"a": 1}})] == ["k2"]
    assert [d.key for d in await store.list(Collection.CASES, where={"tags": [1, 2]})] == ["k1"]


async def test_data_survives_reopening(open_store: StoreFactory) -> None:
    first = await open_store()
    etag = await first.put(Collection.CASES, "COV-2026-001", {"v": "kept"})
    await first.close()
    second = await open_store()
    doc = await second.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert (doc.data, doc.etag) == ({"v": "kept"}, etag)


async def test_invalid_keys_are_refused(store: Store) -> None:
    for key in ["", "x" * 500, "has space", "new\nline"]:
        with pytest.raises(InvalidKeyError):
            await store.put(Collection.CASES, key, {})


async def test_non_json_data_is_refused_and_nothing_written(store: Store) -> None:
    with pytest.raises(TypeError):
        await store.put(Collection.CASES, "k", {"when": object()})
    assert await store.get(Collection.CASES, "k") is None


async def test_closed_store_refuses_work_and_is_not_ready(store: Store) -> None:
    assert await store.is_ready() is True
    await store.close()
    assert await store.is_ready() is False
    with pytest.raises(StoreClosedError):
        await store.get(Collection.CASES, "k")


async def test_numbered_entries_are_separate_documents(store: Store) -> None:
    first = await store.put(Collection.AUDIT, "COV-2026-001/000001", {"n": 1})
    await store.put(Collection.AUDIT, "COV-2026-001/000002", {"n": 2})
    # A sibling's write does not move this one's e-tag, and deleting one keeps the other.
    await store.put(Collection.AUDIT, "COV-2026-001/000001", {"n": 10}, if_match=first)
    assert await store.delete(Collection.AUDIT, "COV-2026-001/000002") is True
    trail = await store.list(Collection.AUDIT, prefix="COV-2026-001/")
    assert [(d.key, d.data) for d in trail] == [("COV-2026-001/000001", {"n": 10})]


async def test_concurrent_creators_of_different_entries_all_win(
    open_store: StoreFactory,
) -> None:
    store = await open_store()
    # A trail follows its case (the embedded store refuses a trail whose case is gone).
    await store.put(Collection.CASES, "COV-2026-001", {"partnership_id": "coventry"})

    async def append(n: int) -> None:
        await store.put(Collection.AUDIT, f"COV-2026-001/{n:06d}", {"n": n}, if_none_match=True)

    await asyncio.gather(*(append(n) for n in range(1, 21)))
    await store.close()
    reopened = await open_store()
    trail = await reopened.list(Collection.AUDIT, prefix="COV-2026-001/")
    assert [d.data["n"] for d in trail] == list(range(1, 21))


async def test_list_where_follows_updates_and_deletes(store: Store) -> None:
    await store.put(Collection.CASES, "COV-2026-001", {"partnership_id": "coventry"})
    etag = await store.put(Collection.CASES, "COV-2026-002", {"partnership_id": "coventry"})
    await store.put(Collection.CASES, "COV-2026-002", {"partnership_id": "hull"}, if_match=etag)
    await store.delete(Collection.CASES, "COV-2026-001")
    coventry = await store.list(Collection.CASES, where={"partnership_id": "coventry"})
    hull = await store.list(Collection.CASES, where={"partnership_id": "hull"})
    assert ([d.key for d in coventry], [d.key for d in hull]) == ([], ["COV-2026-002"])


async def test_list_where_compares_any_json_value(store: Store) -> None:
    long_text = "x" * 500
    await store.put(Collection.DELIVERIES, "a", {"state": "sent", "reason": long_text})
    await store.put(Collection.DELIVERIES, "b", {"state": {"nested": [1, 2]}})
    await store.put(Collection.DELIVERIES, "c", {"state": None, "attempts": 2})
    await store.put(Collection.DELIVERIES, "d", {"attempts": 2.0})

    async def keys(**where: object) -> list[str]:
        return [d.key for d in await store.list(Collection.DELIVERIES, where=where)]

    assert await keys(reason=long_text) == ["a"]
    assert await keys(state={"nested": [1, 2]}) == ["b"]
    assert await keys(state=None) == ["c", "d"]  # a missing field counts as null
    assert await keys(attempts=2) == ["c", "d"]
    assert await keys(state="sent", reason="other") == []


@pytest.mark.parametrize("collection", list(Collection))
async def test_every_collection_keeps_documents(store: Store, collection: Collection) -> None:
    etag = await store.put(collection, "key:1/000001", {"in": collection.value})
    doc = await store.get(collection, "key:1/000001")
    assert doc is not None
    assert (doc.data, doc.etag) == ({"in": collection.value}, etag)
    assert [d.key for d in await store.list(collection, prefix="key:1/")] == ["key:1/000001"]


# --- e-tags without the documents: what a reminder tick lists to see which cases changed ---


async def _same_as_list(store: Store, collection: Collection, **how: Any) -> list[str]:
    """The keys `etags` lists, checked against `list`'s keys and e-tags."""
    listed = await store.etags(collection, **how)
    assert listed == [(d.key, d.etag) for d in await store.list(collection, **how)]
    return [key for key, _ in listed]


@pytest.mark.parametrize("collection", [Collection.CASES, Collection.DELIVERIES])
async def test_etags_lists_what_list_lists_without_the_documents(
    store: Store, collection: Collection
) -> None:
    first = await store.put(collection, "COV-2026-002", {"partnership_id": "coventry", "n": 1})
    await store.put(collection, "COV-2026-001", {"partnership_id": "coventry", "n": 2})
    await store.put(collection, "HUL-2026-001", {"partnership_id": "hull", "n": 1})
    assert await store.etags(collection, where={"partnership_id": "coventry"}) == [
        ("COV-2026-001", (await _etag(store, collection, "COV-2026-001"))),
        ("COV-2026-002", first),
    ]
    assert await _same_as_list(store, collection) == [
        "COV-2026-001",
        "COV-2026-002",
        "HUL-2026-001",
    ]
    assert await _same_as_list(store, collection, prefix="COV-") == ["COV-2026-001", "COV-2026-002"]
    assert await _same_as_list(store, collection, prefix="COV-", where={"n": 1}) == ["COV-2026-002"]
    assert await _same_as_list(store, collection, where={"partnership_id": "leeds"}) == []


async def _etag(store: Store, collection: Collection, key: str) -> str:
    doc = await store.get(collection, key)
    assert doc is not None
    return doc.etag


async def test_etags_follow_every_write_and_delete(store: Store) -> None:
    etag = await store.put(Collection.CASES, "COV-2026-001", {"status": "referred"})
    await store.put(Collection.CASES, "COV-2026-002", {"status": "referred"})
    # Read once (an embedded store keeps what it read), then changed: the listing follows.
    assert (await store.etags(Collection.CASES))[0] == ("COV-2026-001", etag)
    moved = await store.put(
        Collection.CASES, "COV-2026-001", {"status": "rapid_review"}, if_match=etag
    )
    await store.delete(Collection.CASES, "COV-2026-002")
    assert await store.etags(Collection.CASES) == [("COV-2026-001", moved)]
    assert await store.etags(Collection.CASES, where={"status": "referred"}) == []
    again = await store.put(Collection.CASES, "COV-2026-002", {"status": "referred"})
    assert await store.etags(Collection.CASES, where={"status": "referred"}) == [
        ("COV-2026-002", again)
    ]


async def test_etags_of_a_reopened_store_are_those_written(open_store: StoreFactory) -> None:
    first = await open_store()
    written = [await first.put(Collection.CASES, f"COV-2026-00{n}", {"n": n}) for n in (1, 2)]
    await first.close()
    again = await open_store()
    assert await again.etags(Collection.CASES) == list(
        zip(["COV-2026-001", "COV-2026-002"], written, strict=True)
    )


async def test_etags_compare_any_json_value_as_list_does(store: Store) -> None:
    long_text = "x" * 500
    await store.put(Collection.CASES, "a", {"state": "sent", "reason": long_text})
    await store.put(Collection.CASES, "b", {"state": {"nested": [1, 2]}})
    await store.put(Collection.CASES, "c", {"state": None, "attempts": 2})
    await store.put(Collection.CASES, "d", {"attempts": 2.0})
    assert await _same_as_list(store, Collection.CASES, where={"reason": long_text}) == ["a"]
    assert await _same_as_list(store, Collection.CASES, where={"state": {"nested": [1, 2]}}) == [
        "b"
    ]
    assert await _same_as_list(store, Collection.CASES, where={"state": None}) == ["c", "d"]
    assert await _same_as_list(store, Collection.CASES, where={"attempts": 2}) == ["c", "d"]
