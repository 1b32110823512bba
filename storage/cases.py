"""Cases and drafts in the Store: reference numbers, duplicate checks, the audit trail, drafts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from safeguarding.cases import (
    REFERENCE,
    Case,
    CaseStatus,
    ReferrerIdentity,
    format_reference,
    looks_like,
)
from safeguarding.referral import Child, Draft, Referral
from storage.base import (
    Collection,
    ConflictError,
    CorruptRecordError,
    Document,
    Store,
    load_model,
    safe_key,
)
from storage.bulk import collector_paused
from storage.encrypted import EncryptedStore

logger = logging.getLogger(__name__)

# Concurrent filings of one partnership retry the counter this many times before giving up.
_COUNTER_ATTEMPTS = 20
# Bumped when what the child index is keyed by changes (initials_of, say): the next duplicate
# check then indexes every stored case again under the new keys.
_CHILD_INDEX = "child1"
# Over an encrypted store: keyed hashes, one index per data key, named by the key's id.
_KEYED_CHILD_INDEX = "child2"
INDEX_PURPOSE = b"review-bot child index v1"
_INDEX_BATCH = 32


@dataclass(frozen=True)
class ChildIndexKey:
    """How one child index names a child: HMAC-SHA256 under a key derived from a data key."""

    name: str
    # None: a plain SHA-256, for a store kept in clear (tests over a bare backend only).
    secret: bytes | None = field(default=None, repr=False)

    def digest(self, identity: bytes) -> str:
        """The child's part of an index key (128 bits, in hex)."""
        if self.secret is None:
            return hashlib.sha256(identity).hexdigest()[:32]
        return hmac.new(self.secret, identity, hashlib.sha256).hexdigest()[:32]

    @property
    def built(self) -> str:
        """The key of the record saying every stored case is in this index."""
        return f"{self.name}-built"


PLAIN_CHILD_INDEX = ChildIndexKey(_CHILD_INDEX)


def child_index_keys(store: Store) -> tuple[ChildIndexKey, ...]:
    """The child indexes of a store, the one new cases go in first."""
    # Keyed: initials and a date of birth are few enough that a plain hash of them is undone
    # by trying every one; without the data key the index keys say nothing of a child.
    if isinstance(store, EncryptedStore):
        return tuple(
            ChildIndexKey(f"{_KEYED_CHILD_INDEX}-{key.id}", key.derive(INDEX_PURPOSE))
            for key in store.keyring.keys
        )
    return (PLAIN_CHILD_INDEX,)


def _born(child: Child) -> date | None:
    # As safeguarding.cases.same_child compares them: birth date, else the expected date.
    return child.date_of_birth or child.expected_date


def child_index_prefix(
    partnership_id: str, child: Child, index: ChildIndexKey = PLAIN_CHILD_INDEX
) -> str | None:
    """The index keys of the cases about this child start with this; None if it has no date."""
    # Hashed: initials and a date of birth identify a child, and keys reach file names and logs.
    born = _born(child)
    if born is None:
        return None  # same_child never matches a child with no date
    identity = f"{partnership_id}\n{child.initials}\n{born.isoformat()}".encode()
    return f"{index.name}:{index.digest(identity)}/"


def _index_keys(
    partnership_id: str, reference: str, children: Iterable[Child], index: ChildIndexKey
) -> list[str]:
    prefixes = (child_index_prefix(partnership_id, child, index) for child in children)
    return [f"{prefix}{reference}" for prefix in prefixes if prefix is not None]


def _stored_index_keys(docs: Iterable[Document], index: ChildIndexKey) -> list[tuple[str, str]]:
    """(index key, reference) for stored cases: only their children are read, not whole cases."""
    keys: list[tuple[str, str]] = []
    with collector_paused():
        for doc in docs:
            try:
                children = [Child.model_validate(c) for c in doc.data["referral"]["children"]]
                partnership_id = str(doc.data["partnership_id"])
            except (KeyError, TypeError, ValidationError):
                # Not indexed: the case cannot be read either, so it is no duplicate to find.
                logger.error("not indexed: %s", CorruptRecordError(Collection.CASES, doc.key, []))
                continue
            keys.extend(
                (key, doc.key) for key in _index_keys(partnership_id, doc.key, children, index)
            )
    return keys


