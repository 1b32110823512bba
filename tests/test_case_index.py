"""The duplicate check reads only the cases about the same child, and finds what a full scan
finds: same partnership, a child of the same initials and date of birth (or expected date),
an incident within 30 days."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.cases import Case, CaseStatus, looks_like
from safeguarding.leading import LeadRule
from safeguarding.referral import Area, Child, Referral
from storage.base import Collection, Document
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support.cases import make_case, make_referral


class CountingStore(TinyDBStore):
    """The embedded store, counting the case documents it hands out."""

    cases_read = 0

    async def get(self, collection: Collection, key: str) -> Document | None:
        doc = await super().get(collection, key)
        self.cases_read += collection is Collection.CASES and doc is not None
        return doc

    async def list(
        self,
        collection: Collection,
        *,
        where: Mapping[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[Document]:
        docs = await super().list(collection, where=where, prefix=prefix)
        if collection is Collection.CASES:
            self.cases_read += len(docs)
        return docs


@pytest.fixture
async def counting(tmp_path: Path) -> AsyncIterator[CountingStore]:
    store = CountingStore(tmp_path)
    yield store
    await store.close()


def _referral(
    *children: Child, incident: date = date(2026, 11, 16), partnership: str = "coventry"
) -> Referral:
    base = make_referral(incident=incident)
    area = Area(
        area=partnership.title(),
        harm_area=partnership.title(),
        partnership_id=partnership,
        lead_rule=LeadRule.SAME_AREA,
    )
    return base.model_copy(update={"children": children, "area": area})


def _case(referral: Referral, number: int) -> Case:
    prefix = referral.area.partnership_id[:3].upper()
    return make_case(referral, reference=f"{prefix}-2026-{number:03d}")


JANE = Child(name="Jane Doe", date_of_birth=date(2022, 3, 14))
UNBORN = Child(name="Baby Doe", unborn=True, expected_date=date(2027, 1, 9))


async def test_the_same_child_within_30_days_is_found(counting: CountingStore) -> None:
    repo = CaseRepository(counting)
    await repo.create(_case(_referral(JANE), 1))
    again = _referral(
        Child(name="J.D.", date_of_birth=date(2022, 3, 14)), incident=date(2026, 12, 16)
    )
    assert await repo.duplicates_of(again) == ["COV-2026-001"]
    later = _referral(JANE, incident=date(2026, 12, 17))  # 31 days on
    assert await repo.duplicates_of(later) == []


@pytest.mark.parametrize(
    "other",
    [
        _referral(Child(name="Jane Doe", date_of_birth=date(2022, 3, 15))),
        _referral(Child(name="Jane Smith", date_of_birth=date(2022, 3, 14))),
        _referral(JANE, partnership="warwickshire"),
    ],
    ids=["another birthday", "other initials", "another partnership"],
)
async def test_another_child_is_not_a_duplicate(counting: CountingStore, other: Referral) -> None:
    repo = CaseRepository(counting)
    await repo.create(_case(_referral(JANE), 1))
    assert await repo.duplicates_of(other) == []


async def test_an_unborn_child_matches_by_expected_date_born_or_not(
    counting: CountingStore,
) -> None:
    repo = CaseRepository(counting)
    await repo.create(_case(_referral(UNBORN), 1))
    assert await repo.duplicates_of(_referral(UNBORN)) == ["COV-2026-001"]
    # Born since, on the day expected: same_child compares birth date or expected date.
    born = Child(name="Baby Doe", date_of_birth=date(2027, 1, 9))
    assert await repo.duplicates_of(_referral(born)) == ["COV-2026-001"]


async def test_any_child_of_a_sibling_group_matches(counting: CountingStore) -> None:
    repo = CaseRepository(counting)
    sibling = Child(name="Sam Doe", date_of_birth=date(2019, 6, 1))
    await repo.create(_case(_referral(JANE, sibling), 1))
    await repo.create(_case(_referral(sibling), 2))
    assert await repo.duplicates_of(_referral(sibling)) == ["COV-2026-001", "COV-2026-002"]


async def test_only_the_cases_about_the_child_are_read(counting: CountingStore) -> None:
    repo = CaseRepository(counting)
    for n in range(1, 41):
        other = Child(name="Other Child", date_of_birth=date(2015, 1, 1) + timedelta(days=n))
        await repo.create(_case(_referral(other), n))
    await repo.create(_case(_referral(JANE), 41))
    await repo.duplicates_of(_referral(JANE))  # builds the index of earlier cases, once
    counting.cases_read = 0
    assert await repo.duplicates_of(_referral(JANE)) == ["COV-2026-041"]
    assert counting.cases_read == 1


async def test_cases_stored_before_the_index_are_found(counting: CountingStore) -> None:
    # Written as an older version did: the case alone, no index entry.
    old = _case(_referral(JANE), 1)
    await counting.put(Collection.CASES, old.reference, old.model_dump(mode="json"))
    repo = CaseRepository(counting)
    assert await repo.duplicates_of(_referral(JANE)) == ["COV-2026-001"]
    # And the index is kept: the next check reads one case, not every case again.
    await counting.put(
        Collection.CASES, "COV-2026-002", _case(_referral(UNBORN), 2).model_dump(mode="json")
    )
    counting.cases_read = 0
    assert await CaseRepository(counting).duplicates_of(_referral(JANE)) == ["COV-2026-001"]
    assert counting.cases_read == 1


_names = st.sampled_from(["Jane Doe", "J D", "Jo Dee", "Ann Bee", "AB"])
_days = st.integers(min_value=0, max_value=3).map(lambda n: date(2022, 3, 14) + timedelta(days=n))
_children = st.builds(
    lambda name, day, unborn: (
        Child(name=name, unborn=True, expected_date=day)
        if unborn
        else Child(name=name, date_of_birth=day)
    ),
    _names,
    _days,
    st.booleans(),
)
_referrals = st.builds(
    lambda children, gap, partnership: _referral(
        *children, incident=date(2026, 11, 1) + timedelta(days=gap), partnership=partnership
    ),
    st.lists(_children, min_size=1, max_size=2),
    st.sampled_from([0, 15, 30, 31, 45]),
    st.sampled_from(["coventry", "warwickshire"]),
)


@settings(max_examples=40, deadline=None)
@given(stored=st.lists(_referrals, min_size=1, max_size=6), new=_referrals)
def test_the_index_finds_exactly_what_a_full_scan_finds(
    stored: list[Referral], new: Referral
) -> None:
    async def check(directory: Path) -> None:
        store = TinyDBStore(directory)
        repo = CaseRepository(store)
        cases = [_case(r, n) for n, r in enumerate(stored, start=1)]
        for case in cases:
            await repo.create(case)
        scanned = sorted(c.reference for c in cases if looks_like(c, new))
        assert await repo.duplicates_of(new) == scanned
        await store.close()

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(check(Path(directory)))


async def test_an_unreadable_stored_case_is_passed_over_by_the_index(
    counting: CountingStore,
) -> None:
    await counting.put(Collection.CASES, "COV-2026-001", {"partnership_id": "coventry"})
    good = _case(_referral(JANE), 2)
    await counting.put(Collection.CASES, good.reference, good.model_dump(mode="json"))
    assert await CaseRepository(counting).duplicates_of(_referral(JANE)) == ["COV-2026-002"]


async def test_a_reminder_tick_reads_only_the_open_cases(tmp_path: Path) -> None:
    store = await TinyDBStore.open(tmp_path / "data")
    try:
        repo = CaseRepository(store)
        await repo.create(make_case(make_referral(), reference="COV-2026-001"))
        closed = make_case(make_referral(), reference="COV-2026-002")
        await repo.create(closed.model_copy(update={"status": CaseStatus.CLOSED}))
        published = make_case(make_referral(), reference="COV-2026-003")
        await repo.create(published.model_copy(update={"status": CaseStatus.PUBLISHED}))
        open_only = await repo.in_statuses(
            "coventry", frozenset(CaseStatus) - {CaseStatus.CLOSED, CaseStatus.PUBLISHED}
        )
        assert [c.reference for c in open_only] == ["COV-2026-001"]
        every = await repo.in_statuses("coventry", CaseStatus)
        assert [c.reference for c in every] == ["COV-2026-001", "COV-2026-002", "COV-2026-003"]
        assert await repo.in_statuses("hull", CaseStatus) == []
    finally:
        await store.close()
