"""Fake stores: one in memory, one that crashes on a chosen write over any other store, and a
base for wrappers that watch another store's calls."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.base import (
    Collection,
    ConflictError,
    Document,
    JsonDict,
    Store,
    StoreClosedError,
    StoreError,
    Versions,
    check_key,
)
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore


def _copy(data: Mapping[str, Any]) -> JsonDict:
    copied: JsonDict = json.loads(json.dumps(data, ensure_ascii=False))
    return copied


class MemoryStore:
    """The Store contract in a dict: nothing survives the object, as a fake should."""

    def __init__(self) -> None:
        self._docs: dict[tuple[str, str], tuple[JsonDict, str]] = {}
        self._closed = False

    def reopened(self) -> MemoryStore:
        """Another open store over the same documents, as after a restart of a durable one."""
        again = MemoryStore()
        again._docs = self._docs
        return again

    def _open(self) -> None:
        if self._closed:
            raise StoreClosedError()

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The document under key, or None."""
        self._open()
        check_key(key)
        found = self._docs.get((collection.value, key))
        return Document(key=key, data=_copy(found[0]), etag=found[1]) if found else None

    async def put(
        self,
        collection: Collection,
        key: str,
        data: Mapping[str, Any],
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Write a document; return its new e-tag."""
        self._open()
        check_key(key)
        current = self._docs.get((collection.value, key))
        actual = current[1] if current else None
        if if_none_match and current is not None:
            raise ConflictError(collection, key, expected=None, actual=actual)
        if if_match is not None and if_match != actual:
            raise ConflictError(collection, key, expected=if_match, actual=actual)
        etag = uuid.uuid4().hex
        self._docs[(collection.value, key)] = (_copy(data), etag)
        return etag

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete a document; return whether it existed."""
        self._open()
        check_key(key)
        current = self._docs.get((collection.value, key))
        if if_match is not None and (current is None or current[1] != if_match):
            raise ConflictError(
                collection, key, expected=if_match, actual=current[1] if current else None
            )
        return self._docs.pop((collection.value, key), None) is not None

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """Documents of a collection in key order, filtered by key prefix and field values."""
        self._open()
        conditions = dict(where or {})
        found = [
            Document(key=key, data=_copy(data), etag=etag)
            for (name, key), (data, etag) in self._docs.items()
            if name == collection.value
            and (prefix is None or key.startswith(prefix))
            and all(data.get(f) == v for f, v in conditions.items())
        ]
        return sorted(found, key=lambda d: d.key)

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """(key, e-tag) of what `list` would return."""
        return [(d.key, d.etag) for d in await self.list(collection, where=where, prefix=prefix)]

    async def is_ready(self) -> bool:
        """Whether the store is open."""
        return not self._closed

    async def close(self) -> None:
        """Refuse every later call."""
        self._closed = True


class ForwardingStore:
    """Another store's every call, each run inside `_call()`: a wrapper overrides only that, or
    the calls it watches."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        yield

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The inner store's document."""
        with self._call():
            return await self.inner.get(collection, key)

    async def put(
        self,
        collection: Collection,
        key: str,
        data: Mapping[str, Any],
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Write through."""
        with self._call():
            return await self.inner.put(
                collection, key, data, if_match=if_match, if_none_match=if_none_match
            )

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete through."""
        with self._call():
            return await self.inner.delete(collection, key, if_match=if_match)

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """The inner store's listing."""
        with self._call():
            return await self.inner.list(collection, where=where, prefix=prefix)

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """The inner store's e-tags."""
        with self._call():
            return await self.inner.etags(collection, where=where, prefix=prefix)

    async def is_ready(self) -> bool:
        """Whether the inner store is ready."""
        return await self.inner.is_ready()

    async def close(self) -> None:
        """Close the inner store."""
        await self.inner.close()


class InjectedCrashError(StoreError):
    """The process "died" at a write a test chose (raised instead of carrying on)."""

    def __init__(self, collection: Collection, key: str, *, landed: bool) -> None:
        self.collection = collection
        self.key = key
        self.landed = landed
        super().__init__(f"crash at {collection.value}/{key} ({'after' if landed else 'before'})")


@dataclass(frozen=True)
class Put:
    """One write that reached the crashing store."""

    collection: Collection
    key: str


class CrashingStore:
    """Another store, which raises InjectedCrashError at the Nth put once armed.

    `landed=True` lets that write reach the store first, as a process dying just after its
    write was acknowledged; otherwise the write never happens. Reads pass straight through.
    """

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.puts: list[Put] = []
        self._countdown: int | None = None
        self._landed = False
        self._only: Collection | None = None

    def crash_on_put(
        self, n: int, *, landed: bool = False, collection: Collection | None = None
    ) -> None:
        """Crash at the nth put from now (1 is the next), of `collection` if given."""
        self._countdown = n
        self._landed = landed
        self._only = collection

    def disarm(self) -> None:
        """Stop crashing."""
        self._countdown = None

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The inner store's document."""
        return await self.inner.get(collection, key)

    async def put(
        self,
        collection: Collection,
        key: str,
        data: Mapping[str, Any],
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Write through, unless this is the write chosen to crash."""
        self.puts.append(Put(collection, key))
        if self._countdown is not None and self._only in (None, collection):
            self._countdown -= 1
            if self._countdown == 0:
                self._countdown = None
                if self._landed:
                    await self.inner.put(
                        collection, key, data, if_match=if_match, if_none_match=if_none_match
                    )
                raise InjectedCrashError(collection, key, landed=self._landed)
        return await self.inner.put(
            collection, key, data, if_match=if_match, if_none_match=if_none_match
        )

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete in the inner store."""
        return await self.inner.delete(collection, key, if_match=if_match)

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """The inner store's listing."""
        return await self.inner.list(collection, where=where, prefix=prefix)

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """The inner store's listing of e-tags."""
        return await self.inner.etags(collection, where=where, prefix=prefix)

    async def is_ready(self) -> bool:
        """Whether the inner store is ready."""
        return await self.inner.is_ready()

    async def close(self) -> None:
        """Nothing of its own to close: the inner store is the test's."""


async def open_backend(request: pytest.FixtureRequest, directory: Path) -> Store:
    """A fresh store of the backend a parametrised fixture names: "tinydb" (in `directory`),
    "memory", or "postgres" (a database of the test's own; skipped when no server answers)."""
    if request.param == "tinydb":
        return TinyDBStore(directory)
    if request.param == "memory":
        return MemoryStore()
    if request.param == "postgres":
        return await PostgresStore.open(request.getfixturevalue("postgres_url"))
    raise ValueError(f"no such backend: {request.param}")