def _load_cases(docs: Iterable[Document]) -> list[Case]:
    cases = []
    with collector_paused():
        for doc in docs:
            try:
                cases.append(load_model(Case, Collection.CASES, doc.key, doc.data))
            except CorruptRecordError as exc:
                # One unreadable record must not stop every other case's reminders.
                logger.error("skipped a case: %s", exc)
    return cases


@dataclass(frozen=True, slots=True)
class Reserved:
    """A reference just taken from its counter, and the counter's version that took it."""

    reference: str
    counter: str  # the counter's key
    number: int
    etag: str


class CaseExistsError(ConflictError):
    """A case with this reference is already on file."""


class CaseRepository:
    """Files cases, allocates their references and keeps their audit trail."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._index_lock = asyncio.Lock()
        self._index_ready = False
        self._indexes = child_index_keys(store)

    async def allocate_reference(self, prefix: str, year: int) -> str:
        """The next reference for a partnership and year, unique under concurrent filings."""
        return (await self.reserve_reference(prefix, year)).reference

    async def reserve_reference(self, prefix: str, year: int) -> Reserved:
        """The next reference, and what `give_back` needs if it ends up used by nothing."""
        key = f"{prefix}-{year:04d}"
        for _ in range(_COUNTER_ATTEMPTS):
            doc = await self._store.get(Collection.COUNTERS, key)
            number = (doc.data["last"] if doc else 0) + 1
            etag = await self._set_counter(key, doc, number)
            if etag is not None:
                return Reserved(format_reference(prefix, year, number), key, number, etag)
        raise ConflictError(Collection.COUNTERS, key, expected=None, actual=None)

    async def give_back(self, reserved: Reserved) -> bool:
        """Return a reference nothing holds, if no later one was taken since; True if returned.

        Otherwise the number stays unused: references are never reused once a later one is out.
        """
        try:
            await self._store.put(
                Collection.COUNTERS,
                reserved.counter,
                {"last": reserved.number - 1},
                if_match=reserved.etag,
            )
        except ConflictError:
            return False
        return True

    async def _set_counter(self, key: str, doc: Document | None, number: int) -> str | None:
        """Write a counter over exactly the version read; its e-tag, or None if another
        writer was first."""
        try:
            return await self._store.put(
                Collection.COUNTERS,
                key,
                {"last": number},
                if_match=doc.etag if doc else None,
                if_none_match=doc is None,
            )
        except ConflictError:
            return None

    async def repair_counter(self, prefix: str, year: int) -> int:
        """Move a counter that fell behind (reset, restored from an old copy) past every case
        already filed under it; return the highest number on file."""
        key = f"{prefix}-{year:04d}"
        highest = 0
        for case_doc in await self._store.list(Collection.CASES, prefix=f"{key}-"):
            match = REFERENCE.match(case_doc.key)
            if match is not None:
                highest = max(highest, int(match["number"]))
        for _ in range(_COUNTER_ATTEMPTS):
            doc = await self._store.get(Collection.COUNTERS, key)
            if doc is not None and doc.data["last"] >= highest:
                return highest
            if await self._set_counter(key, doc, highest) is not None:
                return highest
        raise ConflictError(Collection.COUNTERS, key, expected=None, actual=None)

    async def create(self, case: Case, *, index: bool = True) -> str:
        """Store a new case; return its e-tag.

        `index=False`: the caller writes the child index itself, and makes sure it is written
        even after a crash (the filing does, after its acknowledgement, while its claim holds).
        """
        # Indexed first: a crash between leaves an entry for no case, which the duplicate check
        # passes over, never a case the check cannot find.
        if index:
            await self.index_children(case.partnership_id, case.reference, case.referral.children)
        try:
            return await self._store.put(
                Collection.CASES, case.reference, case.model_dump(mode="json"), if_none_match=True
            )
        except ConflictError:
            raise CaseExistsError(
                Collection.CASES, case.reference, expected=None, actual="exists"
            ) from None

    async def get(self, reference: str) -> tuple[Case, str] | None:
        """A case and its e-tag."""
        doc = await self._store.get(Collection.CASES, reference)
        if doc is None:
            return None
        return load_model(Case, Collection.CASES, reference, doc.data), doc.etag

    async def save(self, case: Case, etag: str) -> str:
        """Write a changed case over exactly the version read; ConflictError if it moved."""
        return await self._store.put(
            Collection.CASES, case.reference, case.model_dump(mode="json"), if_match=etag
        )

    async def record_post(self, reference: str, activity_id: str, *, at: datetime) -> bool:
        """Keep the id of the case card posted to the review channel, and audit the post.

        False when the case is gone or kept moving.
        """
        return await self._record_card(
            reference, "channel_activity_id", activity_id, at=at, what="posted to review channel"
        )

    async def record_told(self, reference: str, activity_id: str, *, at: datetime) -> bool:
        """Keep the id of the card that told the child's home partnership, and audit it.

        False when the case is gone or kept moving.
        """
        return await self._record_card(
            reference, "told_activity_id", activity_id, at=at, what="home partnership told"
        )

    async def _record_card(
        self, reference: str, field: str, activity_id: str, *, at: datetime, what: str
    ) -> bool:
        # A decision may land between the read and the write: read again and retry, a few times.
        for _ in range(3):
            loaded = await self.get(reference)
            if loaded is None:
                return False
            case, etag = loaded
            try:
                await self.save(case.model_copy(update={field: activity_id}), etag)
            except ConflictError:
                continue
            detail = (
                {"partnership": case.referral.area.told_partnership_id}
                if field == "told_activity_id"
                else {}
            )
            await self.audit(reference, at=at, actor="bot", role="system", what=what, **detail)
            return True
        return False

    async def in_statuses(self, partnership_id: str, statuses: Iterable[CaseStatus]) -> list[Case]:
        """The cases of one partnership in these statuses (an indexed read, not every case)."""
        docs: list[Document] = []
        for status in sorted(set(statuses)):
            docs.extend(
                await self._store.list(
                    Collection.CASES,
                    where={"partnership_id": partnership_id, "status": status.value},
                )
            )
        docs.sort(key=lambda d: d.key)
        # Thousands of cases take a second to validate: not on the event loop.
        return await asyncio.to_thread(_load_cases, docs)

    async def versions_in_statuses(
        self, partnership_id: str, statuses: Iterable[CaseStatus]
    ) -> dict[str, str]:
        """Reference to e-tag of one partnership's cases in these statuses; no case is read."""
        found: dict[str, str] = {}
        for status in sorted(set(statuses)):
            found.update(
                await self._store.etags(
                    Collection.CASES,
                    where={"partnership_id": partnership_id, "status": status.value},
                )
            )
        return found

    async def references_of(self, partnership_id: str) -> list[str]:
        """The references of every case of one partnership, in order; no case is read."""
        found = await self._store.etags(Collection.CASES, where={"partnership_id": partnership_id})
        return [reference for reference, _ in found]

    async def each_version(self, references: Iterable[str]) -> AsyncIterator[tuple[Case, str]]:
        """These cases with their e-tags, read and validated one at a time, so one whole case
        at most is in memory; a case gone or unreadable is left out (and logged), so one
        damaged record never stops the others."""
        for reference in references:
            doc = await self._store.get(Collection.CASES, reference)
            if doc is None:
                continue  # finished and deleted since it was listed
            try:
                case = load_model(Case, Collection.CASES, reference, doc.data)
            except CorruptRecordError as exc:
                logger.error("skipped a case: %s", exc)
                continue
            yield case, doc.etag

    async def for_partnership(self, partnership_id: str) -> list[Case]:
        """Every case of one partnership."""
        docs = await self._store.list(Collection.CASES, where={"partnership_id": partnership_id})
        # Thousands of cases take a second to validate: not on the event loop.
        return await asyncio.to_thread(_load_cases, docs)

    async def duplicates_of(self, referral: Referral) -> list[str]:
        """References of existing cases that look like this referral."""
        # Only the cases the child index names are read: those of the same partnership with a
        # child of the same initials and date of birth (or expected date); looks_like decides.
        await self.build_child_index()
        partnership_id = referral.area.partnership_id
        references: set[str] = set()
        # Every data key's index: a replica still writing with the key before a rotation
        # indexes its cases under that one.
        for index in self._indexes:
            for child in referral.children:
                prefix = child_index_prefix(partnership_id, child, index)
                if prefix is not None:
                    docs = await self._store.list(Collection.CASE_INDEX, prefix=prefix)
                    references.update(doc.data["reference"] for doc in docs)
        found = []
        for reference in sorted(references):
            doc = await self._store.get(Collection.CASES, reference)
            if doc is not None:
                found.extend(_load_cases([doc]))
        return [case.reference for case in found if looks_like(case, referral)]

    async def index_children(
        self, partnership_id: str, reference: str, children: Iterable[Child]
    ) -> None:
        """Name the case filed (or to be filed) under `reference` in the child index."""
        for key in _index_keys(partnership_id, reference, children, self._indexes[0]):
            await self._index(key, reference)

    async def _index(self, key: str, reference: str) -> None:
        await self._store.put(Collection.CASE_INDEX, key, {"reference": reference})

    async def unindex_children(self, case: Case) -> int:
        """Delete the case's child index entries (before its children are erased); how many.

        The entries are keyed hashes of initials and dates of birth: personal data all the
        same. Every index key's entries go, an older key's too (a rotation not yet finished).
        """
        removed = 0
        children = case.referral.children
        for index in self._indexes:
            for key in _index_keys(case.partnership_id, case.reference, children, index):
                removed += await self._store.delete(Collection.CASE_INDEX, key)
        return removed

    async def build_child_index(self) -> None:
        """Index the cases stored before the child index: a scan, once per store."""
        async with self._index_lock:
            if self._index_ready:
                return
            index = self._indexes[0]
            if await self._store.get(Collection.CASE_INDEX, index.built) is None:
                docs = await self._store.list(Collection.CASES)
                entries = await asyncio.to_thread(_stored_index_keys, docs, index)
                del docs
                for start in range(0, len(entries), _INDEX_BATCH):
                    # Side by side: each write waits for its own fsync, not the one before.
                    batch = entries[start : start + _INDEX_BATCH]
                    await asyncio.gather(*(self._index(key, ref) for key, ref in batch))
                with contextlib.suppress(ConflictError):  # another process finished first
                    await self._store.put(
                        Collection.CASE_INDEX,
                        index.built,
                        {"entries": len(entries)},
                        if_none_match=True,
                    )
                logger.info("child index built: %d entries", len(entries))
                # A new index replaces the ones under keys no longer held (or unkeyed).
                await self.prune_child_index(keep={i.name for i in self._indexes})
            self._index_ready = True

    async def prune_child_index(self, *, keep: set[str]) -> int:
        """Delete the child index entries of every index not named in `keep`; return how many."""
        removed = 0
        for doc in await self._store.list(Collection.CASE_INDEX):
            name = doc.key.partition(":")[0].removesuffix("-built")
            if name not in keep:
                with contextlib.suppress(ConflictError):
                    await self._store.delete(Collection.CASE_INDEX, doc.key, if_match=doc.etag)
                    removed += 1
        if removed:
            logger.info("child index: %d entries of an older index deleted", removed)
        return removed

    async def rebuild_child_index(self) -> int:
        """Index every case under the writing key's index and delete every other index (after
        a key rotation); return how many entries were deleted."""
        await self.build_child_index()
        return await self.prune_child_index(keep={self._indexes[0].name})

    async def audit(
        self, reference: str, *, at: datetime, actor: str, role: str, what: str, **detail: Any
    ) -> None:
        """Append an entry to a case's audit trail; entries are never changed (a repeated
        refusal's count aside, `audit_repeat`)."""
        entry = {
            "reference": reference,
            "at": at.isoformat(),
            "actor": actor,
            "role": role,
            "what": what,
            **detail,
        }
        # Sequence numbers keep the trail in order even when entries share a timestamp;
        # create-only writes mean two writers can never take the same number.
        for _ in range(_COUNTER_ATTEMPTS):
            sequence = len(await self._store.list(Collection.AUDIT, prefix=f"{reference}/"))
            try:
                await self._store.put(
                    Collection.AUDIT,
                    f"{reference}/{sequence + 1:06d}",
                    {**entry, "sequence": sequence + 1},
                    if_none_match=True,
                )
            except ConflictError:
                continue
            return
        raise ConflictError(Collection.AUDIT, reference, expected=None, actual=None)

    async def audit_repeat(
        self,
        reference: str,
        *,
        at: datetime,
        day: date,
        actor: str,
        role: str,
        what: str,
        **detail: Any,
    ) -> None:
        """Append a refusal once per person, action and day; a repeat counts in that entry.

        The entry keeps when it was first refused (`at`), `count` and `last_at`; a repeat with
        another reason (or role) is an entry of its own. Only refusals are counted: 300 forged
        clicks are one entry, not 300, and the trail still says they happened and how often.
        """
        entry: dict[str, Any] = {
            "reference": reference,
            "at": at.isoformat(),
            "actor": actor,
            "role": role,
            "what": what,
            **detail,
            "day": day.isoformat(),
            "count": 1,
        }
        same = ("actor", "role", "what", "day", "reason", "refusal")
        for _ in range(_COUNTER_ATTEMPTS):
            docs = await self._store.list(Collection.AUDIT, prefix=f"{reference}/")
            earlier = next(
                (d for d in reversed(docs) if all(d.data.get(k) == entry.get(k) for k in same)),
                None,
            )
            try:
                if earlier is None:
                    await self._store.put(
                        Collection.AUDIT,
                        f"{reference}/{len(docs) + 1:06d}",
                        {**entry, "sequence": len(docs) + 1},
                        if_none_match=True,
                    )
                else:
                    count = earlier.data.get("count")
                    counted = {
                        **earlier.data,
                        "count": (count if isinstance(count, int) else 1) + 1,
                        "last_at": at.isoformat(),
                    }
                    await self._store.put(
                        Collection.AUDIT, earlier.key, counted, if_match=earlier.etag
                    )
            except ConflictError:
                continue  # another click was counted or appended first: read again
            return
        raise ConflictError(Collection.AUDIT, reference, expected=None, actual=None)

    async def audit_trail(self, reference: str) -> list[dict[str, Any]]:
        """A case's audit entries, oldest first."""
        docs = await self._store.list(Collection.AUDIT, prefix=f"{reference}/")
        return [d.data for d in docs]


