"""What only the PostgreSQL store has: migrations, replicas sharing a database, clear failures.

The shared behaviour of every backend is tests/test_store_contract.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from safeguarding.cases import format_reference
from storage.base import Collection, ConflictError, Store
from storage.cases import CaseRepository
from storage.postgres_store import (
    PostgresStore,
    PostgresUnavailableError,
    SchemaTooNewError,
    UnstorableDataError,
    apply_migrations,
    inspect_schema,
    known_migrations,
    prefix_end,
)
from tests.support.postgres import free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
async def replicas(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores over one database, each with its own pool: two replicas of the bot."""
    first, second = await asyncio.gather(
        PostgresStore.open(postgres_url), PostgresStore.open(postgres_url)
    )
    yield first, second
    await first.close()
    await second.close()


def _recorded(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        return [(int(v), str(n)) for v, n in rows.fetchall()]


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    migrations = known_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "documents"


async def test_two_replicas_starting_together_apply_each_migration_once(
    replicas: tuple[PostgresStore, PostgresStore], postgres_url: str
) -> None:
    first, second = replicas
    known = [m.version for m in known_migrations()]
    # The advisory lock made one wait for the other, which then found nothing left to do.
    assert sorted(first.migrations_applied + second.migrations_applied) == known
    assert [v for v, _ in _recorded(postgres_url)] == known
    assert await apply_migrations(postgres_url) == ()
    await first.put(Collection.CASES, "COV-2026-001", {"v": 1})
    doc = await second.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"v": 1}


async def test_a_database_migrated_by_newer_code_refuses_to_start(postgres_url: str) -> None:
    await apply_migrations(postgres_url)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')")
    with pytest.raises(SchemaTooNewError) as info:
        await PostgresStore.open(postgres_url)
    message = str(info.value)
    assert "9999" in message
    assert f"{known_migrations()[-1].version:04d}" in message
    assert "refusing to start" in message
    state = await inspect_schema(postgres_url)
    assert (state.applied, state.known) == (9999, known_migrations()[-1].version)


async def test_no_server_names_host_and_database_but_never_the_password() -> None:
    url = f"postgresql://review:s3cret-pw@127.0.0.1:{free_port()}/reviews"
    with pytest.raises(PostgresUnavailableError) as info:
        await PostgresStore.open(url, connect_timeout=2)
    message = str(info.value)
    assert "s3cret-pw" not in message
    assert "127.0.0.1" in message
    assert '"reviews"' in message


async def test_a_missing_database_is_named_in_the_message(postgres_url: str) -> None:
    url = postgres_url.rsplit("/", 1)[0].replace("postgres@", "postgres:pw-123@") + "/nonesuch"
    with pytest.raises(PostgresUnavailableError) as info:
        await PostgresStore.open(url)
    assert "nonesuch" in str(info.value)
    assert "pw-123" not in str(info.value)


async def test_concurrent_writers_on_two_replicas_exactly_one_wins(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    etag = await first.put(Collection.CASES, "COV-2026-001", {"decided_by": None})

    async def decide(store: Store, who: str) -> str | ConflictError:
        try:
            await store.put(Collection.CASES, "COV-2026-001", {"decided_by": who}, if_match=etag)
        except ConflictError as exc:
            return exc
        return who

    results = await asyncio.gather(
        *(decide(first if i % 2 else second, f"lead-{i}") for i in range(10))
    )
    [winner] = [r for r in results if isinstance(r, str)]
    doc = await second.get(Collection.CASES, "COV-2026-001")
    assert doc is not None
    assert doc.data == {"decided_by": winner}
    # Each loser is told what it expected and what it found: the winner's version.
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert len(losers) == 9
    assert {(c.expected, c.actual) for c in losers} == {(etag, doc.etag)}


async def test_concurrent_creators_on_two_replicas_exactly_one_wins(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    async def create(store: Store, n: int) -> int | ConflictError:
        try:
            await store.put(Collection.CASES, "COV-2026-002", {"n": n}, if_none_match=True)
        except ConflictError as exc:
            return exc
        return n

    results = await asyncio.gather(*(create(replicas[n % 2], n) for n in range(10)))
    [winner] = [r for r in results if isinstance(r, int)]
    doc = await replicas[0].get(Collection.CASES, "COV-2026-002")
    assert doc is not None
    assert doc.data == {"n": winner}
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert {(c.expected, c.actual) for c in losers} == {(None, doc.etag)}


async def test_references_from_two_replicas_are_distinct_and_gapless(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    repositories = [CaseRepository(store) for store in replicas]
    # Twelve filings at once, six on each replica (the counter retries up to 20 times).
    references = await asyncio.gather(
        *(repositories[i % 2].allocate_reference("COV", 2026) for i in range(12))
    )
    assert sorted(references) == [format_reference("COV", 2026, n) for n in range(1, 13)]
    counter = await replicas[1].get(Collection.COUNTERS, "COV-2026")
    assert counter is not None
    assert counter.data == {"last": 12}


async def test_delete_conflicts_say_what_they_found(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        etag = await store.put(Collection.STATE, "k", {"v": 1})
        with pytest.raises(ConflictError) as info:
            await store.delete(Collection.STATE, "k", if_match="stale")
        assert (info.value.expected, info.value.actual) == ("stale", etag)
        assert await store.delete(Collection.STATE, "k", if_match=etag) is True
        with pytest.raises(ConflictError) as info:
            await store.delete(Collection.STATE, "k", if_match=etag)
        assert info.value.actual is None
    finally:
        await store.close()


async def test_where_none_matches_a_missing_field_as_the_embedded_store_does(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        await store.put(Collection.DELIVERIES, "a", {"state": None})
        await store.put(Collection.DELIVERIES, "b", {})
        await store.put(Collection.DELIVERIES, "c", {"state": "sent"})
        found = await store.list(Collection.DELIVERIES, where={"state": None})
        assert [d.key for d in found] == ["a", "b"]
    finally:
        await store.close()


async def test_a_nul_character_is_refused_naming_the_key_not_the_data(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        with pytest.raises(UnstorableDataError) as info:
            await store.put(Collection.CASES, "COV-2026-001", {"name": "Jane\u0000Doe"})
        assert "COV-2026-001" in str(info.value)
        assert "Jane" not in str(info.value)
        assert await store.get(Collection.CASES, "COV-2026-001") is None
    finally:
        await store.close()


async def test_not_ready_and_a_clear_error_when_the_database_goes_away(
    postgres_url: str, postgres_server: str
) -> None:
    store = await PostgresStore.open(postgres_url, pool_timeout_s=1, ready_timeout_s=1)
    try:
        assert await store.is_ready() is True
        database = postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        assert await store.is_ready() is False
        with pytest.raises(PostgresUnavailableError):
            await store.get(Collection.CASES, "k")
    finally:
        await store.close()


def test_prefix_end_is_the_least_string_after_the_prefix() -> None:
    assert prefix_end("COV-2026-001/") == "COV-2026-0010"
    assert prefix_end("a\U0010ffff") == "b"
    assert prefix_end("\ud7ff") == "\ue000"
    assert prefix_end("\U0010ffff") is None
