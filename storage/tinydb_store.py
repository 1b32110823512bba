"""The embedded Store: a TinyDB file per document, so a write costs one document at any size.

`storage/shards.py` describes the files. In memory the store keeps, per collection, the keys
in order and, for the few fields the repositories ask `where` about, the keys by value; plus
recently used documents up to a byte budget. Everything else is read from disk when asked
for, off the event loop. One process writes a data directory (a lock refuses a second);
readers open it read-only beside it.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import os
import sys
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from tinydb import Query, TinyDB

from safeguarding.cases import REFERENCE as CASE_REFERENCE
from storage.base import (
    Collection,
    ConflictError,
    Document,
    JsonDict,
    StoreClosedError,
    StoreError,
    Versions,
    check_key,
)
from storage.bulk import collector_paused
from storage.convert_v0 import convert, move_old_aside, old_files, read_old
from storage.encrypted import sealed_key_id
from storage.shards import (
    FORMAT,
    STORE_FILE,
    TABLE,
    TMP_PREFIX,
    CollectionReport,
    CorruptStoreError,
    DirectoryLock,
    Manifest,
    Replace,
    ShardStorage,
    StoreFormatError,
    StoreLockedError,
    create_collection,
    group_of,
    holds_shards,
    read_file,
    read_store_record,
    scan_collection,
    shard_documents,
    shard_name,
    write_store_record,
)

__all__ = [
    "CorruptStoreError",
    "ReadOnlyStoreError",
    "StoreCheck",
    "StoreFormatError",
    "StoreLockedError",
    "TinyDBStore",
    "check_store",
]

logger = logging.getLogger(__name__)

# The top-level fields the repositories ask `list(where=...)` about, kept in memory. `where`
# on any other field works too, by reading the documents: add the field here if it is hot.
INDEXED_FIELDS: Final[Mapping[Collection, tuple[str, ...]]] = {
    Collection.CASES: ("partnership_id", "status"),
    Collection.DELIVERIES: ("reference", "state"),
    Collection.COUNTERS: ("kind", "month"),
    Collection.CONVERSATIONS: ("user_aad_object_id", "team_id"),
}
# The collections whose e-tags are kept in memory once read, so `etags` reads no file: those a
# reminder tick lists every minute. Any other collection's e-tags are read from its files.
KEPT_ETAGS: Final = frozenset({Collection.CASES})
# Longer strings (and lists, objects) are not held in memory: matches are checked on disk.
_LONGEST_INDEXED = 100
_STRIPES = 64  # write locks, by file: writes to different files proceed side by side
_CACHE_BYTES = 8 * 1024 * 1024  # recent documents: a turn's dialog state, the cases in hand

T = TypeVar("T")


class ReadOnlyStoreError(StoreError):
    """A write to a store opened read-only (by a command-line tool beside a running bot)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"{directory}: opened read-only")


class _Unindexed:
    """Stands for a value too long or too deep to hold in memory."""


_UNINDEXED: Final = _Unindexed()
_NONE: Final[frozenset[str]] = frozenset()


def _indexable(value: Any) -> Any:
    if isinstance(value, str):
        # Interned: thousands of documents share a handful of partnership ids and states.
        return sys.intern(value) if len(value) <= _LONGEST_INDEXED else _UNINDEXED
    if value is None or isinstance(value, bool | int | float):
        return value
    return _UNINDEXED


