"""The embedded store on disk: small TinyDB files with a format header and a checksum.

A data directory holds `store.json` (the collections it keeps), `store.lock` (the one process
writing it), and a folder per collection. In a folder the documents of one case share a TinyDB
file (`COV-2026-001.json`: the case, its audit trail `COV-2026-001/000001`…, its deliveries
`COV-2026-001|sin|…`), so a write costs that case's documents, whatever else is stored; numbered
entries of anything else share their parent's file; every other document has a file of its
own. `MANIFEST` lists every file the folder should hold. Files are replaced whole by rename after
the new content is on disk; an emptied document leaves an empty file, so the set of files
only grows and a deleted one is noticed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from safeguarding.cases import REFERENCE as CASE_REFERENCE
from storage.base import InvalidKeyError, JsonDict, StoreError, check_key

logger = logging.getLogger(__name__)

FORMAT = "review-bot/1"
TABLE = "documents"  # the TinyDB table each file keeps its documents in
TMP_PREFIX = ".tmp-"
MANIFEST = "MANIFEST"
STORE_FILE = "store.json"
LOCK_FILE = "store.lock"
_STORE_KIND = "store"

_SHARD = re.compile(r"(?:~[0-9a-f]{40}|[A-Za-z0-9][A-Za-z0-9._-]{0,99})\.json")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_NUMBERED = re.compile(r"(?P<parent>.+)/\d+")
_SEGMENTS = re.compile(r"[/|]")

# os.replace, or a test's stand-in that dies between the temp write and the rename.
Replace = Callable[[str, Path], None]


class CorruptStoreError(StoreError):
    """A store file that is damaged, truncated, emptied or missing; names the file and the fault."""

    def __init__(self, path: Path, reason: str, *, more: int = 0) -> None:
        self.path = path
        self.reason = reason
        self.more = more
        tail = f" (and {more} more problems: review-bot check-store lists them)" if more else ""
        super().__init__(f"{path}: {reason}{tail}")


class StoreLockedError(StoreError):
    """Another process has the data directory open for writing."""

    def __init__(self, directory: Path, holder: str) -> None:
        self.directory = directory
        super().__init__(
            f"{directory} is in use by {holder}: one process writes a data directory"
            " (stop that one first; the command-line tools open it read-only)"
        )


class StoreFormatError(StoreError):
    """A data directory this version will not open as asked (an old layout, opened read-only)."""


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: Path, payload: bytes, *, replace: Replace = os.replace, durable: bool = True
) -> None:
    """Replace `path` with `payload`: a crash leaves the old file or the new one, never a mix."""
    fd, tmp_name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{path.name}", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        replace(tmp_name, path)
        if durable:
            fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def encode(kind: str, body: Mapping[str, Any]) -> bytes:
    """A file's bytes: a header line (format, collection, length, checksum), then the body."""
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    header = {
        "format": FORMAT,
        "collection": kind,
        "bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload + b"\n"


def decode(path: Path, kind: str, raw: bytes) -> JsonDict:
    """The body of a file `encode` wrote; CorruptStoreError says what is wrong with it."""
    if not raw:
        raise CorruptStoreError(path, "empty (0 bytes): the file was emptied or cut short")
    if not raw.strip():
        raise CorruptStoreError(path, "holds only whitespace: the file was emptied")
    first, newline, rest = raw.partition(b"\n")
    try:
        header = json.loads(first) if newline else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or "format" not in header:
        raise CorruptStoreError(path, "no format header: damaged, or not written by this store")
    if header["format"] != FORMAT:
        raise CorruptStoreError(path, f"format {header['format']!r}; this version reads {FORMAT}")
    if header.get("collection") != kind:
        raise CorruptStoreError(path, f"belongs to {header.get('collection')!r}, not {kind!r}")
    payload = rest[:-1] if rest.endswith(b"\n") else rest
    expected = header.get("bytes")
    if expected != len(payload):
        how = "truncated" if isinstance(expected, int) and len(payload) < expected else "resized"
        raise CorruptStoreError(path, f"{how}: {len(payload)} bytes where {expected} were written")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise CorruptStoreError(path, "checksum mismatch: the contents changed after writing")
    try:
        body = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CorruptStoreError(path, "the checksum matches but the body is not JSON") from None
    if not isinstance(body, dict):
        raise CorruptStoreError(path, "the body is not a JSON object")
    return body


def read_file(path: Path, kind: str) -> JsonDict | None:
    """A file's checked body, or None when there is no such file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptStoreError(path, f"cannot be read ({exc.strerror})") from None
    return decode(path, kind, raw)


def group_of(key: str) -> str:
    """Whose file keeps this document: the case its key names, else its numbered parent."""
    for segment in _SEGMENTS.split(key):
        if CASE_REFERENCE.fullmatch(segment):
            return segment
    numbered = _NUMBERED.fullmatch(key)
    return numbered["parent"] if numbered else key


def shard_name(key: str) -> str:
    """The file name for a document's key (keys that are not plain file names are hashed)."""
    group = group_of(key)
    if _PLAIN.fullmatch(group):
        return f"{group}.json"
    return f"~{hashlib.sha256(group.encode()).hexdigest()[:40]}.json"


def shard_documents(path: Path, body: Mapping[str, Any]) -> dict[str, JsonDict]:
    """The stored records of one file by key, each checked to belong in it."""
    if set(body) - {TABLE}:
        raise CorruptStoreError(path, "holds a table this store never writes")
    table = body.get(TABLE, {})
    if not isinstance(table, dict):
        raise CorruptStoreError(path, "the documents table is not an object")
    found: dict[str, JsonDict] = {}
    for doc_id, record in table.items():
        if not (
            isinstance(record, dict)
            and isinstance(record.get("key"), str)
            and isinstance(record.get("etag"), str)
            and isinstance(record.get("data"), dict)
        ):
            raise CorruptStoreError(path, f"document {doc_id} is not a stored document")
        key = record["key"]
        try:
            check_key(key)
        except InvalidKeyError:
            raise CorruptStoreError(path, f"document {doc_id} has an invalid key") from None
        if shard_name(key) != path.name or key in found:
            raise CorruptStoreError(path, f"document {key} does not belong in this file")
        found[key] = record
    return found


class ShardStorage(Storage):
    """TinyDB storage for one file: read and checked once, replaced whole on every write."""

    def __init__(
        self, path: Path, kind: str, replace: Replace = os.replace, durable: bool = True
    ) -> None:
        self.path = path
        self.kind = kind
        self.replace = replace
        self.durable = durable
        self._body = read_file(path, kind)
        # A new file must be added to the collection's manifest once it is on disk.
        self.existed = self._body is not None

    def read(self) -> JsonDict | None:
        """The checked body, as TinyDB expects it."""
        return self._body

    def write(self, data: dict[str, Any]) -> None:
        """Replace the file atomically (and durably unless converting in bulk)."""
        write_atomic(self.path, encode(self.kind, data), replace=self.replace, durable=self.durable)
        self._body = data

    def close(self) -> None:
        """Nothing to release: each write is already on disk."""


def shard_body(records: Iterable[Mapping[str, Any]]) -> JsonDict:
    """A TinyDB body holding these records, with TinyDB's document ids from 1."""
    return {TABLE: {str(n): dict(r) for n, r in enumerate(records, start=1)}}


def _manifest_header(kind: str) -> bytes:
    return f"{FORMAT} manifest {kind}\n".encode()


class Manifest:
    """The files a collection folder should hold, appended to as new ones are written."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.path = folder / MANIFEST
        self.kind = kind
        self._fd: int | None = None
        self._opening = threading.Lock()  # writers in several threads share the one handle

    @staticmethod
    def create(folder: Path, kind: str, names: Iterable[str] = (), *, durable: bool = True) -> None:
        """Write a manifest listing `names` (a new or converted collection)."""
        lines = b"".join(f"{name}\n".encode() for name in names)
        write_atomic(folder / MANIFEST, _manifest_header(kind) + lines, durable=durable)

    def read(self, *, repair: bool) -> set[str]:
        """The names listed; a line cut short by a crash is ignored (and cut off when repairing)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise CorruptStoreError(self.path, "missing: the collection's list of files") from None
        except OSError as exc:
            raise CorruptStoreError(self.path, f"cannot be read ({exc.strerror})") from None
        header = _manifest_header(self.kind)
        if not raw.startswith(header):
            reason = "empty (0 bytes)" if not raw else "no manifest header: damaged"
            raise CorruptStoreError(self.path, reason)
        complete = raw.rfind(b"\n") + 1
        names = set()
        for line in raw[len(header) : complete].decode(errors="replace").splitlines():
            if not _SHARD.fullmatch(line):
                raise CorruptStoreError(self.path, "a line that is not a file name: damaged")
            names.add(line)
        if repair and complete < len(raw):
            # The append was cut short by a crash; its file, if it got there, is adopted.
            os.truncate(self.path, complete)
        return names

    def append(self, name: str) -> None:
        """List a file just renamed into place (one short O_APPEND write, then fsync)."""
        with self._opening:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            fd = self._fd
        os.write(fd, f"{name}\n".encode())
        os.fsync(fd)

    def close(self) -> None:
        """Close the append handle."""
        with self._opening:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


@dataclass
class CollectionReport:
    """What reading one collection folder found."""

    kind: str
    files: list[str] = field(default_factory=list)  # the names of the files read whole
    documents: int = 0
    problems: list[CorruptStoreError] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)  # written, not yet listed: a crash
    leftovers: int = 0  # temp files: a crash's, or a running writer's


