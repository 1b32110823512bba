"""The embedded Store: one TinyDB file per collection, written atomically (temp, fsync, rename)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from storage.base import (
    Collection,
    ConflictError,
    Document,
    JsonDict,
    StoreClosedError,
    StoreError,
    check_key,
)

logger = logging.getLogger(__name__)

_TMP_PREFIX = ".tmp-"


class ReadOnlyStoreError(StoreError):
    """A write to a store opened read-only (by a command-line tool beside a running bot)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path.name}: opened read-only")


class CorruptStoreError(StoreError):
    """A data file that is not the JSON this store wrote."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: cannot be read ({reason})")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file and keeps the parsed file in memory.

    The file is replaced whole by rename after the new content is on disk, so a crash leaves
    either the old or the new version. Only this process writes the file.
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        # A hook for tests that simulate a crash between the temp write and the rename.
        self.replace: Callable[[str, Path], None] = os.replace
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for stale in self.path.parent.glob(f"{_TMP_PREFIX}{self.path.name}*"):
                # Left by a crash before its rename: never acknowledged, safe to drop. (A
                # read-only reader leaves them: they may be a running server's write.)
                stale.unlink(missing_ok=True)
        self._cache: dict[str, Any] | None = self._load()

    def _load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorruptStoreError(self.path, f"invalid JSON at line {exc.lineno}") from None
        if not isinstance(data, dict):
            raise CorruptStoreError(self.path, "not a JSON object")
        return data

    def read(self) -> dict[str, Any] | None:
        """The whole file as TinyDB expects it."""
        return self._cache

    def write(self, data: dict[str, Any]) -> None:
        """Replace the file atomically and durably with `data`."""
        if self.read_only:
            raise ReadOnlyStoreError(self.path)
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        fd, tmp_name = tempfile.mkstemp(
            prefix=f"{_TMP_PREFIX}{self.path.name}", dir=self.path.parent
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            self.replace(tmp_name, self.path)
            _fsync_dir(self.path.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            # TinyDB mutated the cached dict before calling write: the disk is the truth.
            self._cache = self._load()
            raise
        self._cache = data

    def close(self) -> None:
        """Nothing to release: every write is already on disk."""


class _Table:
    """One collection: a TinyDB database file plus an in-memory index from key to doc id."""

    def __init__(self, path: Path, read_only: bool) -> None:
        self.lock = threading.Lock()
        self.db = TinyDB(path, storage=AtomicJSONStorage, read_only=read_only)
        self.table = self.db.table("documents", cache_size=0)
        self.index: dict[str, int] = {doc["key"]: doc.doc_id for doc in self.table.all()}

    @property
    def storage(self) -> AtomicJSONStorage:
        storage = self.db.storage
        assert isinstance(storage, AtomicJSONStorage)
        return storage


def _copy(data: Mapping[str, Any]) -> JsonDict:
    # A JSON round trip both deep-copies and proves the data is JSON-safe before it is kept.
    copied: JsonDict = json.loads(json.dumps(data, ensure_ascii=False))
    return copied


class TinyDBStore:
    """The default Store, embedded: files under one data directory, one per collection."""

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.directory = Path(directory)
        self.read_only = read_only
        if not read_only:
            self.directory.mkdir(parents=True, exist_ok=True)
        self._tables: dict[Collection, _Table] = {}
        self._closed = False
        for collection in Collection:
            self._tables[collection] = _Table(
                self.directory / f"{collection.value}.json", read_only
            )

    def storage_of(self, collection: Collection) -> AtomicJSONStorage:
        """The file storage behind a collection (tests use it to simulate crashes)."""
        return self._tables[collection].storage

    def _table(self, collection: Collection) -> _Table:
        if self._closed:
            raise StoreClosedError()
        return self._tables[Collection(collection)]

    async def _run(self, collection: Collection, work: Callable[[_Table], Any]) -> Any:
        table = self._table(collection)

        def locked() -> Any:
            with table.lock:
                return work(table)

        return await asyncio.to_thread(locked)

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The document under key, or None."""
        check_key(key)

        def work(t: _Table) -> Document | None:
            doc_id = t.index.get(key)
            if doc_id is None:
                return None
            raw = t.table.get(doc_id=doc_id)
            if raw is None:
                return None
            return Document(key=key, data=_copy(raw["data"]), etag=raw["etag"])

        result: Document | None = await self._run(collection, work)
        return result

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
        check_key(key)
        body = _copy(data)

        def work(t: _Table) -> str:
            doc_id = t.index.get(key)
            current = t.table.get(doc_id=doc_id) if doc_id is not None else None
            current_etag = current["etag"] if current is not None else None
            if if_none_match and current is not None:
                raise ConflictError(collection, key, expected=None, actual=current_etag)
            if if_match is not None and if_match != current_etag:
                raise ConflictError(collection, key, expected=if_match, actual=current_etag)
            etag = uuid.uuid4().hex
            record = {"key": key, "etag": etag, "data": body}
            if doc_id is None:
                t.index[key] = t.table.insert(record)
            else:
                t.table.update(record, doc_ids=[doc_id])
            return etag

        etag: str = await self._run(collection, work)
        return etag

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete a document; return whether it existed."""
        check_key(key)

        def work(t: _Table) -> bool:
            doc_id = t.index.get(key)
            if doc_id is None:
                if if_match is not None:
                    raise ConflictError(collection, key, expected=if_match, actual=None)
                return False
            current = t.table.get(doc_id=doc_id)
            if if_match is not None and current is not None and current["etag"] != if_match:
                raise ConflictError(collection, key, expected=if_match, actual=current["etag"])
            t.table.remove(doc_ids=[doc_id])
            del t.index[key]
            return True

        existed: bool = await self._run(collection, work)
        return existed

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """Documents of a collection in key order, optionally only keys starting with `prefix`
        and only those whose top-level fields equal `where`."""
        conditions = dict(where or {})

        def work(t: _Table) -> list[Document]:
            found = []
            for raw in t.table.all():
                if prefix is not None and not raw["key"].startswith(prefix):
                    continue
                data = raw["data"]
                if all(data.get(field) == value for field, value in conditions.items()):
                    found.append(Document(key=raw["key"], data=_copy(data), etag=raw["etag"]))
            return sorted(found, key=lambda d: d.key)

        docs: list[Document] = await self._run(collection, work)
        return docs

    async def is_ready(self) -> bool:
        """Whether the store is open and its directory writable."""
        return not self._closed and os.access(self.directory, os.W_OK)

    async def close(self) -> None:
        """Close every collection file."""
        if self._closed:
            return
        self._closed = True
        for table in self._tables.values():
            table.db.close()
