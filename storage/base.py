"""The one storage interface every backend implements, with optimistic concurrency by e-tag."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

JsonDict = dict[str, Any]
# (key, e-tag) pairs in key order: what `Store.etags` lists.
Versions = list[tuple[str, str]]

_KEY = re.compile(r"^[\w.:;@+=/|-]{1,400}$")


class Collection(StrEnum):
    """What the product keeps. Hot, small data is kept apart from records that grow for years."""

    STATE = "state"  # dialog and user state: read and written on every turn
    CONVERSATIONS = "conversations"  # conversation references for proactive messages
    CASES = "cases"  # referrals and the cases they become
    AUDIT = "audit"  # append-only trail of decisions, refusals and slippage
    DELIVERIES = "deliveries"  # reminder delivery log
    COUNTERS = "counters"  # per-partnership, per-year case reference numbers
    SEEN = "seen"  # activity ids already handled, by any replica; swept once expired
    LOCKS = "locks"  # leases, so one replica at a time does a job (the reminder tick)
    CASE_INDEX = "case_index"  # which cases are about a child, so a check reads only those
    REPORTS = "reports"  # the monthly report's chart images, one per partnership and month
    KEYRING = "keyring"  # which data keys the documents are encrypted with: ids, never keys


class StoreError(Exception):
    """Base class for storage failures."""


class ConflictError(StoreError):
    """A conditional write lost a race: the stored e-tag is not the one the writer read."""

    def __init__(self, collection: str, key: str, *, expected: str | None, actual: str | None):
        self.collection = collection
        self.key = key
        self.expected = expected
        self.actual = actual
        if expected is None:
            detail = "it already exists"
        elif actual is None:
            detail = "it no longer exists"
        else:
            detail = "it was changed by someone else"
        super().__init__(f"{collection}/{key}: write refused, {detail}")


class InvalidKeyError(StoreError, ValueError):
    """A key that storage backends cannot keep safely."""

    def __init__(self, key: str) -> None:
        super().__init__(f"invalid storage key {key[:40]!r}")


class CorruptRecordError(StoreError):
    """A stored document that no longer fits its model; names where, never what it held."""

    def __init__(self, collection: str, key: str, places: list[str]) -> None:
        self.collection = collection
        self.key = key
        super().__init__(f"{collection}/{key}: invalid at {', '.join(places) or '(top level)'}")


M = TypeVar("M", bound=BaseModel)


def load_model(model: type[M], collection: str, key: str, data: Mapping[str, Any]) -> M:
    """Validate stored data; pydantic's own error would quote the data (a child's details)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        places = [".".join(str(p) for p in err["loc"]) for err in exc.errors()]
        raise CorruptRecordError(collection, key, places) from None


class StoreClosedError(StoreError):
    """The store was used after it was closed."""

    def __init__(self) -> None:
        super().__init__("the store is closed")


@dataclass(frozen=True, slots=True)
class Document:
    """A stored JSON document and the e-tag of its current version."""

    key: str
    data: JsonDict
    etag: str


def check_key(key: str) -> str:
    """Validate a storage key; raise InvalidKeyError for empty, overlong or odd keys."""
    if not _KEY.match(key):
        raise InvalidKeyError(key)
    return key


class Store(Protocol):
    """Documents by collection and key.

    `put` with `if_match` writes only over that exact version; with `if_none_match` only when
    the key is new. Either condition failing raises ConflictError and changes nothing.
    Every acknowledged write is durable.
    """

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The document under key, or None."""
        ...

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
        ...

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete a document; return whether it existed."""
        ...

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """Documents of a collection in key order, optionally only keys starting with `prefix`
        and only those whose top-level fields equal `where`."""
        ...

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """(key, e-tag) of every document `list` would return, in the same order, without the
        documents: what a reader that keeps what it read needs to see what changed since."""
        ...

    async def is_ready(self) -> bool:
        """Whether the store is open and usable."""
        ...

    async def close(self) -> None:
        """Release the store's resources."""
        ...


def safe_key(prefix: str, raw: str) -> str:
    """A storage key for an outside id; ids with characters we do not keep are hashed."""
    candidate = f"{prefix}:{raw}"
    if _KEY.match(candidate):
        return candidate
    return f"{prefix}:sha256:{hashlib.sha256(raw.encode()).hexdigest()}"
