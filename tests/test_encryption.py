"""Encryption at rest: what the backend keeps, the data keys, start-up checks and rotation."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import re
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import open_store
from bot.settings import EXAMPLE_PARTNERSHIPS, SettingsError, load_settings
from cli.main import run
from storage.base import Collection, Store
from storage.cases import CaseRepository, child_index_keys
from storage.encrypted import (
    CLEAR_FIELDS,
    SEALED,
    ClearDocumentError,
    DamagedSealError,
    EncryptedStore,
    UnknownKeyError,
    WrongKeyError,
    sealed_key_id,
)
from storage.keys import parse_data_keys
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore
from tests.support.cases import make_case, make_referral
from tests.support.keys import OTHER_KEYS, TEST_KEYS, key_text, keyring
from tests.support.postgres import free_port

JANE = "Jane Doe"


@pytest.fixture(params=["tinydb", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A bare backend, as the encrypted store wraps it: each in turn."""
    store: Store
    if request.param == "postgres":
        store = await PostgresStore.open(request.getfixturevalue("postgres_url"))
    else:
        store = TinyDBStore(tmp_path / "data")
    yield store
    await store.close()


# -- the data keys ---------------------------------------------------------------------------


def test_keys_in_both_base64_alphabets_with_or_without_padding_are_read() -> None:
    # The same 32 bytes: the standard alphabet shows "+" and "/", the URL-safe "-" and "_".
    standard = "a:X+zrZv/IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V+k="
    url_safe = "b:X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-k"  # padding left off
    # Read one at a time: the same key under two ids is refused (below).
    first, second = parse_data_keys(f" {standard} "), parse_data_keys(f" {url_safe} ")
    assert (first.ids, second.ids) == (("a",), ("b",))
    assert first.primary.secret == second.primary.secret
    assert len(first.primary.secret) == 32


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("k1:not*base64!", "key 'k1': not base64"),
        ("k1:" + "QUJD" * 4, "key 'k1': 12 bytes, not 32 (make one: openssl rand -base64 32)"),
        (f"{TEST_KEYS},{key_text('test1', 9)}", "key 'test1': the id is given twice"),
        (TEST_KEYS.split(":")[1], "item 1 is not id:key"),
        ("bad id:" + TEST_KEYS.split(":")[1], "item 1: the key id must be 1 to 32 letters"),
        ("", "empty"),
        ("k1:" + base64.b64encode(bytes(32)).decode(), "key 'k1': not random"),
        ("k1:" + base64.b64encode(b"abc" * 10 + b"ab").decode(), "key 'k1': not random"),
        (
            f"{TEST_KEYS},{OTHER_KEYS},again:{TEST_KEYS.split(':')[1]}",
            "key 'again': the same key as 'test1'; give each id its own",
        ),
    ],
)
def test_a_bad_key_is_refused_saying_what_is_wrong_never_showing_it(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)) as info:
        parse_data_keys(text)
    assert TEST_KEYS.split(":")[1] not in str(info.value)
    for item in text.split(","):
        material = item.partition(":")[2]
        assert not material or material not in str(info.value)


def test_a_bad_key_in_the_settings_is_one_named_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", "k1:" + "QUJD" * 4)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert info.value.problems == [
        "REVIEW_BOT_DATA_KEYS: key 'k1': 12 bytes, not 32 (make one: openssl rand -base64 32)"
    ]
    assert "QUJD" not in str(info.value)


