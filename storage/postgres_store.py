"""The PostgreSQL Store: one `documents` table; every conditional write is one SQL statement."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from storage.base import (
    Collection,
    ConflictError,
    Document,
    StoreClosedError,
    StoreError,
    Versions,
    check_key,
)
from storage.bulk import collector_paused

logger = logging.getLogger(__name__)

# One advisory lock key for "this database's migrations" (advisory locks are per database).
MIGRATION_LOCK = 0x7265_7669_6577_0001
_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Connection = psycopg.AsyncConnection[Any]
# The password for each new connection, asked for when it is opened (an Entra access token for
# a managed identity expires within hours). It raises a StoreError when it has none.
PasswordSource = Callable[[], Awaitable[str]]


class PostgresUnavailableError(StoreError):
    """PostgreSQL did not answer or refused us; names the server and database, never a password."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"PostgreSQL {where}: {reason}")


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer review-bot than this one."""

    def __init__(self, where: str, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            f"PostgreSQL {where} has schema migration {found:04d}, but this review-bot knows"
            f" migrations up to {known:04d} only: refusing to start. Run the review-bot version"
            " that migrated it (or newer)."
        )


class SchemaBehindError(StoreError):
    """A read-only open of a database not yet migrated to this code's schema."""

    def __init__(self, where: str, found: int, known: int) -> None:
        super().__init__(
            f"PostgreSQL {where} has schema migration {found:04d}; this review-bot needs"
            f" {known:04d}: start the bot (or run review-bot migrate), which applies them"
        )


class PostgresQueryError(StoreError):
    """PostgreSQL refused a statement; only its SQLSTATE is kept, as its text may quote data."""

    def __init__(self, where: str, sqlstate: str | None) -> None:
        self.sqlstate = sqlstate
        super().__init__(f"PostgreSQL {where}: statement refused (SQLSTATE {sqlstate or '?'})")


class UnstorableDataError(StoreError, ValueError):
    """Data PostgreSQL's jsonb cannot keep (a NUL character in a string, say)."""

    def __init__(self, collection: str, key: str, sqlstate: str | None) -> None:
        super().__init__(
            f"{collection}/{key}: PostgreSQL cannot keep this document (SQLSTATE {sqlstate or '?'})"
        )


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file of storage/migrations."""

    version: int
    name: str
    sql: str


def known_migrations() -> tuple[Migration, ...]:
    """The packaged migrations in order; their numbers run 1, 2, 3… without gaps."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        # A packaging mistake, not a database state: never start half-migrated.
        raise StoreError("storage/migrations: files must be numbered 0001, 0002, … without gaps")
    return tuple(found)


def describe_url(url: str) -> str:
    """Where a database URL points, for messages and logs: database, host and port only."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unreadable database URL)"
    host = parts.get("host") or "local socket"
    port = parts.get("port") or "5432"
    database = parts.get("dbname") or parts.get("user") or "(default)"
    return f'database "{database}" on {host}:{port}'


def _reason(exc: BaseException, url: str) -> str:
    # libpq's connection messages name hosts, not passwords; scrub one anyway, in case.
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    with contextlib.suppress(psycopg.ProgrammingError):
        password = conninfo_to_dict(url).get("password")
        if password:
            text = text.replace(str(password), "***")
    return text


def _json(data: Any) -> str:
    # Dumped here, before any SQL, so non-JSON data fails as TypeError and nothing is written.
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def prefix_end(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`, in code-point order."""
    for i in range(len(prefix) - 1, -1, -1):
        point = ord(prefix[i]) + 1
        if 0xD800 <= point <= 0xDFFF:
            point = 0xE000  # surrogates cannot be encoded, so never stored
        if point <= 0x10FFFF:
            return prefix[:i] + chr(point)
    return None


def _connect_kwargs(url: str, connect_timeout: int) -> dict[str, Any]:
    # What the URL says wins; these are only defaults.
    given = conninfo_to_dict(url)
    kwargs: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in given:
        kwargs["connect_timeout"] = connect_timeout
    if "application_name" not in given:
        kwargs["application_name"] = "review-bot"
    return kwargs


