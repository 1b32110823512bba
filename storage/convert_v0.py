"""Converting a data directory of the first layout (one TinyDB file per collection).

The conversion writes the new folders beside the old files and `store.json` last: until then
the old files are the truth, so a crash part way leaves them untouched and the next start
converts again from scratch. Once `store.json` is there the old files are moved aside.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from storage.base import InvalidKeyError, JsonDict, check_key
from storage.shards import (
    CorruptStoreError,
    Manifest,
    create_collection,
    encode,
    fsync_dir,
    shard_body,
    shard_name,
    write_atomic,
    write_store_record,
)

logger = logging.getLogger(__name__)

# The collections of the first layout, each in `<name>.json` at the top of the data directory.
OLD_KINDS = ("state", "conversations", "cases", "audit", "deliveries", "counters")
BACKUP_DIR = "before-conversion"


def old_files(directory: Path) -> list[Path]:
    """The first layout's files present in a data directory."""
    return [
        directory / f"{kind}.json" for kind in OLD_KINDS if (directory / f"{kind}.json").exists()
    ]


def read_old(path: Path) -> list[JsonDict]:
    """The stored records of an old collection file; CorruptStoreError if it is damaged."""
    raw = path.read_bytes()
    if not raw.strip():
        # The first layout never wrote an empty file: this one was emptied.
        raise CorruptStoreError(path, "empty: the file was emptied (not converted)")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorruptStoreError(
            path, f"invalid JSON at line {exc.lineno} (not converted)"
        ) from None
    except UnicodeDecodeError:
        raise CorruptStoreError(path, "not UTF-8 text (not converted)") from None
    if not isinstance(data, dict) or not isinstance(data.get("documents", {}), dict):
        raise CorruptStoreError(path, "not a TinyDB database (not converted)")
    if any(table for name, table in data.items() if name != "documents"):
        raise CorruptStoreError(path, "holds a table the bot never wrote (not converted)")
    records: list[JsonDict] = []
    seen: set[str] = set()
    for doc_id, record in data.get("documents", {}).items():
        try:
            if not (
                isinstance(record, dict)
                and isinstance(record.get("etag"), str)
                and isinstance(record.get("data"), dict)
            ):
                raise InvalidKeyError(str(doc_id))
            key = check_key(str(record.get("key")))
        except InvalidKeyError:
            raise CorruptStoreError(path, f"document {doc_id} is damaged (not converted)") from None
        if key in seen:
            raise CorruptStoreError(path, f"{key} is stored twice (not converted)")
        seen.add(key)
        records.append({"key": key, "etag": record["etag"], "data": record["data"]})
    return records


def convert(directory: Path, kinds: Iterable[str]) -> int:
    """Convert the old files into collection folders; return how many documents moved."""
    # The caller holds the directory lock and has found no `store.json`.
    kinds = list(kinds)
    # Each old file is read and checked before anything is written: damage stops it all.
    old = {path.stem: read_old(path) for path in old_files(directory)}
    for kind in kinds:
        # Folders left by a conversion that stopped part way: rebuilt from the old files.
        shutil.rmtree(directory / kind, ignore_errors=True)
    moved = 0
    for kind in kinds:
        create_collection(directory, kind, durable=False)
        groups: dict[str, list[JsonDict]] = defaultdict(list)
        for record in old.get(kind, []):
            groups[shard_name(record["key"])].append(record)
        folder = directory / kind
        for name, records in groups.items():
            write_atomic(folder / name, encode(kind, shard_body(records)), durable=False)
        Manifest.create(folder, kind, sorted(groups), durable=False)
        moved += sum(len(r) for r in groups.values())
    # One flush of everything written rather than an fsync per file: this runs once.
    os.sync()
    write_store_record(directory, kinds)
    logger.info("converted %d documents from the one-file-per-collection layout", moved)
    move_old_aside(directory)
    return moved


def move_old_aside(directory: Path) -> None:
    """Move the converted old files into `before-conversion/` (the operator deletes them)."""
    backup = directory / BACKUP_DIR
    files = old_files(directory)
    if not files:
        return
    backup.mkdir(exist_ok=True)
    for path in files:
        target = backup / path.name
        n = 0
        while target.exists():
            n += 1
            target = backup / f"{path.name}.{n}"
        os.replace(path, target)
    fsync_dir(backup)
    fsync_dir(directory)
    logger.warning(
        "the old store files are in %s: delete them once the converted store is checked", backup
    )
