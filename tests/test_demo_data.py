"""`review-bot demo-data`: clearly fake cases through the store, never beside real ones."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS, load_settings
from cli.common import read_only_store
from cli.main import run
from safeguarding.cases import age_label
from safeguarding.partnerships import load_partnerships
from storage.base import Collection
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support.cases import file_case

EXAMPLE_IDS = tuple(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships)


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _demo(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["demo-data", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def _cases(data_dir: Path) -> list[dict[str, object]]:
    # As the tools read it: decrypted with the development key demo-data made beside it.
    async with read_only_store(load_settings(data_dir=data_dir)) as store:
        return [d.data for d in await store.list(Collection.CASES)]


def test_demo_cases_are_written_each_plainly_fake_and_loadable(data_dir: Path) -> None:
    code, out, err = _demo("--cases", "30")
    assert code == 0, err
    assert out.startswith("wrote 30 demo cases: ")
    cases = asyncio.run(_cases(data_dir))
    assert len(cases) == 30
    text = json.dumps(cases)
    assert "DEMO DATA: not a real child or incident." in text
    # Across every example partnership, each with its own reference numbers.
    assert {c["partnership_id"] for c in cases} == set(EXAMPLE_IDS)
    references = [str(c["reference"]) for c in cases]
    assert len(set(references)) == 30

    # Each loads as a case, with an audit entry, and shows as "DEMO" where initials go.
    async def check() -> None:
        async with read_only_store(load_settings(data_dir=data_dir)) as store:
            repo = CaseRepository(store)
            for reference in references[:5]:
                loaded = await repo.get(reference)
                assert loaded is not None
                case = loaded[0]
                assert age_label(case.referral.children[0], case.dates.incident).startswith("DEMO")
                assert case.submitted_by.user_id.startswith("demo:")
                assert [e["what"] for e in await repo.audit_trail(reference)] == ["filed"]

    asyncio.run(check())
    # Run again: more demo cases are added, numbered on.
    code, _, err = _demo("--cases", "5")
    assert code == 0, err
    assert len(asyncio.run(_cases(data_dir))) == 35


def test_the_same_seed_gives_the_same_cases(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _demo("--cases", "8", "--seed", "7")[0] == 0
    first = asyncio.run(_cases(data_dir))
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(tmp_path / "other"))
    assert _demo("--cases", "8", "--seed", "7")[0] == 0
    assert asyncio.run(_cases(tmp_path / "other")) == first


def test_a_store_with_a_real_case_is_refused_and_nothing_written(data_dir: Path) -> None:
    async def real() -> None:
        store = TinyDBStore(data_dir)
        try:
            await file_case(store, "29:someone")
        finally:
            await store.close()

    asyncio.run(real())
    code, out, err = _demo("--cases", "3")
    assert out == ""
    assert code == 1
    assert "the store holds a real case (COV-2026-001)" in err
    assert len(asyncio.run(_cases(data_dir))) == 1


@pytest.mark.parametrize("count", ["0", "-1", "many", "100001"])
def test_a_bad_count_is_a_usage_error(data_dir: Path, count: str) -> None:
    with pytest.raises(SystemExit) as exited:
        _demo("--cases", count)
    assert exited.value.code == 2


async def test_demo_data_with_stages_holds_cases_at_every_stage(tmp_path: Path) -> None:
    """`--stages`: every stage, and deadlines on time, late and moved for the report."""
    from datetime import date

    from cli.demo_data import write_demo_cases
    from safeguarding.calendar import PartnershipCalendars
    from safeguarding.cases import CaseStatus
    from safeguarding.timeliness import DeadlineOutcome
    from usecases.reports import count_partnership

    partnerships = list(load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships.values())
    store = TinyDBStore(tmp_path / "data")
    today = date(2026, 12, 2)
    await write_demo_cases(store, partnerships[:1], 300, seed=7, today=today, stages=True)
    cases = await CaseRepository(store).for_partnership(partnerships[0].id)
    await store.close()
    assert {c.status for c in cases} == set(CaseStatus)
    report = count_partnership(
        cases,
        partnerships[0],
        PartnershipCalendars(),
        start=date(2025, 12, 1),
        end=date(2026, 11, 30),
        today=today,
    )
    for figures in report.figures.milestones:
        assert figures.count(DeadlineOutcome.ON_TIME), figures.milestone
        assert figures.count(DeadlineOutcome.LATE), figures.milestone
    assert report.figures.slips
    assert all(slip.kind for slip in report.figures.slips)