class _Index:
    """One collection's keys in order, and for each indexed field the keys by value."""

    def __init__(self, fields: tuple[str, ...], *, keep_etags: bool = False) -> None:
        self.fields = fields
        self.order: list[str] = []
        # Learnt as `etags` first asks for a key (read under the file's write lock), then kept
        # by every write: a key here always has its current e-tag. None: not kept.
        self.etags: dict[str, str] | None = {} if keep_etags else None
        # The files on disk: one that goes missing while running is damage, not a new file.
        self.files: set[str] = set()
        self.postings: dict[str, dict[Any, set[str]]] = {name: {} for name in fields}
        # Readers on the event loop and writers in threads: every read and change holds it.
        self.lock = threading.Lock()

    def load(self, key: str, data: JsonDict) -> None:
        """Add a document read at start-up (`sorted` puts the keys in order after)."""
        self.order.append(key)
        self._post(key, data)

    def sorted(self) -> None:
        """Order the keys loaded at start-up."""
        self.order.sort()

    def contains(self, key: str) -> bool:
        """Whether a document is stored under key."""
        with self.lock:
            at = bisect.bisect_left(self.order, key)
            return at < len(self.order) and self.order[at] == key

    def __len__(self) -> int:
        return len(self.order)

    def add(self, key: str, data: JsonDict, *, old: JsonDict | None) -> None:
        """Record a written document (`old`: the version it replaced)."""
        with self.lock:
            if old is None:
                bisect.insort(self.order, key)
            else:
                self._unpost(key, old)
            self._post(key, data)

    def remove(self, key: str, old: JsonDict) -> None:
        """Forget a deleted document."""
        with self.lock:
            at = bisect.bisect_left(self.order, key)
            if at < len(self.order) and self.order[at] == key:
                del self.order[at]
            self._unpost(key, old)
            if self.etags is not None:
                self.etags.pop(key, None)

    def etag(self, key: str) -> str | None:
        """The current e-tag of a document, if it is kept (and learnt)."""
        with self.lock:
            return None if self.etags is None else self.etags.get(key)

    def keep_etag(self, key: str, etag: str) -> None:
        """Remember a document's current e-tag (held under its file's write lock)."""
        with self.lock:
            if self.etags is not None:
                self.etags[key] = etag

    def select(self, prefix: str | None, where: Mapping[str, Any]) -> tuple[list[str], bool]:
        """Keys that may match, in key order, and whether each must be checked on its document."""
        with self.lock:
            chosen: set[str] | None = None
            check = any(name not in self.fields for name in where)
            for name, value in where.items():
                if name not in self.fields:
                    continue
                by_value = self.postings[name]
                # A list, an object or a long string can only equal an unindexed value.
                matching = by_value.get(_indexable(value), _NONE)
                unsure = by_value.get(_UNINDEXED, _NONE)
                check = check or bool(unsure)
                found = set(matching) | unsure
                chosen = found if chosen is None else chosen & found
            if chosen is None:
                return self._range(prefix), check
            keys = sorted(k for k in chosen if prefix is None or k.startswith(prefix))
            return keys, check

    def _range(self, prefix: str | None) -> list[str]:
        if prefix is None:
            return list(self.order)
        start = end = bisect.bisect_left(self.order, prefix)
        while end < len(self.order) and self.order[end].startswith(prefix):
            end += 1
        return self.order[start:end]

    def _post(self, key: str, data: JsonDict) -> None:
        for name in self.fields:
            self.postings[name].setdefault(_indexable(data.get(name)), set()).add(key)

    def _unpost(self, key: str, data: JsonDict) -> None:
        for name in self.fields:
            value = _indexable(data.get(name))
            keys = self.postings[name].get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.postings[name][value]


class _Cache:
    """Recently read or written documents as JSON text, within a byte budget."""

    def __init__(self, budget: int) -> None:
        self._items: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()
        self._bytes = 0
        self._budget = budget
        self._lock = threading.Lock()

    @staticmethod
    def _size(key: tuple[str, str], text: str) -> int:
        return len(text) + len(key[1]) + 200  # roughly what Python spends around them

    def get(self, collection: Collection, key: str, *, touch: bool = True) -> tuple[str, str]:
        """(etag, JSON text) of a cached document; KeyError when it is not cached."""
        with self._lock:
            item = self._items[(collection.value, key)]
            if touch:
                self._items.move_to_end((collection.value, key))
            return item

    def put(self, collection: Collection, key: str, etag: str, text: str) -> None:
        """Cache a document's current version, dropping the least recently used beyond budget."""
        ck = (collection.value, key)
        with self._lock:
            old = self._items.pop(ck, None)
            if old is not None:
                self._bytes -= self._size(ck, old[1])
            if self._size(ck, text) > self._budget // 8:
                return  # one large document must not push out everything else
            self._items[ck] = (etag, text)
            self._bytes += self._size(ck, text)
            while self._bytes > self._budget:
                gone, (_, gone_text) = self._items.popitem(last=False)
                self._bytes -= self._size(gone, gone_text)

    def drop(self, collection: Collection, key: str) -> None:
        """Forget a deleted document."""
        ck = (collection.value, key)
        with self._lock:
            old = self._items.pop(ck, None)
            if old is not None:
                self._bytes -= self._size(ck, old[1])


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


