"""Copy every document of one Store into another, safely re-runnable, then check the copy."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from enum import StrEnum

from storage.base import Collection, ConflictError, Document, Store

logger = logging.getLogger(__name__)

# Documents copied at once: enough to hide a round trip, within a small connection pool.
_BATCH = 16


class Outcome(StrEnum):
    """What happened to one source document."""

    COPIED = "copied"
    ALREADY = "already there"
    DIFFERING = "differing"
    OVERWRITTEN = "overwritten"


@dataclass
class CollectionCopy:
    """One collection's tally; keys only, never what the documents hold."""

    collection: str
    source: int = 0
    copied: int = 0
    already: int = 0
    overwritten: int = 0
    differing: list[str] = field(default_factory=list)
    only_in_target: int = 0
    # Source documents not in the target with equal data after the copy (differing included).
    unmatched: list[str] = field(default_factory=list)


async def _copy_one(
    target: Store, collection: Collection, doc: Document, overwrite: bool
) -> Outcome:
    # Create-only first: one round trip for the usual case, and a bot already writing to the
    # target is never overwritten by a stale copy.
    try:
        await target.put(collection, doc.key, doc.data, if_none_match=True)
    except ConflictError:
        pass
    else:
        return Outcome.COPIED
    existing = await target.get(collection, doc.key)
    if existing is not None and existing.data == doc.data:
        return Outcome.ALREADY
    if not overwrite or existing is None:
        return Outcome.DIFFERING
    try:
        await target.put(collection, doc.key, doc.data, if_match=existing.etag)
    except ConflictError:
        return Outcome.DIFFERING
    return Outcome.OVERWRITTEN


async def copy_collection(
    source: Store, target: Store, collection: Collection, *, overwrite: bool = False
) -> CollectionCopy:
    """Copy one collection; documents already in the target with other data are kept unless
    `overwrite`, and reported."""
    tally = CollectionCopy(collection.value)
    docs = await source.list(collection)
    tally.source = len(docs)
    for start in range(0, len(docs), _BATCH):
        batch = docs[start : start + _BATCH]
        outcomes = await asyncio.gather(
            *(_copy_one(target, collection, d, overwrite) for d in batch)
        )
        for doc, outcome in zip(batch, outcomes, strict=True):
            if outcome is Outcome.COPIED:
                tally.copied += 1
            elif outcome is Outcome.ALREADY:
                tally.already += 1
            elif outcome is Outcome.OVERWRITTEN:
                tally.overwritten += 1
            else:
                tally.differing.append(doc.key)
    # The check reads everything again, so it also catches a write that was acknowledged and lost.
    copied = {d.key: d.data for d in await target.list(collection)}
    tally.unmatched = [d.key for d in docs if d.key not in copied or copied[d.key] != d.data]
    tally.only_in_target = len(copied.keys() - {d.key for d in docs})
    logger.info(
        "copied %s: %d copied, %d already there, %d differing, %d overwritten",
        collection.value,
        tally.copied,
        tally.already,
        len(tally.differing),
        tally.overwritten,
    )
    return tally


async def copy_store(
    source: Store, target: Store, *, overwrite: bool = False
) -> list[CollectionCopy]:
    """Copy every collection of `source` into `target`, in Collection order."""
    return [
        await copy_collection(source, target, collection, overwrite=overwrite)
        for collection in Collection
    ]