@pytest.mark.parametrize(
    "beyond_loopback",
    [
        {
            "REVIEW_BOT_HOST": "10.0.0.5",
            "MicrosoftAppId": "11111111-1111-1111-1111-111111111111",
            "MicrosoftAppPassword": "p",
            "MicrosoftAppTenantId": "t",
        },
        {
            "REVIEW_BOT_HOST": "0.0.0.0",
            "MicrosoftAppId": "11111111-1111-1111-1111-111111111111",
            "MicrosoftAppType": "UserAssignedMSI",
            "MicrosoftAppTenantId": "t",
        },
    ],
)
def test_no_keys_beyond_loopback_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, beyond_loopback: dict[str, str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REVIEW_BOT_DATA_KEYS", raising=False)
    for name, value in beyond_loopback.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    [problem] = info.value.problems
    assert problem.startswith("REVIEW_BOT_DATA_KEYS: required beyond a loopback development run")
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", TEST_KEYS)
    assert load_settings().data_keys is not None
    # And serve says so, and starts nothing.
    monkeypatch.delenv("REVIEW_BOT_DATA_KEYS")
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve"], stdout=out, stderr=err) == 2
    assert "REVIEW_BOT_DATA_KEYS: required" in err.getvalue()
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "data.keys").exists()


def test_credentials_on_loopback_without_keys_use_the_development_key_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The rule: the host decides. The Toolkit's local run has credentials and no keys.
    monkeypatch.delenv("REVIEW_BOT_DATA_KEYS", raising=False)
    settings = load_settings(
        data_dir=tmp_path / "data",
        app_id="11111111-1111-1111-1111-111111111111",
        app_password="p",
        app_tenant_id="t",
    )
    assert settings.authentication_enabled
    assert settings.data_keys is None
    assert settings.key_file_path == tmp_path / "data.keys"


def test_a_key_file_inside_the_data_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(data_dir=tmp_path / "data", key_file=tmp_path / "data" / "keys")
    assert [p.split(":")[0] for p in info.value.problems] == ["REVIEW_BOT_KEY_FILE"]
    assert "inside REVIEW_BOT_DATA_DIR" in info.value.problems[0]


async def test_a_loopback_run_without_keys_makes_a_private_key_file_beside_the_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    with caplog.at_level(logging.WARNING):
        store = await open_store(settings)
    key_file = tmp_path / "data.keys"
    assert settings.key_file_path == key_file
    assert key_file.exists()
    assert not key_file.resolve().is_relative_to((tmp_path / "data").resolve())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert any("made a development key" in r.getMessage() for r in caplog.records)
    assert key_file.read_text().strip().split(":")[1] not in caplog.text
    await CaseRepository(store).create(make_case(make_referral()))
    await store.close()
    # The next start reads the same key, so the same data.
    again = await open_store(settings)
    try:
        assert await CaseRepository(again).get("COV-2026-001") is not None
        assert again.keyring.source == f"the key file {key_file}"
    finally:
        await again.close()
    # Lose the key file: the store written with it is refused, and no new key file is made,
    # so the old one can be put back where it was (and then opens the store again).
    written = key_file.read_text()
    key_file.rename(tmp_path / "data.keys.bak")
    with pytest.raises(UnknownKeyError, match=f"encrypted with data key '{written.split(':')[0]}'"):
        await open_store(settings)
    assert not key_file.exists()
    (tmp_path / "data.keys.bak").rename(key_file)
    restored = await open_store(settings)
    try:
        assert await CaseRepository(restored).get("COV-2026-001") is not None
    finally:
        await restored.close()
    assert key_file.read_text() == written


# -- what the backend keeps ------------------------------------------------------------------


async def test_the_backend_keeps_ciphertext_and_only_the_listed_fields_in_clear(
    backend: Store,
) -> None:
    store = await EncryptedStore.open(backend, keyring())
    case = make_case(make_referral())
    await CaseRepository(store).create(case)
    raw = await backend.get(Collection.CASES, "COV-2026-001")
    assert raw is not None
    assert set(raw.data) == {"partnership_id", "status", SEALED}
    assert (raw.data["partnership_id"], raw.data["status"]) == ("coventry", "referred")
    assert sealed_key_id(raw.data) == "test1"
    assert JANE not in json.dumps(raw.data)
    # Read back through the store: the case as written.
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0] == case
    # No collection's clear fields name or describe a person.
    assert {f for fields in CLEAR_FIELDS.values() for f in fields} == {
        "partnership_id",
        "status",
        "reference",
        "state",
        "kind",
        "month",
        "user_aad_object_id",
        "team_id",
    }


