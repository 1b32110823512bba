"""`review-bot demo-data --cases N`: clearly fake cases, written through the store's interface.

For trying the product and for benchmarks. Every demo case says so in each free-text field, its
child is "DEMO" with an invented date of birth, and it was submitted by `demo:<n>`, so it can be
told from a real referral at a glance. The command refuses a store that holds any real case.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO

from bot.settings import Settings
from cli.common import EXIT_OK, Subparsers, london_today, with_settings
from safeguarding.cases import Case, CaseStatus, ReferrerIdentity
from safeguarding.leading import LeadRule
from safeguarding.partnerships import Partnership, load_partnerships
from safeguarding.referral import (
    Actions,
    Agencies,
    Area,
    Child,
    Criteria,
    Incident,
    Referral,
    Referrer,
    screen,
)
from safeguarding.timeline import CaseDates, Completion, MilestoneEvents, Slip
from storage.base import Collection, Store
from storage.cases import CaseRepository

COMMAND = "demo-data"
EXIT_REAL_DATA = 1
DEMO_USER_PREFIX = "demo:"
DEMO_TEXT = "DEMO DATA: not a real child or incident."
# Incidents are spread over this many days before today, so every stage of the clock is held.
SPREAD_DAYS = 540
# A case whose incident is older than this is finished (closed or its report published), as
# nearly all are in a partnership after six months; `--all-open` keeps every case open.
FINISHED_AFTER_DAYS = 180


def add_parser(subparsers: Subparsers) -> None:
    """Register `demo-data --cases N [--seed S]`."""
    parser = subparsers.add_parser(
        COMMAND, help="write N clearly fake cases (for trying the product and for benchmarks)"
    )
    parser.add_argument("--cases", type=_positive, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=2026, help="the same seed, the same cases")
    parser.add_argument(
        "--stages",
        action="store_true",
        help=(
            "walk the cases through every stage: notified, summaries in, rapid review sent, a"
            " local CSPR decided and published, deadlines moved (for reports and the chart)"
        ),
    )
    parser.add_argument(
        "--all-open",
        action="store_true",
        help="keep every case open, however old (a stress test for the reminders)",
    )
    parser.set_defaults(handler=with_settings(run))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1 or value > 100_000:
        raise argparse.ArgumentTypeError("give a number from 1 to 100000")
    return value


def run(args: argparse.Namespace, settings: Settings, *, stdout: TextIO, stderr: TextIO) -> int:
    """Write the cases; exit 1, writing nothing, when the store holds a real case."""
    partnerships = tuple(load_partnerships(settings.partnerships).partnerships.values())
    try:
        written = asyncio.run(
            _into_store(
                settings,
                partnerships,
                args.cases,
                seed=args.seed,
                today=london_today(),
                all_open=args.all_open,
                stages=args.stages,
            )
        )
    except RealDataError as exc:
        stderr.write(f"review-bot: {exc}\n")
        return EXIT_REAL_DATA
    stdout.write(f"wrote {len(written)} demo cases: {written[0]} … {written[-1]}\n")
    return EXIT_OK


class RealDataError(Exception):
    """The store holds a case that is not demo data: fake cases are never mixed with real."""

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"the store holds a real case ({reference}): demo data is written only to a store"
            " that holds none"
        )


async def _into_store(
    settings: Settings,
    partnerships: Sequence[Partnership],
    count: int,
    *,
    seed: int,
    today: date,
    all_open: bool,
    stages: bool = False,
) -> list[str]:
    from bot.app import open_store  # the app's one choice of backend

    store = await open_store(settings)
    try:
        return await write_demo_cases(
            store, partnerships, count, seed=seed, today=today, all_open=all_open, stages=stages
        )
    finally:
        await store.close()


async def write_demo_cases(
    store: Store,
    partnerships: Sequence[Partnership],
    count: int,
    *,
    seed: int,
    today: date,
    all_open: bool = False,
    stages: bool = False,
) -> list[str]:
    """Write `count` demo cases through the store's interface; return their references."""
    for doc in await store.list(Collection.CASES):
        submitted = doc.data.get("submitted_by", {})
        if not str(submitted.get("user_id", "")).startswith(DEMO_USER_PREFIX):
            raise RealDataError(doc.key)
    cases = CaseRepository(store)
    # Indexed as written; marking the index built first means no start-up scan re-indexes them.
    await cases.build_child_index()
    rng = random.Random(seed)
    written = []
    for n in range(count):
        partnership = partnerships[n % len(partnerships)]
        case = _demo_case(rng, partnership, today=today, number=n + 1, all_open=all_open)
        if stages:
            # Its own generator: the cases without --stages stay exactly as they were.
            case = advance_demo_case(case, random.Random(seed * 100_003 + n), today=today)
        reference = await cases.allocate_reference(
            partnership.reference_prefix, case.referral.incident.date.year
        )
        # Marked as already posted: demo data must not flood a review channel with cards.
        case = case.model_copy(
            update={"reference": reference, "channel_activity_id": f"demo-{reference}"}
        )
        await cases.create(case)
        await cases.audit(
            reference,
            at=case.submitted_at,
            actor=case.submitted_by.user_id,
            role="referrer",
            what="filed",
        )
        written.append(reference)
    return written