def scan_collection(
    directory: Path,
    kind: str,
    *,
    repair: bool,
    on_document: Callable[[str, JsonDict], None] | None = None,
) -> CollectionReport:
    """Read and check every file of a collection, handing each document to `on_document`."""
    # With `repair` (the writer, holding the lock) crash leftovers are removed and files renamed
    # into place just before a crash are listed; a reader only reads.
    report = CollectionReport(kind)
    folder = directory / kind
    if not folder.is_dir():
        report.problems.append(
            CorruptStoreError(folder, "missing: store.json lists this collection")
        )
        return report
    manifest = Manifest(folder, kind)
    try:
        # Read before listing: a writer lists a file only once it is in place, so a listed
        # file is always seen, even beside a running bot.
        expected = manifest.read(repair=repair)
    except CorruptStoreError as exc:
        report.problems.append(exc)
        expected = None
    present = []
    for entry in sorted(os.listdir(folder)):
        if entry.startswith(TMP_PREFIX):
            if repair:
                # Left by a crash before its rename: never acknowledged, safe to drop.
                (folder / entry).unlink(missing_ok=True)
            else:
                report.leftovers += 1
        elif entry.endswith(".json"):
            present.append(entry)
    for name in sorted((expected or set()) - set(present)):
        report.problems.append(
            CorruptStoreError(folder / name, "missing: listed in MANIFEST but deleted or moved")
        )
    for name in present:
        path = folder / name
        try:
            if not _SHARD.fullmatch(name):
                raise CorruptStoreError(path, "not a file name this store writes")
            body = read_file(path, kind)
            records = shard_documents(path, body or {})
        except CorruptStoreError as exc:
            report.problems.append(exc)
            continue
        report.files.append(name)
        report.documents += len(records)
        if on_document is not None:
            for key, record in records.items():
                on_document(key, record["data"])
        if expected is not None and name not in expected:
            report.adopted.append(name)
    if repair and expected is not None:
        for name in report.adopted:
            manifest.append(name)
        manifest.close()
    if report.adopted:
        logger.info("%s: %d file(s) written just before a stop listed", kind, len(report.adopted))
    return report