class TinyDBStore:
    """The default Store, embedded: TinyDB files under one data directory, one per document."""

    # Its lock refuses a second process: no other replica shares its deliveries.
    single_process = True

    def __init__(
        self, directory: Path, *, read_only: bool = False, cache_bytes: int = _CACHE_BYTES
    ) -> None:
        self.directory = Path(directory)
        self.read_only = read_only
        # Tests stand in a crash between the temp write and the rename here.
        self.replace: Replace = os.replace
        self._closed = False
        # Damage met while running: the store stops saying it is ready.
        self._damage: CorruptStoreError | None = None
        self._cache = _Cache(cache_bytes)
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]
        self._indexes = {
            c: _Index(INDEXED_FIELDS.get(c, ()), keep_etags=c in KEPT_ETAGS) for c in Collection
        }
        self._manifests: dict[Collection, Manifest] = {}
        self._lock: DirectoryLock | None = None
        if read_only:
            self._open_read_only()
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = DirectoryLock.acquire(self.directory)
        try:
            self._open_for_writing()
        except BaseException:
            self._lock.release()
            raise

    @classmethod
    async def open(cls, directory: Path, *, read_only: bool = False) -> TinyDBStore:
        """Open the store off the event loop: a large store takes seconds to read and check."""
        return await asyncio.to_thread(lambda: cls(directory, read_only=read_only))

    def _open_for_writing(self) -> None:
        kinds = [c.value for c in Collection]
        for leftover in self.directory.glob(f"{TMP_PREFIX}*"):
            # store.json (or a first-layout file) cut short by a crash: never acknowledged.
            leftover.unlink(missing_ok=True)
        recorded = read_store_record(self.directory)
        if recorded is None:
            if old_files(self.directory):
                convert(self.directory, kinds)
            else:
                self._refuse_lost_record()
                for kind in kinds:
                    create_collection(self.directory, kind)
                write_store_record(self.directory, kinds)
            recorded = kinds
        else:
            move_old_aside(self.directory)  # a conversion that stopped just before this
            added = [kind for kind in kinds if kind not in recorded]
            for kind in added:
                create_collection(self.directory, kind)
            if added:
                recorded = [*recorded, *added]
                write_store_record(self.directory, recorded)
        self._load(recorded, repair=True)

    def _open_read_only(self) -> None:
        if not self.directory.is_dir():
            return  # nothing stored yet
        recorded = read_store_record(self.directory)
        if recorded is None:
            if old_files(self.directory):
                raise StoreFormatError(
                    f"{self.directory} holds the first store layout (a file per collection):"
                    " start the bot once (review-bot serve) and it converts it"
                )
            self._refuse_lost_record()
            return
        self._load(recorded, repair=False)

    def _refuse_lost_record(self) -> None:
        lost = holds_shards(self.directory, [c.value for c in Collection])
        if lost:
            raise CorruptStoreError(
                self.directory / STORE_FILE,
                f"missing while {lost[0].name}/ holds documents: restore it from a backup",
            )

    def _load(self, recorded: list[str], *, repair: bool) -> None:
        problems: list[CorruptStoreError] = []
        for collection in Collection:
            if collection.value not in recorded:
                continue  # a reader of a directory an older version wrote
            index = self._indexes[collection]
            report = scan_collection(
                self.directory, collection.value, repair=repair, on_document=index.load
            )
            index.sorted()
            index.files.update(report.files)
            problems.extend(report.problems)
            if repair:
                self._manifests[collection] = Manifest(
                    self.directory / collection.value, collection.value
                )
        problems.extend(
            orphan_problems(
                self.directory,
                {
                    c.value: set(self._indexes[c].order)
                    for c in (*_FOLLOW_THEIR_CASE, Collection.CASES)
                },
                damaged=[p.path for p in problems],
            )
        )
        if problems:
            first = problems[0]
            raise CorruptStoreError(first.path, first.reason, more=len(problems) - 1)
        logger.info(
            "store opened%s: %s",
            " read-only" if self.read_only else "",
            ", ".join(f"{c.value} {len(self._indexes[c])}" for c in Collection),
        )

    def _collection(self, collection: Collection, *, write: bool = False) -> Collection:
        if self._closed:
            raise StoreClosedError()
        if write and self.read_only:
            raise ReadOnlyStoreError(self.directory)
        return Collection(collection)

    def _path(self, collection: Collection, key: str) -> Path:
        return self.directory / collection.value / shard_name(key)

    def _stripe(self, collection: Collection, path: Path) -> threading.Lock:
        return self._stripes[hash((collection.value, path.name)) % _STRIPES]

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        def checked() -> T:
            try:
                return work(*args)
            except CorruptStoreError as exc:
                self._damage = exc
                logger.error("store damaged: %s", exc)
                raise

        return await asyncio.to_thread(checked)

    def _records(self, collection: Collection, path: Path) -> dict[str, JsonDict]:
        body = read_file(path, collection.value)
        if body is None:
            raise CorruptStoreError(path, "missing: deleted while the bot was running")
        return shard_documents(path, body)

    def _db(self, collection: Collection, path: Path) -> tuple[Any, ShardStorage]:
        if self._closed:
            raise StoreClosedError()  # queued before close, run after: write nothing
        db = TinyDB(path, collection.value, self.replace, storage=ShardStorage)
        storage = db.storage
        assert isinstance(storage, ShardStorage)
        if not storage.existed and path.name in self._indexes[collection].files:
            # Written over, the file would come back holding only this document.
            raise CorruptStoreError(path, "missing: deleted while the bot was running")
        return db.table(TABLE, cache_size=0), storage

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The document under key, or None."""
        check_key(key)
        collection = self._collection(collection)
        if not self._indexes[collection].contains(key):
            return None
        try:
            etag, text = self._cache.get(collection, key)
        except KeyError:
            return await self._run(self._get_now, collection, key)
        return Document(key=key, data=json.loads(text), etag=etag)

    def _get_now(self, collection: Collection, key: str) -> Document | None:
        path = self._path(collection, key)
        # Under the file's write lock, so an older version read here cannot be cached over a
        # newer one written meanwhile.
        with self._stripe(collection, path):
            if not self._indexes[collection].contains(key):
                return None
            record = self._records(collection, path).get(key)
            if record is None:
                raise CorruptStoreError(path, f"{key} is gone from the file: changed outside")
            self._cache.put(collection, key, record["etag"], _dumps(record["data"]))
            return Document(key=key, data=record["data"], etag=record["etag"])

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
        collection = self._collection(collection, write=True)
        # A JSON round trip both deep-copies and proves the data is JSON-safe before it is kept.
        text = _dumps(data)
        body: JsonDict = json.loads(text)
        return await self._run(self._put_now, collection, key, body, text, if_match, if_none_match)

    def _put_now(
        self,
        collection: Collection,
        key: str,
        body: JsonDict,
        text: str,
        if_match: str | None,
        if_none_match: bool,
    ) -> str:
        index = self._indexes[collection]
        path = self._path(collection, key)
        with self._stripe(collection, path):
            table, storage = self._db(collection, path)
            current = table.get(Query().key == key)
            if current is None and index.contains(key):
                raise CorruptStoreError(path, f"{key} is gone from the file: changed outside")
            actual = current["etag"] if current is not None else None
            if if_none_match and current is not None:
                raise ConflictError(collection, key, expected=None, actual=actual)
            if if_match is not None and if_match != actual:
                raise ConflictError(collection, key, expected=if_match, actual=actual)
            etag = uuid.uuid4().hex
            record = {"key": key, "etag": etag, "data": body}
            if current is None:
                table.insert(record)
            else:
                table.update(record, doc_ids=[current.doc_id])
            if not storage.existed:
                # After the rename is durable: a crash between leaves a file the next start
                # lists, never a listed file that is not there.
                self._manifests[collection].append(path.name)
                index.files.add(path.name)
            index.add(key, body, old=current["data"] if current is not None else None)
            index.keep_etag(key, etag)
            self._cache.put(collection, key, etag, text)
            return etag

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete a document; return whether it existed."""
        check_key(key)
        collection = self._collection(collection, write=True)
        if not self._indexes[collection].contains(key):
            if if_match is not None:
                raise ConflictError(collection, key, expected=if_match, actual=None)
            return False
        return await self._run(self._delete_now, collection, key, if_match)

    def _delete_now(self, collection: Collection, key: str, if_match: str | None) -> bool:
        index = self._indexes[collection]
        path = self._path(collection, key)
        with self._stripe(collection, path):
            table, _ = self._db(collection, path)
            current = table.get(Query().key == key)
            if current is None:
                if index.contains(key):
                    raise CorruptStoreError(path, f"{key} is gone from the file: changed outside")
                if if_match is not None:
                    raise ConflictError(collection, key, expected=if_match, actual=None)
                return False
            if if_match is not None and current["etag"] != if_match:
                raise ConflictError(collection, key, expected=if_match, actual=current["etag"])
            # The file stays, empty if this was its last document: the set of files only grows,
            # so a file that goes missing is noticed at the next start.
            table.remove(doc_ids=[current.doc_id])
            index.remove(key, current["data"])
            self._cache.drop(collection, key)
            return True

    def _list_now(
        self, collection: Collection, where: dict[str, Any], prefix: str | None
    ) -> list[Document]:
        keys, check = self._indexes[collection].select(prefix, where)
        with collector_paused():
            return self._read_listed(collection, keys, where if check else None)

    def _read_listed(
        self, collection: Collection, keys: list[str], where: dict[str, Any] | None
    ) -> list[Document]:
        found: list[Document] = []
        # Numbered entries share a file and sort together: one file read serves them all.
        last: tuple[Path | None, dict[str, JsonDict]] = (None, {})
        for key in keys:
            try:
                etag, text = self._cache.get(collection, key, touch=False)
                data = json.loads(text)
            except KeyError:
                path = self._path(collection, key)
                if last[0] != path:
                    last = (path, self._records(collection, path))
                record = last[1].get(key)
                if record is None:
                    continue  # deleted since the keys were chosen
                etag, data = record["etag"], record["data"]
            if where is not None and not all(data.get(n) == v for n, v in where.items()):
                continue
            found.append(Document(key=key, data=data, etag=etag))
        return found

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """Documents of a collection in key order, optionally only keys starting with `prefix`
        and only those whose top-level fields equal `where`."""
        collection = self._collection(collection)
        return await self._run(self._list_now, collection, dict(where or {}), prefix)

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """(key, e-tag) of every document `list` would return, in the same order, without the
        documents: kept e-tags come from memory, the others from their files."""
        collection = self._collection(collection)
        return await self._run(self._etags_now, collection, dict(where or {}), prefix)

    def _etags_now(
        self, collection: Collection, where: dict[str, Any], prefix: str | None
    ) -> Versions:
        index = self._indexes[collection]
        keys, check = index.select(prefix, where)
        if check or index.etags is None:
            # Only the documents can say whether they match, or where their e-tags are.
            with collector_paused():
                listed = self._read_listed(collection, keys, where if check else None)
                return [(doc.key, doc.etag) for doc in listed]
        found: Versions = []
        for key in keys:
            etag = index.etag(key) or self._learn_etag(collection, key)
            if etag is not None:
                found.append((key, etag))
        return found

    def _learn_etag(self, collection: Collection, key: str) -> str | None:
        index = self._indexes[collection]
        path = self._path(collection, key)
        # Under the file's write lock, as writes keep e-tags: one read here is never older
        # than one a write kept meanwhile.
        with self._stripe(collection, path):
            if not index.contains(key):
                return None  # deleted since the keys were chosen
            etag = index.etag(key)
            if etag is not None:
                return etag
            try:
                etag = self._cache.get(collection, key, touch=False)[0]
            except KeyError:
                record = self._records(collection, path).get(key)
                etag = None if record is None else str(record["etag"])
            if etag is None:
                raise CorruptStoreError(path, f"{key} is gone from the file: changed outside")
            index.keep_etag(key, etag)
            return etag

    async def is_ready(self) -> bool:
        """Whether the store is open, undamaged, still locked and its directory writable."""
        if self._closed or self._damage is not None:
            return False
        if self.read_only:
            return True
        return (
            self._lock is not None
            and self._lock.held
            and os.access(self.directory, os.W_OK)
            and (self.directory / STORE_FILE).exists()
        )

    async def close(self) -> None:
        """Wait for writes under way, then release the files and the lock."""
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._close_now)

    def _close_now(self) -> None:
        for stripe in self._stripes:
            with stripe:  # a write under way finishes (and lists its file) first
                pass
        for manifest in self._manifests.values():
            manifest.close()
        if self._lock is not None:
            self._lock.release()