async def test_where_on_clear_and_on_encrypted_fields_both_work(backend: Store) -> None:
    store = await EncryptedStore.open(backend, keyring())
    await store.put(Collection.CASES, "a", {"partnership_id": "coventry", "colour": "red"})
    await store.put(Collection.CASES, "b", {"partnership_id": "coventry", "colour": "blue"})
    await store.put(Collection.CASES, "c", {"partnership_id": "hull", "colour": "red"})
    found = await store.list(
        Collection.CASES, where={"partnership_id": "coventry", "colour": "red"}
    )
    assert [d.key for d in found] == ["a"]
    assert [d.key for d in await store.list(Collection.CASES, where={"colour": "red"})] == [
        "a",
        "c",
    ]


async def test_a_ciphertext_moved_to_another_document_does_not_open(backend: Store) -> None:
    store = await EncryptedStore.open(backend, keyring())
    await store.put(Collection.CASES, "COV-2026-001", {"partnership_id": "coventry", "x": 1})
    raw = await backend.get(Collection.CASES, "COV-2026-001")
    assert raw is not None
    await backend.put(Collection.CASES, "COV-2026-002", raw.data)
    await backend.put(Collection.STATE, "COV-2026-001", raw.data)
    for collection, key in [(Collection.CASES, "COV-2026-002"), (Collection.STATE, "COV-2026-001")]:
        with pytest.raises(WrongKeyError) as info:
            await store.get(collection, key)
        assert str(info.value).startswith(f"{collection.value}/{key}: data key 'test1'")


async def test_a_clear_field_changed_outside_is_refused(backend: Store) -> None:
    store = await EncryptedStore.open(backend, keyring())
    await store.put(Collection.CASES, "COV-2026-001", {"partnership_id": "coventry", "x": 1})
    raw = await backend.get(Collection.CASES, "COV-2026-001")
    assert raw is not None
    await backend.put(Collection.CASES, "COV-2026-001", {**raw.data, "partnership_id": "hull"})
    with pytest.raises(DamagedSealError, match="changed outside"):
        await store.get(Collection.CASES, "COV-2026-001")


async def test_a_store_kept_in_clear_is_encrypted_at_the_first_start(backend: Store) -> None:
    # Written by the version before encryption: every collection, the child index too.
    await CaseRepository(backend).create(make_case(make_referral()))
    await backend.put(Collection.STATE, "draft:u", {"draft": {"name": JANE}})
    assert any(k.name == "child1" for k in child_index_keys(backend))
    store = await EncryptedStore.open(backend, keyring())
    for collection in (Collection.CASES, Collection.STATE, Collection.CASE_INDEX):
        for raw in await backend.list(collection):
            assert sealed_key_id(raw.data) == "test1", (collection, raw.key)
    repo = CaseRepository(store)
    assert await repo.duplicates_of(make_referral()) == ["COV-2026-001"]
    # The unkeyed index (a plain hash of initials and date of birth) is gone.
    assert [d.key for d in await backend.list(Collection.CASE_INDEX, prefix="child1")] == []
    assert await backend.list(Collection.CASE_INDEX, prefix="child2-test1:")
    # From now on a document in clear is refused, not read.
    await backend.put(Collection.STATE, "draft:v", {"draft": {}})
    with pytest.raises(ClearDocumentError):
        await store.get(Collection.STATE, "draft:v")


# -- start-up with a wrong or missing key ----------------------------------------------------


async def test_a_wrong_key_under_the_same_id_fails_at_open(backend: Store) -> None:
    await EncryptedStore.open(backend, keyring())
    with pytest.raises(WrongKeyError) as info:
        await EncryptedStore.open(backend, keyring(key_text("test1", 7)))
    assert str(info.value).startswith("keyring/data-key:test1: data key 'test1'")
    assert "REVIEW_BOT_DATA_KEYS" in str(info.value)