def read_store_record(directory: Path) -> list[str] | None:
    """The collections `store.json` lists, or None when there is none (a new or old layout)."""
    body = read_file(directory / STORE_FILE, _STORE_KIND)
    if body is None:
        return None
    kinds = body.get("collections")
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise CorruptStoreError(directory / STORE_FILE, "no list of collections")
    return kinds


def write_store_record(directory: Path, kinds: Iterable[str]) -> None:
    """Record the collections this data directory keeps (written last when creating them)."""
    body = {"collections": sorted(kinds)}
    write_atomic(directory / STORE_FILE, encode(_STORE_KIND, body))


def create_collection(directory: Path, kind: str, *, durable: bool = True) -> None:
    """An empty collection folder with its manifest."""
    folder = directory / kind
    folder.mkdir(exist_ok=True)
    Manifest.create(folder, kind, durable=durable)


def holds_shards(directory: Path, kinds: Iterable[str]) -> list[Path]:
    """Collection folders that hold document files (to tell a lost store.json from a new store)."""
    return [
        directory / kind
        for kind in kinds
        if (directory / kind).is_dir()
        and any(name.endswith(".json") for name in os.listdir(directory / kind))
    ]


class DirectoryLock:
    """An exclusive lock on a data directory, with the pid and host of its holder in the file."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, directory: Path) -> DirectoryLock:
        """Lock the directory or raise StoreLockedError naming the process holding it."""
        path = directory / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            os.close(fd)
            raise StoreLockedError(directory, holder) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode(), 0)
        return cls(fd)

    @property
    def held(self) -> bool:
        """Whether this lock is still held."""
        return self._fd is not None

    def release(self) -> None:
        """Release the lock (closing the file releases it, as a crash does)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _holder(path: Path) -> str:
    try:
        who = json.loads(path.read_text())
        return f"process {int(who['pid'])} on {who['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not yet written its pid)"