def _demo_case(
    rng: random.Random, partnership: Partnership, *, today: date, number: int, all_open: bool
) -> Case:
    incident = today - timedelta(days=rng.randrange(1, SPREAD_DAYS))
    la_aware = min(today, incident + timedelta(days=rng.randrange(0, 4)))
    sin_made = la_aware + timedelta(days=rng.randrange(0, 5)) if rng.random() < 0.7 else None
    if sin_made is not None and sin_made > today:
        sin_made = None
    finished = not all_open and (today - incident).days > FINISHED_AFTER_DAYS
    if finished:
        sin_made = None
        status = CaseStatus.CLOSED
    else:
        status = CaseStatus.RAPID_REVIEW if sin_made else CaseStatus.REFERRED
    area = partnership.areas[0]
    referral = Referral(
        area=Area(
            area=area, harm_area=area, partnership_id=partnership.id, lead_rule=LeadRule.SAME_AREA
        ),
        referrer=Referrer(
            name="Demo Referrer",
            role="Demo role",
            agency="Demo agency",
            contact="demo@example.invalid",
            lead_agreed=True,
        ),
        children=(
            Child(
                name="D.E.M.O.",
                date_of_birth=incident - timedelta(days=rng.randrange(30, 17 * 365)),
                sex=rng.choice(("female", "male", "not_known")),
            ),
        ),
        incident=Incident(
            date=incident,
            la_aware=la_aware,
            kind=rng.choice(("death", "serious_harm")),
            description=DEMO_TEXT,
        ),
        agencies=Agencies(involved=("childrens_social_care", "school")),
        criteria=Criteria(abuse_or_neglect="suspected", reasons=DEMO_TEXT),
        actions=Actions(safety_actions=DEMO_TEXT),
    )
    return Case(
        reference=f"{partnership.reference_prefix}-{incident.year:04d}-001",
        partnership_id=partnership.id,
        status=status,
        referral=referral,
        screening=screen(referral),
        submitted_by=ReferrerIdentity(user_id=f"{DEMO_USER_PREFIX}{number:05d}"),
        submitted_at=datetime.combine(la_aware, time(10), tzinfo=UTC),
        dates=CaseDates(incident=incident, la_aware=la_aware, sin_made=sin_made),
    )


def _on_or_before(day: date, today: date) -> date | None:
    return day if day <= today else None


def advance_demo_case(case: Case, rng: random.Random, *, today: date) -> Case:
    """The case walked along the path as far as its age allows, some steps late, some moved.

    Dates are drawn around the statutory ones (5 working days, about a week; 15 working days,
    about three weeks; six months) so that a report on the demo data has deadlines on time,
    late, moved and not due yet, and cases at every stage.
    """
    aware = case.dates.la_aware or case.dates.incident
    assert aware is not None
    if rng.random() < 0.1:
        status = CaseStatus.NO_SERIOUS_INCIDENT if (today - aware).days < 120 else CaseStatus.CLOSED
        return case.model_copy(
            update={"status": status, "dates": case.dates.model_copy(update={"sin_made": None})}
        )
    sin = _on_or_before(aware + timedelta(days=rng.choice((1, 2, 3, 4, 5, 6, 8))), today)
    events: dict[str, MilestoneEvents] = {}
    dates = case.dates.model_copy(update={"sin_made": sin})
    if sin is None:
        return case.model_copy(update={"status": CaseStatus.REFERRED, "dates": dates})
    told = _on_or_before(sin + timedelta(days=rng.choice((0, 0, 1, 3, 7))), today)
    if told is not None:
        events["notify_partners"] = MilestoneEvents(completion=Completion(on=told))
    summaries = _on_or_before(sin + timedelta(days=rng.choice((10, 12, 13, 14, 18))), today)
    if summaries is not None:
        events["rr_ias_returns"] = MilestoneEvents(completion=Completion(on=summaries))
    sent = _on_or_before(sin + timedelta(days=rng.choice((18, 20, 21, 21, 25, 30))), today)
    if sent is None:
        if rng.random() < 0.3:
            moved = Slip(
                to=sin + timedelta(days=28),
                reason=DEMO_TEXT,
                recorded_on=min(today, sin + timedelta(days=12)),
                kind=rng.choice(("agency_information", "family", "partners")),
            )
            events["rapid_review"] = MilestoneEvents(slips=(moved,))
        return case.model_copy(
            update={"status": CaseStatus.RAPID_REVIEW, "dates": dates, "milestone_events": events}
        )
    dates = dates.model_copy(update={"rapid_review_sent": sent})
    outcome = rng.random()
    if outcome < 0.45:
        old = (today - sent).days > 90
        status = CaseStatus.CLOSED if old else CaseStatus.NO_FURTHER_REVIEW
    elif outcome < 0.6:
        status = CaseStatus.LEARNING_REVIEW
    elif outcome < 0.7:
        national = _on_or_before(sent + timedelta(days=14), today)
        status = CaseStatus.NATIONAL_REVIEW if national else CaseStatus.RAPID_REVIEW
        dates = dates.model_copy(update={"national_review": national})
    else:
        decided = _on_or_before(sent + timedelta(days=14), today)
        status = CaseStatus.LOCAL_REVIEW if decided else CaseStatus.RAPID_REVIEW
        if decided is not None:
            dates = dates.model_copy(update={"decision_to_review": decided})
            published = _on_or_before(
                decided + timedelta(days=rng.choice((150, 170, 200, 230))), today
            )
            if published is not None:
                dates = dates.model_copy(update={"published": published})
                status = CaseStatus.PUBLISHED
            late_or_open = published is None or published > decided + timedelta(days=183)
            if late_or_open and rng.random() < 0.5:
                moved = Slip(
                    to=decided + timedelta(days=240),
                    reason=DEMO_TEXT,
                    recorded_on=min(today, decided + timedelta(days=120)),
                    kind=rng.choice(("parallel_proceedings", "reviewer", "family")),
                )
                events["cspr_final_report"] = MilestoneEvents(slips=(moved,))
    return case.model_copy(update={"status": status, "dates": dates, "milestone_events": events})