async def test_a_dropped_key_still_in_use_fails_at_open(backend: Store) -> None:
    first = await EncryptedStore.open(backend, keyring())
    await first.put(Collection.CASES, "COV-2026-001", {"partnership_id": "coventry"})
    with pytest.raises(UnknownKeyError) as info:
        await EncryptedStore.open(backend, keyring(OTHER_KEYS))
    assert str(info.value).startswith(
        "keyring/data-key:test1: encrypted with data key 'test1', which REVIEW_BOT_DATA_KEYS"
        " does not hold"
    )


def test_serve_with_a_wrong_key_fails_clearly_naming_no_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seed() -> None:
        store = await EncryptedStore.open(TinyDBStore(tmp_path / "data"), keyring())
        await CaseRepository(store).create(make_case(make_referral()))
        await store.close()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REVIEW_BOT_PORT", str(free_port()))
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", key_text("test1", 7))
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve"], stdout=out, stderr=err) == 2
    assert err.getvalue().startswith(
        "review-bot: cannot start: keyring/data-key:test1: data key 'test1' in"
        " REVIEW_BOT_DATA_KEYS does not open it"
    )
    assert "Jane" not in err.getvalue()


# -- rotation --------------------------------------------------------------------------------


async def test_rotation_then_dropping_the_old_key_still_reads_everything(backend: Store) -> None:
    old = await EncryptedStore.open(backend, keyring())
    await CaseRepository(old).create(make_case(make_referral()))
    await old.put(Collection.STATE, "draft:u", {"draft": {"name": JANE}})
    # The new key first, the old one after: both read, the new one writes.
    both = await EncryptedStore.open(backend, keyring(f"{OTHER_KEYS},{TEST_KEYS}"))
    await CaseRepository(both).create(
        make_case(make_referral(child_name="Amy Bell"), reference="COV-2026-002")
    )
    raw = await backend.get(Collection.CASES, "COV-2026-002")
    assert raw is not None
    assert sealed_key_id(raw.data) == "test2"
    assert await CaseRepository(both).duplicates_of(make_referral()) == ["COV-2026-001"]

    pruned = await CaseRepository(both).rebuild_child_index()
    rotation = await both.rotate()
    assert pruned == 1  # the old key's index entry for COV-2026-001
    assert rotation.retired == ["test1"]
    counts = {t.collection: (t.resealed, t.already) for t in rotation.tallies}
    assert counts["cases"] == (1, 1)
    assert counts["state"] == (1, 0)
    again = await both.rotate()
    assert sum(t.resealed for t in again.tallies) == 0  # idempotent
    assert again.retired == []

    new_only = await EncryptedStore.open(backend, keyring(OTHER_KEYS))
    repo = CaseRepository(new_only)
    assert {c.reference for c in await repo.for_partnership("coventry")} == {
        "COV-2026-001",
        "COV-2026-002",
    }
    draft = await new_only.get(Collection.STATE, "draft:u")
    assert draft is not None
    assert draft.data == {"draft": {"name": JANE}}
    assert await repo.duplicates_of(make_referral()) == ["COV-2026-001"]
    for collection in Collection:
        if collection is not Collection.KEYRING:
            for doc in await backend.list(collection):
                assert sealed_key_id(doc.data) == "test2", (collection, doc.key)


def test_rotate_key_prints_counts_and_the_key_to_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seed() -> None:
        store = await EncryptedStore.open(TinyDBStore(tmp_path / "data"), keyring())
        await CaseRepository(store).create(make_case(make_referral()))
        await store.close()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", f"{OTHER_KEYS},{TEST_KEYS}")

    def rotate() -> str:
        out, err = io.StringIO(), io.StringIO()
        assert run(["rotate-key"], stdout=out, stderr=err) == 0, err.getvalue()
        return out.getvalue()

    first = rotate()
    assert "cases                      1         0" in first
    assert "key 'test1' is no longer used: drop it from REVIEW_BOT_DATA_KEYS" in first
    second = rotate()
    assert "(0 re-encrypted now)" in second
    assert "no longer used" not in second
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", OTHER_KEYS)
    out, err = io.StringIO(), io.StringIO()
    assert run(["case", "show", "COV-2026-001"], stdout=out, stderr=err) == 0, err.getvalue()
    assert "COV-2026-001" in out.getvalue()