# Documents filed under a case that only ever follow its creation: their case gone while they
# remain means the case's file was deleted (with its MANIFEST line, so no file is missed).
# The child index is left out: its entries are only pointers, which the duplicate check
# passes over when they name no case.
_FOLLOW_THEIR_CASE = (Collection.AUDIT, Collection.DELIVERIES)


def orphan_problems(
    directory: Path, keys: Mapping[str, set[str]], damaged: Iterable[Path] = ()
) -> list[CorruptStoreError]:
    """Case files gone while their trail or deliveries remain: one problem per lost case.

    A case whose file is already reported damaged is not reported again.
    """
    reported = set(damaged)
    cases = keys.get(Collection.CASES.value, set())
    problems: list[CorruptStoreError] = []
    lost: set[str] = set()
    for collection in _FOLLOW_THEIR_CASE:
        for key in keys.get(collection.value, ()):
            reference = group_of(key)
            gone = CASE_REFERENCE.fullmatch(reference) and reference not in cases
            path = directory / Collection.CASES.value / shard_name(reference)
            if gone and reference not in lost and path not in reported:
                lost.add(reference)
                problems.append(
                    CorruptStoreError(
                        path,
                        f"missing: {collection.value}/ holds documents of {reference}",
                    )
                )
    return problems


@dataclass
class StoreCheck:
    """What reading a whole data directory found, file by file."""

    directory: Path
    layout: str
    collections: list[CollectionReport] = field(default_factory=list)
    # Damage outside any one collection: store.json, an old-layout file.
    problems: list[CorruptStoreError] = field(default_factory=list)
    old_documents: int = 0
    # Documents by the id of the data key they are encrypted with, and per collection those
    # in clear (the keyring's own records aside): the key ids are in clear beside each one.
    sealed: Counter[str] = field(default_factory=Counter)
    in_clear: Counter[str] = field(default_factory=Counter)

    @property
    def damaged(self) -> list[CorruptStoreError]:
        """Every problem found."""
        return [*self.problems, *(p for c in self.collections for p in c.problems)]


