"""Choosing the store: REVIEW_BOT_DATABASE_URL is checked at load and never shows a password;
open_store, check-config and serve follow it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.app import open_store, store_description
from bot.settings import EXAMPLE_PARTNERSHIPS, SettingsError, load_settings
from cli.main import run
from storage.base import Collection
from storage.cases import CaseRepository
from storage.postgres_store import (
    PostgresQueryError,
    PostgresStore,
    SchemaBehindError,
    apply_migrations,
)
from storage.tinydb_store import TinyDBStore
from tests.support.cases import make_case, make_referral
from tests.support.postgres import free_port


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [
        "REVIEW_BOT_DATABASE_URL",
        "REVIEW_BOT_DATABASE_POOL_MIN",
        "REVIEW_BOT_DATABASE_POOL_MAX",
        "REVIEW_BOT_DATA_DIR",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_no_url_means_the_embedded_store() -> None:
    settings = load_settings()
    assert settings.database_url is None
    assert (settings.database_pool_min, settings.database_pool_max) == (1, 4)
    assert store_description(settings) == "embedded, in data"


def test_an_empty_url_is_no_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_DATABASE_URL", "  ")
    assert load_settings().database_url is None


def test_a_postgresql_url_is_kept_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "REVIEW_BOT_DATABASE_URL", "postgresql://bot:s3cret@db.internal:6432/reviews"
    )
    settings = load_settings()
    assert settings.database_url == "postgresql://bot:s3cret@db.internal:6432/reviews"
    assert "s3cret" not in repr(settings)
    assert store_description(settings) == 'PostgreSQL, database "reviews" on db.internal:6432'


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://bot:s3cret@db/reviews", "(it starts mysql://)"),
        ("bot:s3cret@db/reviews", "(no scheme)"),
        ("host=db password=s3cret", "(no scheme)"),
        ("bot:s3cret@db://reviews", "(no scheme)"),
        ("postgresql://bot:s3%zzcret@db/reviews", "%-encoded"),
    ],
)
def test_a_bad_url_is_refused_at_load_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("REVIEW_BOT_DATABASE_URL", url)
    with pytest.raises(SettingsError) as info:
        load_settings()
    [problem] = info.value.problems
    assert problem.startswith("REVIEW_BOT_DATABASE_URL: ")
    assert says in problem
    assert "s3cret" not in str(info.value)
    assert "s3%zzcret" not in str(info.value)


def test_pool_sizes_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_DATABASE_POOL_MIN", "5")
    monkeypatch.setenv("REVIEW_BOT_DATABASE_POOL_MAX", "2")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert info.value.problems == [
        "REVIEW_BOT_DATABASE_POOL_MIN: more than REVIEW_BOT_DATABASE_POOL_MAX (5 > 2)"
    ]


@pytest.mark.postgres
async def test_open_store_follows_the_settings(tmp_path: Path, postgres_url: str) -> None:
    # Each encrypted at rest (tests/test_encryption.py): the backend is the wrapper's inner.
    embedded = await open_store(load_settings(data_dir=tmp_path / "data"))
    assert isinstance(embedded.inner, TinyDBStore)
    await embedded.close()
    chosen = await open_store(
        load_settings(
            data_dir=tmp_path / "data",
            database_url=postgres_url,
            database_pool_min=1,
            database_pool_max=2,
        )
    )
    assert isinstance(chosen.inner, PostgresStore)
    assert await chosen.is_ready()
    await chosen.close()


@pytest.mark.postgres
def test_check_config_names_the_store_and_whether_it_answers(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    partnerships = str(EXAMPLE_PARTNERSHIPS)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))

    def check() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run(["check-config", partnerships], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    monkeypatch.delenv("REVIEW_BOT_DATABASE_URL", raising=False)
    code, out, _ = check()
    assert code == 0
    assert f"store: embedded, in {tmp_path / 'data'}" in out

    monkeypatch.setenv("REVIEW_BOT_DATABASE_URL", postgres_url)
    code, out, _ = check()
    assert code == 0
    assert "store: PostgreSQL, database" in out
    assert "answers, 1 migration(s) to apply at start" in out

    monkeypatch.setenv(
        "REVIEW_BOT_DATABASE_URL", f"postgresql://u:hunter22@127.0.0.1:{free_port()}/reviews"
    )
    code, out, err = check()
    assert code == 1
    assert 'store: PostgreSQL, database "reviews" on 127.0.0.1' in err
    assert "does not answer" in err
    assert "hunter22" not in out + err


def test_serve_refuses_to_start_when_postgresql_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEW_BOT_PORT", str(free_port()))
    monkeypatch.setenv(
        "REVIEW_BOT_DATABASE_URL", f"postgresql://u:hunter22@127.0.0.1:{free_port()}/reviews"
    )
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve"], stdout=out, stderr=err) == 2
    assert 'review-bot: cannot start: PostgreSQL database "reviews" on 127.0.0.1' in err.getvalue()
    assert "hunter22" not in err.getvalue()


@pytest.mark.postgres
async def test_the_tools_read_the_store_the_settings_choose(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await PostgresStore.open(postgres_url)
    await CaseRepository(store).create(make_case(make_referral()))
    await store.close()
    monkeypatch.setenv("REVIEW_BOT_DATABASE_URL", postgres_url)
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(run, ["case", "show", "COV-2026-001"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "COV-2026-001" in out.getvalue()
    assert "Jane" not in out.getvalue()


@pytest.mark.postgres
async def test_a_tool_opens_postgresql_read_only_and_migrates_nothing(postgres_url: str) -> None:
    with pytest.raises(SchemaBehindError, match="start the bot"):
        await PostgresStore.open(postgres_url, read_only=True)
    await apply_migrations(postgres_url)
    store = await PostgresStore.open(postgres_url, read_only=True)
    try:
        assert await store.list(Collection.CASES) == []
        with pytest.raises(PostgresQueryError, match="25006"):  # read-only transaction
            await store.put(Collection.CASES, "COV-2026-001", {})
    finally:
        await store.close()


def test_a_tool_says_in_one_line_when_postgresql_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "REVIEW_BOT_DATABASE_URL", f"postgresql://u:hunter22@127.0.0.1:{free_port()}/reviews"
    )
    out, err = io.StringIO(), io.StringIO()
    assert run(["case", "show", "COV-2026-001"], stdout=out, stderr=err) == 1
    [line] = err.getvalue().splitlines()
    assert line.startswith('review-bot: PostgreSQL database "reviews" on 127.0.0.1')
    assert "hunter22" not in line