@contextlib.contextmanager
def translated(where: str, url: str, collection: str = "", key: str = "") -> Iterator[None]:
    """Turn psycopg's errors into StoreErrors that name the server, never data or a password."""
    try:
        yield
    except psycopg.OperationalError as exc:
        # Connection trouble (the pool's timeout too): libpq's text names hosts, so keep it.
        raise PostgresUnavailableError(where, _reason(exc, url)) from None
    except psycopg.DataError as exc:
        # Its text may quote the document: the SQLSTATE only.
        raise UnstorableDataError(collection, key, exc.sqlstate) from None
    except psycopg.Error as exc:
        raise PostgresQueryError(where, exc.sqlstate) from None


async def _connect(
    url: str, connect_timeout: int, password: PasswordSource | None = None
) -> Connection:
    kwargs = _connect_kwargs(url, connect_timeout)
    if password is not None:
        kwargs["password"] = await password()
    return await psycopg.AsyncConnection.connect(url, **kwargs)


def _pool_kwargs(
    url: str, connect_timeout: int, password: PasswordSource | None
) -> dict[str, Any] | Callable[[], Awaitable[dict[str, Any]]]:
    kwargs = _connect_kwargs(url, connect_timeout)
    if password is None:
        return kwargs

    async def with_password() -> dict[str, Any]:
        # Called by the pool for every connection it opens: a fresh token each time.
        return {**kwargs, "password": await password()}

    return with_password


async def apply_migrations(
    url: str,
    *,
    connect_timeout: int = 5,
    lock_timeout_s: int = 60,
    password: PasswordSource | None = None,
) -> tuple[int, ...]:
    """Bring the database's schema up to date; return the versions this call applied.

    Runs under an advisory lock, so replicas starting together apply each migration once.
    """
    where = describe_url(url)
    migrations = known_migrations()
    with translated(where, url):
        async with await _connect(url, connect_timeout, password) as conn:
            # A replica that hangs mid-migration must not hold every other one forever.
            await conn.execute(
                sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{lock_timeout_s}s"))
            )
            await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                return await _migrate(conn, where, migrations)
            finally:
                if not conn.broken:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


