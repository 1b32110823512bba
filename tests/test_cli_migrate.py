"""`review-bot migrate`: the embedded store copied into PostgreSQL, safely re-runnable, checked."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cli.main import run
from storage.base import Collection
from storage.postgres_store import PostgresStore
from storage.tinydb_store import TinyDBStore
from tests.support.postgres import free_port

pytestmark = pytest.mark.postgres

# A document in every collection, as the bot writes them (shapes only: no one real).
SEEDED: dict[Collection, dict[str, dict[str, Any]]] = {
    collection: {
        f"{collection.value}:1": {"n": 1, "nested": {"list": [1, 2.5, "x"], "none": None}},
        f"{collection.value}:2": {"n": 2, "text": "Zoë’s “quoted” note"},
    }
    for collection in Collection
}


def _seed(directory: Path) -> None:
    async def write() -> None:
        store = TinyDBStore(directory)
        for collection, docs in SEEDED.items():
            for key, data in docs.items():
                await store.put(collection, key, data)
        await store.close()

    asyncio.run(write())


def _target(url: str) -> dict[Collection, dict[str, Any]]:
    async def read() -> dict[Collection, dict[str, Any]]:
        store = await PostgresStore.open(url)
        try:
            return {c: {d.key: d.data for d in await store.list(c)} for c in Collection}
        finally:
            await store.close()

    return asyncio.run(read())


def _migrate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["migrate", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _row(output: str, collection: Collection) -> list[int]:
    [line] = [line for line in output.splitlines() if line.split()[:1] == [collection.value]]
    return [int(n) for n in line.split()[1:]]


def test_migrate_copies_every_collection_and_checks_it(tmp_path: Path, postgres_url: str) -> None:
    _seed(tmp_path / "data")
    code, out, err = _migrate("--from", str(tmp_path / "data"), "--to", postgres_url)
    assert code == 0, err
    for collection in Collection:
        # copied, already there, differing, overwritten, only in target
        assert _row(out, collection) == [2, 0, 0, 0, 0]
    total = 2 * len(Collection)
    assert f"checked: all {total} document(s) are in PostgreSQL with the same data" in out
    assert _target(postgres_url) == SEEDED

    # Again: nothing copied twice, nothing changed.
    before = _etags(postgres_url)
    code, out, err = _migrate("--from", str(tmp_path / "data"), "--to", postgres_url)
    assert code == 0, err
    for collection in Collection:
        assert _row(out, collection) == [0, 2, 0, 0, 0]
    assert _etags(postgres_url) == before


def _etags(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT collection, key, etag FROM documents ORDER BY 1, 2").fetchall()
        return [(str(c), str(k), str(e)) for c, k, e in rows]


def test_migrate_refuses_to_overwrite_different_data_unless_told(
    tmp_path: Path, postgres_url: str
) -> None:
    _seed(tmp_path / "data")
    assert _migrate("--from", str(tmp_path / "data"), "--to", postgres_url)[0] == 0
    with psycopg.connect(postgres_url) as conn:
        conn.execute(
            "UPDATE documents SET data = '{\"n\": 99}' WHERE collection = 'cases' AND key = %s",
            ("cases:1",),
        )
        conn.execute("INSERT INTO documents VALUES ('cases', 'cases:3', 'e', '{\"n\": 3}'::jsonb)")

    code, out, err = _migrate("--from", str(tmp_path / "data"), "--to", postgres_url)
    assert code == 1
    assert _row(out, Collection.CASES) == [0, 1, 1, 0, 1]
    assert "not copied as it is: cases/cases:1" in err
    assert "--overwrite" in err
    assert _target(postgres_url)[Collection.CASES]["cases:1"] == {"n": 99}  # kept

    code, out, err = _migrate("--from", str(tmp_path / "data"), "--to", postgres_url, "--overwrite")
    assert code == 0, err
    assert _row(out, Collection.CASES) == [0, 1, 0, 1, 1]
    cases = _target(postgres_url)[Collection.CASES]
    assert cases["cases:1"] == SEEDED[Collection.CASES]["cases:1"]
    assert cases["cases:3"] == {"n": 3}  # not in the source: left alone


def test_migrate_without_a_server_says_where_and_never_the_password(tmp_path: Path) -> None:
    _seed(tmp_path / "data")
    url = f"postgresql://review:pa55word@127.0.0.1:{free_port()}/reviews"
    code, out, err = _migrate("--from", str(tmp_path / "data"), "--to", url)
    assert code == 1
    assert '"reviews" on 127.0.0.1' in err
    assert "pa55word" not in out + err


def test_migrate_refuses_a_url_that_is_not_postgresql(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    code, _, err = _migrate("--from", str(tmp_path / "data"), "--to", "mysql://u:pw-9@h/db")
    assert code == 2
    assert "must be a PostgreSQL URL" in err
    assert "pw-9" not in err
    code, _, err = _migrate("--from", str(tmp_path / "nothing"), "--to", "postgresql://h/db")
    assert code == 2
    assert "no such directory" in err


def test_migrate_takes_the_url_from_the_settings(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATABASE_URL", postgres_url)
    _seed(tmp_path / "data")
    code, _, err = _migrate("--from", str(tmp_path / "data"))
    assert code == 0, err
    assert _target(postgres_url) == SEEDED
