"""Encryption at rest over any Store: every document sealed with AES-256-GCM, field by field.

Each document's whole body is encrypted; only a few fields per collection (`CLEAR_FIELDS`,
none of them personal data) are also kept in clear beside the ciphertext, so `list(where=...)`
on them still runs in the backend. The collection, the key and the data key's id are bound
into each ciphertext as associated data: a ciphertext moved to another document does not open.
The clear copies are checked against the decrypted body on every read.

Kept in the `keyring` collection: per data key id, a small check value sealed with that key
(so a wrong key is refused at start-up, before anything is read or written) and, once every
document is sealed, a record saying so (from then a document in clear is refused).

UK GDPR Article 32(1)(a) names "the pseudonymisation and encryption of personal data" among
the measures for the security of processing; Article 34(3)(a) spares telling the people
affected of a breach when the data was unintelligible to whoever took it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import builtins
import contextlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.base import (
    Collection,
    ConflictError,
    Document,
    JsonDict,
    Store,
    StoreError,
    Versions,
    check_key,
)
from storage.bulk import collector_paused
from storage.keys import Keyring, KeyringError

logger = logging.getLogger(__name__)

# The fields kept in clear beside the ciphertext: those `list(where=...)` asks about, and
# nothing that names or describes a person. Ids (Teams and Entra object ids, case references)
# are pseudonymous and are keys already. Any other `where` field is compared after decryption.
CLEAR_FIELDS: Final[Mapping[Collection, tuple[str, ...]]] = {
    Collection.CASES: ("partnership_id", "status"),
    Collection.DELIVERIES: ("reference", "state"),
    Collection.COUNTERS: ("kind", "month"),
    Collection.CONVERSATIONS: ("user_aad_object_id", "team_id"),
}
SEALED: Final = "_sealed"  # the field holding "v1.<key id>.<base64url(nonce, ciphertext, tag)>"
ENCRYPTION_PURPOSE: Final = b"review-bot document encryption v1"
_VERSION = "v1"
_NONCE_BYTES = 12  # 96-bit random nonces, as NIST SP 800-38D recommends for GCM
_TAG_BYTES = 16
_CHECK_PREFIX = "data-key:"
ALL_SEALED: Final = "all-sealed"  # the keyring record: every document is sealed
_CHECK_BODY: Final = {"check": "review-bot data key"}
_IN_THREAD = 64  # a listing longer than this is decrypted off the event loop
_BATCH = 16  # documents re-encrypted side by side
_ATTEMPTS = 5


class SealError(KeyringError):
    """A document that cannot be opened; names where and which key, never what it holds."""

    def __init__(self, collection: str, key: str, detail: str) -> None:
        self.collection = collection
        self.key = key
        super().__init__(f"{collection}/{key}: {detail}")


class UnknownKeyError(SealError):
    """A document sealed with a data key id the keyring does not hold."""

    def __init__(self, collection: str, key: str, key_id: str, source: str) -> None:
        self.key_id = key_id
        super().__init__(
            collection,
            key,
            f"encrypted with data key {key_id!r}, which {source} does not hold: put it back"
            " (after the key that writes) until review-bot rotate-key has re-encrypted"
            " everything with the new one",
        )


class WrongKeyError(SealError):
    """A ciphertext whose tag fails: another key under that id, or changed outside the bot."""

    def __init__(self, collection: str, key: str, key_id: str, source: str) -> None:
        self.key_id = key_id
        super().__init__(
            collection,
            key,
            f"data key {key_id!r} in {source} does not open it: that id holds another key"
            " than the one it was written with, or the stored document was changed",
        )


class ClearDocumentError(SealError):
    """A document in clear in a store whose documents are all encrypted."""

    def __init__(self, collection: str, key: str) -> None:
        super().__init__(
            collection,
            key,
            "stored in clear though every document here is encrypted: written by something"
            " other than the bot (an older version still running?); review-bot rotate-key"
            " encrypts it",
        )


class DamagedSealError(SealError):
    """A sealed document whose envelope or clear fields were changed outside the bot."""


def sealed_key_id(data: Mapping[str, Any]) -> str | None:
    """The id of the data key a stored document is sealed with; None if it is in clear."""
    envelope = data.get(SEALED)
    if not isinstance(envelope, str):
        return None
    version, _, rest = envelope.partition(".")
    key_id, _, _ = rest.partition(".")
    return key_id if version == _VERSION and key_id else None


def _aad(key_id: str, collection: Collection, key: str) -> bytes:
    return f"review-bot\0{_VERSION}\0{key_id}\0{collection.value}\0{key}".encode()


_MISSING: Final = object()


@dataclass
class ResealTally:
    """One collection's re-encryption: counts only, never what the documents hold."""

    collection: str
    resealed: int = 0  # re-encrypted with the writing key (from clear or another key)
    already: int = 0  # already under the writing key: left as they are