async def _migrate(
    conn: Connection, where: str, migrations: tuple[Migration, ...]
) -> tuple[int, ...]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    cursor = await conn.execute("SELECT version FROM schema_migrations")
    done = {int(row[0]) for row in await cursor.fetchall()}
    newest = max(done, default=0)
    known = migrations[-1].version if migrations else 0
    if newest > known:
        raise SchemaTooNewError(where, newest, known)
    applied = []
    for migration in migrations:
        if migration.version in done:
            continue
        async with conn.transaction():
            await conn.execute(migration.sql.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
        logger.info("applied migration %04d_%s to %s", migration.version, migration.name, where)
        applied.append(migration.version)
    return tuple(applied)


@dataclass(frozen=True, slots=True)
class SchemaState:
    """What a database holds of this store's schema, as check-config reports it."""

    applied: int  # the newest migration recorded, 0 for none
    known: int  # the newest migration this code has


async def inspect_schema(
    url: str, *, connect_timeout: int = 5, password: PasswordSource | None = None
) -> SchemaState:
    """Connect and read the recorded migrations, changing nothing."""
    where = describe_url(url)
    with translated(where, url):
        async with await _connect(url, connect_timeout, password) as conn:
            applied = await _recorded_version(conn)
    migrations = known_migrations()
    return SchemaState(applied=applied, known=migrations[-1].version if migrations else 0)


async def _recorded_version(conn: Connection) -> int:
    cursor = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    if not (row and row[0]):
        return 0
    cursor = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _keep_durable(conn: Connection) -> None:
    # Every acknowledged write is durable: a server-wide synchronous_commit=off would break that.
    cursor = await conn.execute("SHOW synchronous_commit")
    row = await cursor.fetchone()
    if row is not None and row[0] == "off":
        await conn.execute("SET synchronous_commit = on")


async def _read_only(conn: Connection) -> None:
    # A tool beside a running bot reads only: PostgreSQL itself refuses its writes.
    await conn.execute("SET default_transaction_read_only = on")


async def _check_schema(
    url: str, connect_timeout: int, password: PasswordSource | None = None
) -> None:
    state = await inspect_schema(url, connect_timeout=connect_timeout, password=password)
    where = describe_url(url)
    if state.applied > state.known:
        raise SchemaTooNewError(where, state.applied, state.known)
    if state.applied < state.known:
        raise SchemaBehindError(where, state.applied, state.known)


_SELECT = "SELECT etag, data FROM documents WHERE collection = %s AND key = %s"
_ETAG = "SELECT etag FROM documents WHERE collection = %s AND key = %s"
_INSERT_NEW = (
    "INSERT INTO documents (collection, key, etag, data) VALUES (%s, %s, %s, %s::jsonb)"
    " ON CONFLICT DO NOTHING RETURNING etag"
)
_UPSERT = (
    "INSERT INTO documents (collection, key, etag, data) VALUES (%s, %s, %s, %s::jsonb)"
    " ON CONFLICT (collection, key) DO UPDATE SET etag = excluded.etag, data = excluded.data"
    " RETURNING etag"
)
_UPDATE_MATCH = (
    "UPDATE documents SET etag = %s, data = %s::jsonb"
    " WHERE collection = %s AND key = %s AND etag = %s RETURNING etag"
)
_DELETE = "DELETE FROM documents WHERE collection = %s AND key = %s RETURNING etag"
_DELETE_MATCH = (
    "DELETE FROM documents WHERE collection = %s AND key = %s AND etag = %s RETURNING etag"
)


# From this many documents a listing is parsed off the event loop (a thread hop costs ~0.1 ms).
_PARSE_IN_THREAD_FROM = 64


def _documents(rows: Sequence[Any]) -> list[Document]:
    with collector_paused():
        return [Document(key=row[0], data=json.loads(row[2]), etag=row[1]) for row in rows]


def _conditions(
    name: str, where: Mapping[str, Any] | None, prefix: str | None
) -> tuple[sql.Composable, list[Any]]:
    """The WHERE clause (and its parameters) of a listing by key prefix and field values."""
    clauses = [sql.SQL("collection = %s")]
    params: list[Any] = [name]
    if prefix:
        # A range on the "C"-collated primary key: an index range scan, in key order.
        clauses.append(sql.SQL("key >= %s"))
        params.append(prefix)
        end = prefix_end(prefix)
        if end is not None:
            clauses.append(sql.SQL("key < %s"))
            params.append(end)
    contains: dict[str, Any] = {}
    for field, value in (where or {}).items():
        if value is None:
            # As in Python, `data.get(field) == None` holds for a missing field too.
            clauses.append(sql.SQL("coalesce(data -> %s::text, 'null') = 'null'::jsonb"))
            params.append(field)
            continue
        contains[field] = value
        if isinstance(value, dict | list):
            # Containment is looser than equality for objects and arrays: check both.
            clauses.append(sql.SQL("data -> %s::text = %s::jsonb"))
            params.extend([field, _json(value)])
    if contains:
        clauses.append(sql.SQL("data @> %s::jsonb"))
        params.append(_json(contains))
    return sql.SQL(" AND ").join(clauses), params


class PostgresStore:
    """The Store in PostgreSQL, for several replicas sharing one database."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Connection],
        *,
        url: str,
        migrations_applied: tuple[int, ...] = (),
        ready_timeout_s: float = 2.0,
    ) -> None:
        self._pool = pool
        self._url = url  # kept to scrub its password from messages, never shown
        self.where = describe_url(url)
        self.migrations_applied = migrations_applied
        self._ready_timeout_s = ready_timeout_s
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 4,
        connect_timeout: int = 5,
        pool_timeout_s: float = 10.0,
        ready_timeout_s: float = 2.0,
        read_only: bool = False,
        password: PasswordSource | None = None,
    ) -> PostgresStore:
        """Migrate the database, then open a pool of connections to it.

        Read-only (for command-line tools), it migrates nothing and needs the schema up to date.
        `password`, given, supplies each new connection's password (an Entra token).
        """
        where = describe_url(url)
        applied: tuple[int, ...] = ()
        if read_only:
            await _check_schema(url, connect_timeout, password)
        else:
            applied = await apply_migrations(
                url, connect_timeout=connect_timeout, password=password
            )
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs=_pool_kwargs(url, connect_timeout, password),
            open=False,
            configure=_read_only if read_only else _keep_durable,
            # A connection dropped by a server restart is replaced before a turn gets it.
            check=AsyncConnectionPool.check_connection,
            timeout=pool_timeout_s,
            name="review-bot",
        )
        try:
            with translated(where, url):
                await pool.open(wait=True, timeout=pool_timeout_s)
        except StoreError:
            await pool.close()
            raise
        logger.info("PostgreSQL store open: %s, pool %d-%d", where, min_size, max_size)
        return cls(pool, url=url, migrations_applied=applied, ready_timeout_s=ready_timeout_s)

    @contextlib.asynccontextmanager
    async def _connection(self, collection: str, key: str = "") -> AsyncIterator[Connection]:
        if self._closed:
            raise StoreClosedError()
        with translated(self.where, self._url, collection, key):
            async with self._pool.connection() as conn:
                yield conn

    @staticmethod
    async def _etag_of(conn: Connection, collection: str, key: str) -> str | None:
        cursor = await conn.execute(_ETAG, (collection, key))
        row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def get(self, collection: Collection, key: str) -> Document | None:
        """The document under key, or None."""
        check_key(key)
        name = Collection(collection).value
        async with self._connection(name, key) as conn:
            cursor = await conn.execute(_SELECT, (name, key))
            row = await cursor.fetchone()
        if row is None:
            return None
        return Document(key=key, data=row[1], etag=row[0])

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
        name = Collection(collection).value
        body = _json(dict(data))
        etag = uuid.uuid4().hex
        async with self._connection(name, key) as conn:
            if if_none_match and if_match is not None:
                # Exists and absent at once: never satisfiable; say why as the embedded store does.
                actual = await self._etag_of(conn, name, key)
                expected = None if actual is not None else if_match
                raise ConflictError(name, key, expected=expected, actual=actual)
            if if_none_match:
                cursor = await conn.execute(_INSERT_NEW, (name, key, etag, body))
                if await cursor.fetchone() is None:
                    actual = await self._etag_of(conn, name, key)
                    raise ConflictError(name, key, expected=None, actual=actual)
            elif if_match is not None:
                cursor = await conn.execute(_UPDATE_MATCH, (etag, body, name, key, if_match))
                if await cursor.fetchone() is None:
                    actual = await self._etag_of(conn, name, key)
                    raise ConflictError(name, key, expected=if_match, actual=actual)
            else:
                await conn.execute(_UPSERT, (name, key, etag, body))
        return etag

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        """Delete a document; return whether it existed."""
        check_key(key)
        name = Collection(collection).value
        async with self._connection(name, key) as conn:
            if if_match is None:
                cursor = await conn.execute(_DELETE, (name, key))
                return await cursor.fetchone() is not None
            cursor = await conn.execute(_DELETE_MATCH, (name, key, if_match))
            if await cursor.fetchone() is None:
                actual = await self._etag_of(conn, name, key)
                raise ConflictError(name, key, expected=if_match, actual=actual)
            return True

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        """Documents of a collection in key order, optionally only keys starting with `prefix`
        and only those whose top-level fields equal `where`."""
        name = Collection(collection).value
        condition, params = _conditions(name, where, prefix)
        # The data comes as text and is parsed here: thousands of documents (a tick reading every
        # open case) are parsed in a thread, not on the event loop other turns wait on.
        query = sql.SQL("SELECT key, etag, data::text FROM documents WHERE {} ORDER BY key").format(
            condition
        )
        async with self._connection(name) as conn:
            cursor = await conn.execute(query, params)
            rows = await cursor.fetchall()
        if len(rows) < _PARSE_IN_THREAD_FROM:
            return _documents(rows)
        return await asyncio.to_thread(_documents, rows)

    async def etags(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> Versions:
        """(key, e-tag) of every document `list` would return, in the same order, without the
        documents: a few bytes a row, so thousands come in one small answer."""
        name = Collection(collection).value
        condition, params = _conditions(name, where, prefix)
        query = sql.SQL("SELECT key, etag FROM documents WHERE {} ORDER BY key").format(condition)
        async with self._connection(name) as conn:
            cursor = await conn.execute(query, params)
            rows = await cursor.fetchall()
        return [(str(key), str(etag)) for key, etag in rows]

    async def is_ready(self) -> bool:
        """Whether the store is open and PostgreSQL answers within a couple of seconds."""
        if self._closed:
            return False
        try:
            async with asyncio.timeout(self._ready_timeout_s):
                async with self._pool.connection(timeout=self._ready_timeout_s) as conn:
                    await conn.execute("SELECT 1")
        except (psycopg.Error, TimeoutError) as exc:
            logger.warning("PostgreSQL store not ready: %s (%s)", self.where, type(exc).__name__)
            return False
        return True

    async def close(self) -> None:
        """Close the pool and every connection in it."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()