def check_store(directory: Path) -> StoreCheck:
    """Read and check every file of a data directory without writing (beside a running bot)."""
    directory = Path(directory)
    try:
        recorded = read_store_record(directory)
    except CorruptStoreError as exc:
        found = StoreCheck(directory, FORMAT, problems=[exc])
        recorded = [c.value for c in Collection]
    else:
        found = StoreCheck(directory, FORMAT)
    if recorded is None:
        return _check_unrecorded(directory)
    keys: dict[str, set[str]] = {}
    for kind in recorded:
        seen = keys.setdefault(kind, set())

        def keep(key: str, data: JsonDict, seen: set[str] = seen, kind: str = kind) -> None:
            seen.add(key)
            key_id = sealed_key_id(data)
            if key_id is not None:
                found.sealed[key_id] += 1
            elif kind != Collection.KEYRING.value:
                found.in_clear[kind] += 1

        found.collections.append(scan_collection(directory, kind, repair=False, on_document=keep))
    found.problems.extend(orphan_problems(directory, keys, damaged=[p.path for p in found.damaged]))
    return found


def _check_unrecorded(directory: Path) -> StoreCheck:
    old = old_files(directory)
    if old:
        found = StoreCheck(directory, "first layout (a file per collection): converted at start")
        for path in old:
            try:
                found.old_documents += len(read_old(path))
            except CorruptStoreError as exc:
                found.problems.append(exc)
        return found
    found = StoreCheck(directory, "empty: nothing stored yet")
    for folder in holds_shards(directory, [c.value for c in Collection]):
        found.problems.append(
            CorruptStoreError(
                directory / STORE_FILE, f"missing while {folder.name}/ holds documents"
            )
        )
    return found