@dataclass
class Rotation:
    """What `rotate` did: per-collection counts and the key ids no document uses any more."""

    tallies: list[ResealTally]
    retired: list[str]


class EncryptedStore:
    """A Store that seals each document before the backend keeps it and opens it on reading."""

    def __init__(self, inner: Store, keyring: Keyring, *, read_only: bool = False) -> None:
        self.inner = inner
        self.keyring = keyring
        self.read_only = read_only
        self._aeads = {k.id: AESGCM(k.derive(ENCRYPTION_PURPOSE)) for k in keyring.keys}
        # Until the keyring says every document is sealed, one in clear (kept before this
        # version) is read as it is; `open` seals them all.
        self._all_sealed = False

    @classmethod
    async def open(
        cls, inner: Store, keyring: Keyring, *, read_only: bool = False
    ) -> EncryptedStore:
        """Check the keys against the store (KeyringError if one is wrong or missing); writable,
        record the writing key and encrypt any document still in clear."""
        store = cls(inner, keyring, read_only=read_only)
        await store._check_keyring()
        if not read_only and not store._all_sealed:
            tallies = await store.reseal(only_clear=True)
            converted = sum(t.resealed for t in tallies)
            if converted:
                logger.warning("encrypted %d document(s) kept in clear before", converted)
            await store._mark_all_sealed()
        return store

    @property
    def single_process(self) -> bool:
        """Whether the backend allows only one process (the embedded store's lock)."""
        return bool(getattr(self.inner, "single_process", False))

    async def _check_keyring(self) -> None:
        found: set[str] = set()
        for doc in await self.inner.list(Collection.KEYRING):
            if doc.key == ALL_SEALED:
                self._all_sealed = True
            elif doc.key.startswith(_CHECK_PREFIX):
                self._check(doc)
                found.add(doc.key.removeprefix(_CHECK_PREFIX))
        primary = self.keyring.primary.id
        if primary in found or self.read_only:
            return
        key = f"{_CHECK_PREFIX}{primary}"
        try:
            await self.inner.put(
                Collection.KEYRING,
                key,
                self._seal(Collection.KEYRING, key, _CHECK_BODY),
                if_none_match=True,
            )
        except ConflictError:
            # Another replica, starting at the same moment, recorded it first.
            recorded = await self.inner.get(Collection.KEYRING, key)
            if recorded is not None:
                self._check(recorded)
        logger.info("data key %r recorded as the writing key", primary)

    def _check(self, doc: Document) -> None:
        if self._unseal(Collection.KEYRING, doc.key, doc.data) != _CHECK_BODY:
            raise DamagedSealError(Collection.KEYRING.value, doc.key, "not a key check value")

    async def _mark_all_sealed(self) -> None:
        with contextlib.suppress(ConflictError):  # another replica finished first
            await self.inner.put(
                Collection.KEYRING, ALL_SEALED, {"all_sealed": True}, if_none_match=True
            )
        self._all_sealed = True

    def _seal(self, collection: Collection, key: str, data: Mapping[str, Any]) -> JsonDict:
        body = dict(data)
        # As the backends refuse them: not JSON (TypeError), NaN or infinities (ValueError).
        plain = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        primary = self.keyring.primary.id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aeads[primary].encrypt(nonce, plain.encode(), _aad(primary, collection, key))
        stored: JsonDict = {n: body[n] for n in CLEAR_FIELDS.get(collection, ()) if n in body}
        blob = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        stored[SEALED] = f"{_VERSION}.{primary}.{blob}"
        return stored

    def _unseal(
        self, collection: Collection, key: str, data: JsonDict, *, clear_ok: bool = False
    ) -> JsonDict:
        envelope = data.get(SEALED)
        if envelope is None:
            if self._all_sealed and not clear_ok:
                raise ClearDocumentError(collection.value, key)
            return data
        key_id = sealed_key_id(data)
        if key_id is None or not isinstance(envelope, str):
            raise DamagedSealError(collection.value, key, "the encrypted field is damaged")
        aead = self._aeads.get(key_id)
        if aead is None:
            raise UnknownKeyError(collection.value, key, key_id, self.keyring.source)
        blob = envelope.split(".", 2)[2]
        try:
            raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        except (binascii.Error, ValueError):
            raise DamagedSealError(
                collection.value, key, "the encrypted field is damaged"
            ) from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DamagedSealError(collection.value, key, "the encrypted field is cut short")
        try:
            plain = aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(key_id, collection, key)
            )
        except InvalidTag:
            raise WrongKeyError(collection.value, key, key_id, self.keyring.source) from None
        body: JsonDict = json.loads(plain.decode())  # from bytes, json guesses the encoding: slow
        clear = CLEAR_FIELDS.get(collection, ())
        extra = [n for n in data if n != SEALED and n not in clear]
        changed = [n for n in clear if data.get(n, _MISSING) != body.get(n, _MISSING)]
        if extra or changed:
            raise DamagedSealError(
                collection.value, key, "a field beside the encrypted body was changed outside"
            )
        return body

    def _open_all(
        self, collection: Collection, docs: Sequence[Document], where: Mapping[str, Any]
    ) -> list[Document]:
        opened: list[Document] = []
        with collector_paused():
            for doc in docs:
                body = self._unseal(collection, doc.key, doc.data)
                if all(body.get(n) == v for n, v in where.items()):
                    opened.append(Document(key=doc.key, data=body, etag=doc.etag))
        return opened

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The document under key, decrypted, or None."""
        doc = await self.inner.get(collection, key)
        if doc is None:
            return None
        return Document(key=key, data=self._unseal(collection, key, doc.data), etag=doc.etag)

    async def put(
        self,
        collection: Collection,
        key: str,
        data: Mapping[str, Any],
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Encrypt and write a document; return its new e-tag."""
        check_key(key)
        sealed = self._seal(Collection(collection), key, data)
        return await self.inner.put(
            collection, key, sealed, if_match=if_match, if_none_match=if_none_match
        )

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete a document; return whether it existed."""
        return await self.inner.delete(collection, key, if_match=if_match)

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """Documents of a collection in key order, decrypted; `where` on a clear field runs in
        the backend, on any other after decryption."""
        collection = Collection(collection)
        clear = CLEAR_FIELDS.get(collection, ())
        asked = dict(where or {})
        in_backend = {n: v for n, v in asked.items() if n in clear}
        after = {n: v for n, v in asked.items() if n not in clear}
        docs = await self.inner.list(collection, where=in_backend or None, prefix=prefix)
        if len(docs) > _IN_THREAD:
            # Thousands of cases take a while to decrypt and parse: not on the event loop.
            return await asyncio.to_thread(self._open_all, collection, docs, after)
        return self._open_all(collection, docs, after)

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """(key, e-tag) of every document `list` would return, without them: from the backend
        when `where` asks only of clear fields (an e-tag is no secret), else as `list` finds."""
        collection = Collection(collection)
        asked = dict(where or {})
        if all(n in CLEAR_FIELDS.get(collection, ()) for n in asked):
            return await self.inner.etags(collection, where=asked or None, prefix=prefix)
        return [(d.key, d.etag) for d in await self.list(collection, where=asked, prefix=prefix)]

    async def is_ready(self) -> bool:
        """Whether the backend is open and usable."""
        return await self.inner.is_ready()

    async def close(self) -> None:
        """Close the backend."""
        await self.inner.close()

    async def reseal(self, *, only_clear: bool = False) -> builtins.list[ResealTally]:
        """Re-encrypt with the writing key every document under another key (or, with
        `only_clear`, only those in clear); safe to run again, and beside a running bot."""
        tallies = []
        for collection in Collection:
            if collection is Collection.KEYRING:
                continue
            tally = ResealTally(collection.value)
            docs = await self.inner.list(collection)
            for start in range(0, len(docs), _BATCH):
                await asyncio.gather(
                    *(
                        self._reseal_one(collection, doc, tally, only_clear=only_clear)
                        for doc in docs[start : start + _BATCH]
                    )
                )
            tallies.append(tally)
        return tallies

    async def _reseal_one(
        self, collection: Collection, doc: Document, tally: ResealTally, *, only_clear: bool
    ) -> None:
        current: Document | None = doc
        for _ in range(_ATTEMPTS):
            if current is None:
                return  # deleted meanwhile
            key_id = sealed_key_id(current.data)
            if key_id == self.keyring.primary.id or (only_clear and key_id is not None):
                tally.already += 1
                return
            body = self._unseal(collection, current.key, current.data, clear_ok=True)
            try:
                await self.inner.put(
                    collection,
                    current.key,
                    self._seal(collection, current.key, body),
                    if_match=current.etag,
                )
            except ConflictError:
                # The bot wrote it meanwhile (with the writing key, normally): look again.
                current = await self.inner.get(collection, current.key)
                continue
            tally.resealed += 1
            return
        raise ConflictError(collection, doc.key, expected=doc.etag, actual=None)

    async def rotate(self) -> Rotation:
        """Re-encrypt everything with the writing key, then forget the other keys' check
        values: a key no document uses can then be dropped from the settings."""
        if self.read_only:
            raise StoreError("rotate: the store is opened read-only")
        tallies = await self.reseal()
        retired: builtins.list[str] = []
        for doc in await self.inner.list(Collection.KEYRING, prefix=_CHECK_PREFIX):
            key_id = doc.key.removeprefix(_CHECK_PREFIX)
            if key_id != self.keyring.primary.id:
                await self.inner.delete(Collection.KEYRING, doc.key)
                retired.append(key_id)
        await self._mark_all_sealed()
        return Rotation(tallies=tallies, retired=retired)
