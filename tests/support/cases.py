"""Builders of referrals and cases for tests and the benchmark, and a case filed in a store."""

from __future__ import annotations

from datetime import UTC, date, datetime

from safeguarding.cases import Case, ReferrerIdentity, initial_dates
from safeguarding.leading import LeadRule
from safeguarding.referral import (
    Actions,
    Agencies,
    Area,
    Child,
    Criteria,
    Draft,
    Incident,
    Referral,
    Referrer,
    Step,
    screen,
)
from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore


def make_referral(
    *,
    incident: date = date(2026, 11, 16),
    la_aware: date | None = None,
    child_name: str = "Jane Doe",
    born: date = date(2022, 3, 14),
) -> Referral:
    """A complete Coventry referral: serious harm, abuse suspected."""
    return Referral(
        area=Area(
            area="Coventry",
            harm_area="Coventry",
            partnership_id="coventry",
            lead_rule=LeadRule.SAME_AREA,
        ),
        referrer=Referrer(
            name="Sam", role="DSL", agency="School", contact="sam@school.example", lead_agreed=True
        ),
        children=(Child(name=child_name, date_of_birth=born),),
        incident=Incident(
            date=incident, la_aware=la_aware, kind="serious_harm", description="Injuries"
        ),
        agencies=Agencies(involved=("school",)),
        criteria=Criteria(abuse_or_neglect="suspected", reasons="Concerns"),
        actions=Actions(safety_actions="Safety plan"),
    )


def draft_of(referral: Referral) -> Draft:
    """A draft at the review step holding every section of a referral."""
    return Draft(
        step=Step.REVIEW,
        safety_answer="incident",
        area=referral.area,
        referrer=referral.referrer,
        children=referral.children,
        incident=referral.incident,
        agencies=referral.agencies,
        criteria=referral.criteria,
        actions=referral.actions,
    )


def make_case(
    referral: Referral,
    *,
    reference: str = "COV-2026-001",
    user_id: str = "29:referrer",
    submitted_at: datetime = datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
) -> Case:
    """A filed case for a referral."""
    return Case(
        reference=reference,
        partnership_id=referral.area.partnership_id,
        referral=referral,
        screening=screen(referral),
        submitted_by=ReferrerIdentity(user_id=user_id),
        submitted_at=submitted_at,
        dates=initial_dates(referral),
    )


async def file_case(store: TinyDBStore, user_id: str) -> None:
    """Store the default referral's case, COV-2026-001, as submitted by `user_id`."""
    await CaseRepository(store).create(make_case(make_referral(), user_id=user_id))