def test_check_store_counts_documents_by_key_and_in_clear(tmp_path: Path) -> None:
    async def seed() -> None:
        plain = TinyDBStore(tmp_path / "data")
        await plain.put(Collection.STATE, "k", {"v": 1})
        store = await EncryptedStore.open(plain, keyring())
        await CaseRepository(store).create(make_case(make_referral()))
        await plain.put(Collection.STATE, "written-outside", {"v": 2})
        await store.close()

    asyncio.run(seed())
    out, err = io.StringIO(), io.StringIO()
    run(["check-store", "--data-dir", str(tmp_path / "data")], stdout=out, stderr=err)
    assert "encryption: " in out.getvalue()
    line = next(x for x in out.getvalue().splitlines() if x.startswith("  encryption: "))
    assert "1 document(s) in clear (state)" in line
    assert "under key 'test1'" in line


# -- the tools that move stores --------------------------------------------------------------


async def test_the_first_layout_is_converted_then_encrypted_at_the_first_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    case = make_case(make_referral()).model_dump(mode="json")
    old = {"1": {"key": "COV-2026-001", "etag": "e1", "data": case}}
    (data / "cases.json").write_text(json.dumps({"documents": old}))
    store = await open_store(load_settings(data_dir=data))
    try:
        loaded = await CaseRepository(store).get("COV-2026-001")
        assert loaded is not None
        assert loaded[0].referral.children[0].name == JANE
    finally:
        await store.close()
    # Only the first layout's files, kept aside by the conversion, still hold the name.
    holding = [p for p in data.rglob("*.json") if JANE.encode() in p.read_bytes()]
    assert [p.relative_to(data).as_posix() for p in holding] == ["before-conversion/cases.json"]
    out, err = io.StringIO(), io.StringIO()
    run(["check-store", "--data-dir", str(data)], stdout=out, stderr=err)
    assert "before-conversion/ holds the files converted from the first layout, in clear" in (
        out.getvalue()
    )


@pytest.mark.postgres
def test_migrate_copies_the_ciphertext_as_it_is(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seed() -> None:
        store = await EncryptedStore.open(TinyDBStore(tmp_path / "data"), keyring())
        await CaseRepository(store).create(make_case(make_referral()))
        await store.close()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["migrate", "--from", str(tmp_path / "data"), "--to", postgres_url], stdout=out, stderr=err
    )
    assert code == 0, err.getvalue()

    async def read() -> None:
        backend = await PostgresStore.open(postgres_url)
        raw = await backend.get(Collection.CASES, "COV-2026-001")
        assert raw is not None
        assert JANE not in json.dumps(raw.data)
        # The keyring came along: the same keys open it, another one is refused at open.
        with pytest.raises(UnknownKeyError):
            await EncryptedStore.open(backend, keyring(OTHER_KEYS))
        store = await EncryptedStore.open(backend, keyring())
        try:
            repo = CaseRepository(store)
            assert await repo.duplicates_of(make_referral()) == ["COV-2026-001"]
        finally:
            await store.close()

    asyncio.run(read())


def test_check_config_names_the_keys_by_id_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REVIEW_BOT_DATABASE_URL", raising=False)

    def check() -> str:
        out, err = io.StringIO(), io.StringIO()
        assert run(["check-config", str(EXAMPLE_PARTNERSHIPS)], stdout=out, stderr=err) == 0
        return out.getvalue()

    monkeypatch.delenv("REVIEW_BOT_DATA_KEYS", raising=False)
    assert f"data keys: the development key file {tmp_path / 'data.keys'} (made at" in check()
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", f"{OTHER_KEYS},{TEST_KEYS}")
    said = check()
    assert "data keys: REVIEW_BOT_DATA_KEYS, writing with 'test2', reading 'test2', 'test1'" in said
    assert TEST_KEYS.split(":")[1] not in said