class Filer(BaseModel):
    """Who pressed Submit: enough to file the case as them and tell them, from any replica."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str  # the key their draft is kept under
    user_id: str  # their Teams id, for the personal chat
    aad_object_id: str | None = None

    def identity(self) -> ReferrerIdentity:
        """The referrer as the case records them."""
        return ReferrerIdentity(user_id=self.user_id, aad_object_id=self.aad_object_id)


class StoredDraft(BaseModel):
    """A draft as kept between turns, with its timestamps and its filing claim."""

    model_config = ConfigDict(extra="forbid")

    draft: Draft
    started: datetime
    updated: datetime
    # When Submit was pressed: the claim. The case is submitted at this moment.
    filing_since: datetime | None = None
    # The reference allocated while filing, so an interrupted filing can be finished.
    filing_reference: str | None = None
    filed_reference: str | None = None
    # The filing's own id, kept on the case it makes: only that case can confirm this filing.
    filing_id: str | None = None
    # When a filer (the turn, or whoever took an interrupted filing over) last held the claim.
    filing_touched: datetime | None = None
    filing_user: Filer | None = None

    @property
    def claimed(self) -> bool:
        """Whether a filing holds this draft (and it is not filed yet)."""
        return self.filing_since is not None and self.filed_reference is None

    def held_since(self) -> datetime | None:
        """When the claim was last taken or renewed."""
        return self.filing_touched or self.filing_since


class DraftConflictError(ConflictError):
    """The draft was changed elsewhere (another device, a double click) since it was read."""


class DraftRepository:
    """One draft per user, expiring after a configurable time without changes."""

    def __init__(self, store: Store, *, ttl: timedelta) -> None:
        self._store = store
        self._ttl = ttl

    @staticmethod
    def key(user_key: str) -> str:
        """The storage key of a user's draft."""
        return safe_key("draft", user_key)

    async def load(self, user_key: str, now: datetime) -> tuple[StoredDraft, str] | None:
        """The user's draft and its e-tag; an expired draft is deleted and None returned."""
        key = self.key(user_key)
        doc = await self._store.get(Collection.STATE, key)
        if doc is None:
            return None
        stored = load_model(StoredDraft, Collection.STATE, key, doc.data)
        # A claimed draft is a filing under way: it is finished, never expired.
        expired = now - stored.updated > self._ttl
        if stored.filed_reference is None and not stored.claimed and expired:
            await self._store.delete(Collection.STATE, key, if_match=doc.etag)
            logger.info("expired draft deleted")
            return None
        return stored, doc.etag

    async def save(self, user_key: str, stored: StoredDraft, etag: str | None) -> str:
        """Write the draft over the version read (or create it); DraftConflictError otherwise."""
        try:
            return await self._store.put(
                Collection.STATE,
                self.key(user_key),
                stored.model_dump(mode="json"),
                if_match=etag,
                if_none_match=etag is None,
            )
        except ConflictError as exc:
            raise DraftConflictError(
                exc.collection, exc.key, expected=exc.expected, actual=exc.actual
            ) from None

    async def expired(self, now: datetime) -> list[Document]:
        """Every draft untouched for longer than the time to live, that `sweep` deletes."""
        found = []
        for doc in await self._store.list(Collection.STATE, prefix="draft:"):
            updated = doc.data.get("updated")
            filed = doc.data.get("filed_reference")
            claimed = doc.data.get("filing_since")
            try:
                stale = now - datetime.fromisoformat(str(updated)) > self._ttl
            except ValueError:
                stale = True  # unreadable: nothing worth keeping
            # A filed marker holds no referral data; it stays to answer a late second Submit.
            # A claimed draft is a filing under way: the filing recovery finishes it.
            if stale and not filed and not claimed:
                found.append(doc)
        return found

    async def sweep(self, now: datetime) -> int:
        """Delete every draft untouched for longer than the time to live; return how many."""
        removed = 0
        for doc in await self.expired(now):
            with contextlib.suppress(ConflictError):
                await self._store.delete(Collection.STATE, doc.key, if_match=doc.etag)
                removed += 1
        return removed

    async def claims(self) -> list[tuple[StoredDraft, str]]:
        """Every draft a filing holds, with its e-tag (for finishing interrupted filings)."""
        found: list[tuple[StoredDraft, str]] = []
        for doc in await self._store.list(Collection.STATE, prefix="draft:"):
            if not doc.data.get("filing_since") or doc.data.get("filed_reference"):
                continue
            try:
                stored = load_model(StoredDraft, Collection.STATE, doc.key, doc.data)
            except CorruptRecordError as exc:
                # One unreadable draft must not stop every other filing being finished.
                logger.error("skipped a claimed draft: %s", exc)
                continue
            found.append((stored, doc.etag))
        return found

    async def discard(self, user_key: str) -> None:
        """Delete the user's draft (cancel, or start again)."""
        await self._store.delete(Collection.STATE, self.key(user_key))
