"""Retention: the schedule in the partnerships file, preview and apply on a moved clock,
erasure (what stays, what goes, the audit entry), export, the CLI, and the daily job."""

from __future__ import annotations

import asyncio
import io
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Repositories, build_retention, open_store
from bot.conversations import ConversationRegistry
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from cards import wording
from cli.common import read_only_store
from cli.main import run as cli_run
from cli.retention import run_erase, run_export, run_retention
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, CaseStatus, ReferrerIdentity
from safeguarding.decisions import (
    Actor,
    DatedDecision,
    Decision,
    DecisionKind,
    ReasonedDecision,
    SlipMilestone,
    apply_decision,
)
from safeguarding.partnerships import (
    Partnership,
    Partnerships,
    PartnershipsFileError,
    RetentionSchedule,
    parse_partnerships,
)
from safeguarding.referral import ERASED, Child
from safeguarding.retention import (
    ERASURE_WHAT,
    age_band,
    erased_case,
    erasure_due,
)
from safeguarding.timeline import MilestoneKey, compute_timeline
from storage.base import Collection, Store
from storage.cases import CaseRepository, DraftRepository, StoredDraft
from storage.deliveries import DeliveryLog
from storage.leases import Leases
from storage.postgres_store import PostgresStore
from storage.retention import RetentionRecords, dialog_state_key
from storage.tinydb_store import TinyDBStore
from tests.support.cases import make_case, make_referral
from tests.support.fakes import FakeClock
from usecases.decisions import CaseCards
from usecases.errors import DeliveryFailedError
from usecases.retention import Retention, RetentionJob

# What a case holds that erasure must remove, each distinct enough to search the store for.
CHILD = "Zelda Quimby"
BORN = date(2022, 3, 14)
REFERRER = "Ronan Referrer"
CONTACT = "ronan@school.example"
TYPED = (
    CHILD,
    REFERRER,
    CONTACT,
    "Bruising seen at nursery",
    "Pattern of neglect",
    "Plan agreed with family",
    "Threshold not met after strategy talk",
    "Closed after checking with QX",
    "29:the-referrer",
    BORN.isoformat(),
)
LA_LEAD = "00000000-0000-0000-0000-0000000000a1"
NOW = datetime(2032, 3, 9, 9, 0, tzinfo=UTC)


def partnerships(**coventry: Any) -> Partnerships:
    """The example partnerships, with Coventry's retention as given and Warwickshire by hand."""
    data = tomllib.loads(EXAMPLE_PARTNERSHIPS.read_text(encoding="utf-8"))
    data["partnerships"]["coventry"]["retention"] = {"hold": ["COV-2026-006"], **coventry}
    data["partnerships"]["warwickshire"]["retention"] = {"automatic": False}
    data["retention"] = {"conversation_months": 12}
    return parse_partnerships(data)


def referral_for(partnership_id: str = "coventry", area: str = "Coventry") -> Any:
    base = make_referral(incident=date(2026, 1, 20), child_name=CHILD, born=BORN)
    return base.model_copy(
        update={
            "area": base.area.model_copy(
                update={"area": area, "harm_area": area, "partnership_id": partnership_id}
            ),
            "referrer": base.referrer.model_copy(update={"name": REFERRER, "contact": CONTACT}),
            "incident": base.incident.model_copy(
                update={"description": "Bruising seen at nursery", "location": "Home"}
            ),
            "criteria": base.criteria.model_copy(update={"reasons": "Pattern of neglect"}),
            "actions": base.actions.model_copy(
                update={"safety_actions": "Plan agreed with family"}
            ),
        }
    )


def lead_actor(partnership: Partnership) -> Actor:
    lead = next(lead for lead in partnership.leads if lead.partner == "local_authority")
    return Actor.from_lead(lead, lead.aad_object_id or lead.upn or "x")


async def decide(
    cases: CaseRepository,
    partnership: Partnership,
    reference: str,
    decision: Decision,
    at: datetime,
) -> None:
    """Record a decision as the decision desk does: the case, then its audit entry."""
    loaded = await cases.get(reference)
    assert loaded is not None
    result = apply_decision(
        loaded[0], decision, actor=lead_actor(partnership), partnership=partnership, at=at
    )
    await cases.save(result.case, loaded[1])
    entry = result.audit
    assert entry is not None
    await cases.audit(
        entry.reference,
        at=entry.record.at,
        actor=entry.record.actor.id,
        role=entry.record.actor.role,
        what=entry.kind.value,
        **entry.detail(),
    )


async def file(
    cases: CaseRepository,
    reference: str,
    *,
    partnership_id: str = "coventry",
    area: str = "Coventry",
    user_id: str = "29:the-referrer",
    status: CaseStatus | None = None,
) -> None:
    case = make_case(
        referral_for(partnership_id, area),
        reference=reference,
        user_id=user_id,
        submitted_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
    )
    if status is not None:
        case = case.model_copy(update={"status": status})
    await cases.create(case)
    await cases.audit(
        reference, at=case.submitted_at, actor=user_id, role="referrer", what="referral submitted"
    )


async def close(
    cases: CaseRepository, partnership: Partnership, reference: str, at: datetime
) -> None:
    """Not notifiable, then closed at `at`: the case finishes at `at`."""
    not_notifiable = ReasonedDecision(
        kind=DecisionKind.NOT_NOTIFIABLE, reason="Threshold not met after strategy talk"
    )
    await decide(cases, partnership, reference, not_notifiable, at - timedelta(days=3))
    closing = ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="Closed after checking with QX")
    await decide(cases, partnership, reference, closing, at)


async def cases_at_every_stage(store: Store, config: Partnerships) -> CaseRepository:
    """Open, in rapid review, closed just inside and just past the period, published, held,
    and a partnership that erases only by hand."""
    cases = CaseRepository(store)
    coventry = config.partnerships["coventry"]
    await file(cases, "COV-2026-001", user_id="29:open-referrer")
    await file(cases, "COV-2026-002")
    sin = DatedDecision(kind=DecisionKind.SIN_MADE, on=date(2026, 2, 2))
    await decide(cases, coventry, "COV-2026-002", sin, datetime(2026, 2, 2, 10, tzinfo=UTC))
    # Finished on 10 March 2026: six years end on 10 March 2032, a day after NOW.
    await file(cases, "COV-2026-003")
    await close(cases, coventry, "COV-2026-003", datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    # Finished on 9 March 2026: due on 9 March 2032, NOW's day.
    await file(cases, "COV-2026-004")
    await close(cases, coventry, "COV-2026-004", datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    # Published, with no decision stored: it finished when it was filed.
    await file(cases, "COV-2026-005", status=CaseStatus.PUBLISHED)
    # Long past its period, but on Coventry's hold list.
    await file(cases, "COV-2026-006")
    await close(cases, coventry, "COV-2026-006", datetime(2026, 2, 10, 10, 0, tzinfo=UTC))
    warwickshire = config.partnerships["warwickshire"]
    await file(cases, "WAR-2026-001", partnership_id="warwickshire", area="Warwickshire")
    await close(cases, warwickshire, "WAR-2026-001", datetime(2026, 2, 10, 10, 0, tzinfo=UTC))
    return cases


def retention_over(store: Store, config: Partnerships) -> Retention:
    settings = Settings(partnerships=EXAMPLE_PARTNERSHIPS, reminders_enabled=False)
    return build_retention(config, Repositories.over(store, settings), store)


async def snapshot(store: Store) -> dict[tuple[str, str], tuple[Any, str]]:
    """Every document of every collection with its e-tag."""
    found = {}
    for collection in Collection:
        for doc in await store.list(collection):
            found[(collection.value, doc.key)] = (doc.data, doc.etag)
    return found


async def stored_text(store: Store, reference: str) -> str:
    """The case and its audit trail as stored, as one string to search."""
    case = await store.get(Collection.CASES, reference)
    trail = await store.list(Collection.AUDIT, prefix=f"{reference}/")
    assert case is not None
    return json.dumps([case.data, [d.data for d in trail]], ensure_ascii=False)


@pytest.fixture(params=["tinydb", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A store of each backend."""
    opened: Store
    if request.param == "postgres":
        opened = await PostgresStore.open(request.getfixturevalue("postgres_url"))
    else:
        opened = TinyDBStore(tmp_path / "store")
    yield opened
    await opened.close()


# --- the schedule ---------------------------------------------------------------------------


def test_the_partnerships_file_takes_a_schedule_and_sound_defaults() -> None:
    config = partnerships(closed_case_years=10, delivery_days=30)
    assert config.partnerships["coventry"].retention == RetentionSchedule(
        closed_case_years=10, delivery_days=30, hold=("COV-2026-006",)
    )
    defaults = config.partnerships["hull"].retention
    assert (defaults.closed_case_years, defaults.delivery_days, defaults.automatic) == (6, 90, True)
    assert config.retention.conversation_months == 12


def test_a_bad_schedule_names_the_partnership_and_the_field() -> None:
    with pytest.raises(PartnershipsFileError) as raised:
        partnerships(closed_case_years=0)
    assert any(p.startswith("coventry: retention.closed_case_years") for p in raised.value.problems)
    with pytest.raises(PartnershipsFileError) as raised:
        partnerships(hold=["Jane Doe"])
    assert any("retention.hold" in p for p in raised.value.problems)


def test_a_period_never_ends_early_hand_checked() -> None:
    # Closed on 29 February 2028; six years on there is no 29 February 2034, and 28 February
    # would erase a day early: it falls due on 1 March 2034.
    case = make_case(make_referral()).model_copy(
        update={"status": CaseStatus.CLOSED, "submitted_at": datetime(2028, 2, 29, 12, tzinfo=UTC)}
    )
    due = erasure_due(case, RetentionSchedule())
    assert due is not None
    assert (due.finished_on, due.due_on) == (date(2028, 2, 29), date(2034, 3, 1))


def test_age_bands_at_the_incident() -> None:
    incident = date(2026, 1, 20)
    ages = {
        date(2025, 6, 1): "under_1",
        date(2025, 1, 20): "1_to_5",
        date(2020, 1, 21): "1_to_5",
        date(2020, 1, 20): "6_to_10",
        date(2010, 1, 20): "16_to_17",
        date(2008, 1, 20): "18_plus",
    }
    for born, band in ages.items():
        assert age_band(Child(name="A B", date_of_birth=born), incident) == band, born
    unborn = Child(name="Baby", unborn=True, expected_date=date(2026, 3, 1))
    assert age_band(unborn, incident) == "unborn"


def test_what_an_erased_field_holds_is_the_wording_it_shows() -> None:
    assert wording.ERASED_VALUE == ERASED


# --- preview and apply on a moved clock -------------------------------------------------------


async def test_preview_lists_just_past_not_just_inside_and_changes_nothing(store: Store) -> None:
    config = partnerships()
    await cases_at_every_stage(store, config)
    retention = retention_over(store, config)
    before = await snapshot(store)

    plan = await retention.preview(NOW)
    assert [d.reference for d in plan.cases] == ["COV-2026-004", "COV-2026-005", "WAR-2026-001"]
    assert [d.reference for d in plan.held] == ["COV-2026-006"]
    assert await snapshot(store) == before

    # A day later the case that finished on 10 March 2026 has kept its six years too.
    plan = await retention.preview(NOW + timedelta(days=1))
    assert "COV-2026-003" in [d.reference for d in plan.cases]
    # Open cases are never due, however old.
    far = await retention.preview(NOW + timedelta(days=365 * 40))
    assert not {"COV-2026-001", "COV-2026-002"} & {d.reference for d in far.cases}


async def test_apply_erases_what_is_due_keeps_the_rest_and_runs_again_to_no_change(
    store: Store,
) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    retention = retention_over(store, config)
    kept_before = {ref: await stored_text(store, ref) for ref in ("COV-2026-001", "COV-2026-003")}

    report = await retention.apply(NOW)
    assert report.erased == ["COV-2026-004", "COV-2026-005", "WAR-2026-001"]
    for reference in report.erased:
        text = await stored_text(store, reference)
        assert not [value for value in TYPED if value in text], reference
    for reference, text in kept_before.items():
        assert await stored_text(store, reference) == text
    held = await stored_text(store, "COV-2026-006")
    assert CHILD in held

    # Run again: nothing is written at all.
    before = await snapshot(store)
    again = await retention.apply(NOW)
    assert (again.erased, again.finished) == ([], [])
    assert await snapshot(store) == before

    erased = await cases.get("COV-2026-004")
    assert erased is not None
    assert erased[0].erasure is not None
    assert erased[0].erasure.rule == "closed_case_years=6"


async def test_a_moved_deadlines_typed_reason_is_erased_its_dates_kept(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    coventry = config.partnerships["coventry"]
    # A lead moved a deadline of a case now due for erasure, and typed why (it may name people).
    why = "Waiting on the police about Zelda"
    slip = SlipMilestone(milestone=MilestoneKey.SIN, to=date(2026, 2, 9), reason=why)
    await file(cases, "COV-2026-007")
    await decide(cases, coventry, "COV-2026-007", slip, datetime(2026, 2, 2, 11, tzinfo=UTC))
    await close(cases, coventry, "COV-2026-007", datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    assert why in await stored_text(store, "COV-2026-007")

    report = await retention_over(store, config).apply(NOW)

    assert "COV-2026-007" in report.erased
    assert why not in await stored_text(store, "COV-2026-007")
    loaded = await cases.get("COV-2026-007")
    assert loaded is not None
    [kept] = loaded[0].milestone_events[MilestoneKey.SIN].slips
    assert (kept.to, kept.recorded_on, kept.reason) == (date(2026, 2, 9), date(2026, 2, 2), ERASED)


async def test_erasure_keeps_the_statutory_record_and_the_clock(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    loaded = await cases.get("COV-2026-004")
    assert loaded is not None
    before = loaded[0]
    await retention_over(store, config).apply(NOW)
    loaded = await cases.get("COV-2026-004")
    assert loaded is not None
    after = loaded[0]

    kept = ("reference", "partnership_id", "status", "screening", "dates", "submitted_at")
    for name in kept:
        assert getattr(after, name) == getattr(before, name), name
    assert [(d.kind, d.at, d.actor, d.version) for d in after.decisions] == [
        (d.kind, d.at, d.actor, d.version) for d in before.decisions
    ]
    assert all(d.data.get("reason") == ERASED for d in after.decisions)
    child = after.referral.children[0]
    assert (child.name, child.date_of_birth, child.age_band) == (ERASED, None, "1_to_5")
    assert (after.referral.incident.date, after.referral.incident.kind) == (
        before.referral.incident.date,
        before.referral.incident.kind,
    )
    assert after.referral.referrer.agency == before.referral.referrer.agency
    assert after.submitted_by == ReferrerIdentity(user_id=ERASED)
    # The statutory clock reads the same dates and events: the same timeline.
    coventry = config.partnerships["coventry"]
    calendar = PartnershipCalendars().for_partnership(coventry)

    def timeline(case: Case) -> Any:
        return compute_timeline(
            case.dates, coventry.clock, calendar, date(2026, 4, 1), events=case.milestone_events
        )

    assert timeline(after) == timeline(before)
    # Erasing the erased case again changes nothing.
    assert after.erasure is not None
    assert erased_case(after, after.erasure) == after


async def test_the_audit_trail_keeps_that_it_happened_never_what(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    await retention_over(store, config).apply(NOW)

    trail = await cases.audit_trail("COV-2026-004")
    entry = trail[-1]
    assert entry["what"] == ERASURE_WHAT
    assert (entry["actor"], entry["role"], entry["rule"]) == (
        "retention",
        "retention schedule",
        "closed_case_years=6",
    )
    assert entry["at"] == NOW.isoformat()
    assert entry["reason"] == "finished on 2026-03-09; kept 6 year(s) after"
    assert "referral.children.name" in entry["fields"]
    assert (entry["children"], entry["index_entries_deleted"]) == (1, 1)
    # The filing's entry and both decisions' entries held something erased.
    assert entry["audit_entries_redacted"] == 3
    assert [e["what"] for e in trail].count(ERASURE_WHAT) == 1
    as_text = json.dumps(trail, ensure_ascii=False)
    assert not [value for value in TYPED if value in as_text]
    # The decisions are still there: what, when, who (their role and id).
    assert [e["what"] for e in trail[:-1]] == ["referral submitted", "not_notifiable", "close_case"]
    assert trail[1]["actor"] == LA_LEAD


async def test_an_erased_child_is_no_longer_found_as_a_duplicate(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    fresh = referral_for().model_copy(
        update={"incident": referral_for().incident.model_copy(update={"date": date(2026, 1, 25)})}
    )
    assert "COV-2026-004" in await cases.duplicates_of(fresh)
    await retention_over(store, config).apply(NOW)
    assert "COV-2026-004" not in await cases.duplicates_of(fresh)
    index = await store.list(Collection.CASE_INDEX)
    assert not [d for d in index if d.data.get("reference") == "COV-2026-004"]


async def test_a_run_stopped_before_its_audit_entry_is_finished_by_the_next(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    retention = retention_over(store, config)
    await retention.apply(NOW)
    # As if the run had stopped after writing the case: its audit entry is missing.
    trail = await store.list(Collection.AUDIT, prefix="COV-2026-004/")
    await store.delete(Collection.AUDIT, trail[-1].key)
    plan = await retention.preview(NOW)
    assert plan.to_finish == ["COV-2026-004"]
    report = await retention.apply(NOW)
    assert report.finished == ["COV-2026-004"]
    entries = [e["what"] for e in await cases.audit_trail("COV-2026-004")]
    assert entries.count(ERASURE_WHAT) == 1


async def test_free_text_recorded_after_an_erasure_is_erased_by_the_next_run(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    retention = retention_over(store, config)
    await retention.apply(NOW)
    # A published case, erased, is then closed with a reason that names someone.
    coventry = config.partnerships["coventry"]
    closing = ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason="Closed: Zelda Quimby moved")
    await decide(cases, coventry, "COV-2026-005", closing, NOW + timedelta(hours=1))
    assert "Zelda" in await stored_text(store, "COV-2026-005")
    await retention.apply(NOW + timedelta(days=1))
    assert "Zelda" not in await stored_text(store, "COV-2026-005")


# --- people, drafts and deliveries --------------------------------------------------------------


async def people_and_deliveries(store: Store) -> None:
    """Records of people seen long ago and lately, and deliveries of open and finished cases."""
    long_ago, lately = "2031-01-05", "2031-12-01"
    people = {
        # Not seen for 14 months: forgotten, with their dialog state and filed marker.
        "user:29:gone": {
            "user_id": "29:gone",
            "user_aad_object_id": "aad-gone",
            "seen_on": long_ago,
        },
        # As long ago, but referred an open case (COV-2026-001): kept.
        "user:29:open-referrer": {"user_id": "29:open-referrer", "seen_on": long_ago},
        # As long ago, but a configured lead: kept.
        "user:29:lead": {"user_id": "29:lead", "user_aad_object_id": LA_LEAD, "seen_on": long_ago},
        "user:29:lately": {"user_id": "29:lately", "seen_on": lately},
        # Written before the last-seen day was kept: dated now, forgotten in a year if not seen.
        "user:29:undated": {"user_id": "29:undated"},
    }
    for key, fields in people.items():
        record = {
            "kind": "personal",
            "conversation_id": f"a:{key}",
            "service_url": "https://smba.example/",
            "channel_id": "msteams",
            **fields,
        }
        await store.put(Collection.CONVERSATIONS, key, record)
    await store.put(
        Collection.CONVERSATIONS,
        "channel:19:review",
        {
            "kind": "channel",
            "conversation_id": "19:review",
            "service_url": "x",
            "channel_id": "msteams",
        },
    )
    await store.put(
        Collection.CONVERSATIONS,
        "member:sha256:old",
        {"kind": "roster_member", "roster_team": "t", "teams_id": "29:x", "seen_on": long_ago},
    )
    await store.put(Collection.STATE, dialog_state_key("msteams", "a:user:29:gone"), {"state": {}})
    marker = StoredDraft.model_validate(
        {
            "draft": {},
            "started": "2031-01-01T09:00:00+00:00",
            "updated": "2031-01-01T09:00:00+00:00",
            "filed_reference": "COV-2026-001",
        }
    )
    drafts = DraftRepository(store, ttl=timedelta(days=14))
    await drafts.save("aad-gone", marker, None)
    stale = marker.model_copy(update={"filed_reference": None})
    await drafts.save("29:stale-draft", stale, None)

    log = DeliveryLog(store)
    old = datetime(2031, 11, 1, 9, 0, tzinfo=UTC)
    for key, reference in (
        ("COV-2026-004|sin|2d", "COV-2026-004"),  # a finished case's: deleted
        ("post|COV-2026-004", "COV-2026-004"),
        ("COV-2026-001|sin|2d", "COV-2026-001"),  # an open case's: kept, it may be planned
        ("digest|coventry|2031-W44", "digest"),  # a week gone by: deleted
    ):
        claim = await log.claim(
            key,
            owner="r1",
            now=old,
            details={
                "reference": reference,
                "partnership_id": "coventry",
                "kind": "reminder",
                "milestone": "sin",
                "due": "2031-11-01",
            },
        )
        assert claim is not None
        await log.sent(claim, activity_id="1:a", now=old)
    # Claimed and never settled: a sender may hold it, kept.
    await log.claim(
        "COV-2026-004|sin|0d",
        owner="r1",
        now=old,
        details={
            "reference": "COV-2026-004",
            "partnership_id": "coventry",
            "kind": "reminder",
            "milestone": "sin",
            "due": "2031-11-01",
        },
    )


async def test_people_drafts_and_deliveries_are_swept_as_the_schedule_says(store: Store) -> None:
    config = partnerships(delivery_days=30)
    await cases_at_every_stage(store, config)
    await people_and_deliveries(store)
    retention = retention_over(store, config)

    plan = await retention.preview(NOW)
    assert plan.conversations == {"personal": 1, "roster_member": 1}
    assert (plan.conversations_kept, plan.undated, plan.drafts) == (2, 1, 1)
    assert plan.deliveries == {"coventry": 3}

    report = await retention.apply(NOW)
    assert (report.conversations, report.dated, report.deliveries, report.drafts) == (2, 1, 3, 1)
    keys = {d.key for d in await store.list(Collection.CONVERSATIONS)}
    assert keys == {
        "user:29:open-referrer",
        "user:29:lead",
        "user:29:lately",
        "user:29:undated",
        "channel:19:review",
    }
    assert await store.get(Collection.STATE, dialog_state_key("msteams", "a:user:29:gone")) is None
    assert await store.get(Collection.STATE, DraftRepository.key("aad-gone")) is None
    undated = await store.get(Collection.CONVERSATIONS, "user:29:undated")
    assert undated is not None
    assert undated.data["seen_on"] == "2032-03-09"
    left = {d.key for d in await store.list(Collection.DELIVERIES)}
    assert left == {"COV-2026-001|sin|2d", "COV-2026-004|sin|0d"}


async def test_this_weeks_digest_record_stays_whatever_its_age(store: Store) -> None:
    # A digest is planned for the current week only: its record, deleted while the week runs,
    # would let the next tick post the digest again. Kept one day, Monday's is still there on
    # Wednesday; once the week is over it goes.
    config = partnerships(delivery_days=1)
    log = DeliveryLog(store)
    monday = datetime(2032, 3, 8, 9, 0, tzinfo=UTC)
    claim = await log.claim(
        "digest|coventry|2032-W11",
        owner="r1",
        now=monday,
        details={
            "reference": "digest",
            "partnership_id": "coventry",
            "kind": "digest",
            "milestone": "digest",
            "due": "2032-03-08",
        },
    )
    assert claim is not None
    await log.sent(claim, activity_id="1:d", now=monday)
    retention = retention_over(store, config)
    assert (await retention.preview(monday + timedelta(days=2))).deliveries == {}
    assert (await retention.preview(monday + timedelta(days=7))).deliveries == {"coventry": 1}


class MessagesBetweenReadAndDelete:
    """A store over another in which a user messages the bot just as retention deletes them."""

    def __init__(self, inner: Store, key: str) -> None:
        self._inner = inner
        self._key = key

    async def get(self, collection: Collection, key: str) -> Any:
        return await self._inner.get(collection, key)

    async def put(self, collection: Collection, key: str, data: Any, **conditions: Any) -> str:
        return await self._inner.put(collection, key, data, **conditions)

    async def list(self, collection: Collection, **filters: Any) -> Any:
        return await self._inner.list(collection, **filters)

    async def etags(self, collection: Collection, **filters: Any) -> Any:
        return await self._inner.etags(collection, **filters)

    async def delete(
        self, collection: Collection, key: str, *, if_match: str | None = None
    ) -> bool:
        if collection is Collection.CONVERSATIONS and key == self._key:
            doc = await self._inner.get(collection, key)
            assert doc is not None
            await self._inner.put(collection, key, {**doc.data, "seen_on": "2032-03-09"})
        return await self._inner.delete(collection, key, if_match=if_match)

    async def is_ready(self) -> bool:
        return await self._inner.is_ready()

    async def close(self) -> None:
        await self._inner.close()


async def test_a_user_who_comes_back_as_they_are_deleted_is_kept(store: Store) -> None:
    config = partnerships()
    await cases_at_every_stage(store, config)
    await people_and_deliveries(store)
    racing = MessagesBetweenReadAndDelete(store, "user:29:gone")
    report = await retention_over(racing, config).apply(NOW)
    kept = await store.get(Collection.CONVERSATIONS, "user:29:gone")
    assert kept is not None
    assert kept.data["seen_on"] == "2032-03-09"
    # Their dialog state and filed marker stay with them.
    assert await store.get(Collection.STATE, dialog_state_key("msteams", "a:user:29:gone"))
    assert (report.conversations, report.skipped) == (1, 1)  # the roster cache entry went


async def test_the_registry_keeps_the_day_it_last_heard_someone(tmp_path: Path) -> None:
    from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

    store = TinyDBStore(tmp_path / "s")
    clock = FakeClock(datetime(2032, 3, 9, 9, 0, tzinfo=UTC))
    registry = ConversationRegistry(store, clock=clock)
    activity = Activity(
        type="message",
        channel_id="msteams",
        service_url="https://smba.example/",
        conversation=ConversationAccount(id="a:1", conversation_type="personal"),
        from_property=ChannelAccount(id="29:1", aad_object_id="aad-1"),
        recipient=ChannelAccount(id="28:bot"),
    )
    await registry.remember(activity)
    first = await store.get(Collection.CONVERSATIONS, "user:29:1")
    assert first is not None
    assert first.data["seen_on"] == "2032-03-09"
    clock.advance(hours=5)
    await registry.remember(activity)
    same_day = await store.get(Collection.CONVERSATIONS, "user:29:1")
    assert same_day is not None
    assert same_day.etag == first.etag  # no write for a second message the same day
    clock.advance(days=1)
    await registry.remember(activity)
    next_day = await store.get(Collection.CONVERSATIONS, "user:29:1")
    assert next_day is not None
    assert next_day.data["seen_on"] == "2032-03-10"
    await store.close()


def test_dialog_state_is_found_where_botbuilder_keeps_it() -> None:
    from botbuilder.core import ConversationState, MemoryStorage, TurnContext
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.schema import Activity, ConversationAccount

    from storage.botstate import state_key

    activity = Activity(
        type="message", channel_id="msteams", conversation=ConversationAccount(id="a:1;x")
    )
    context = TurnContext(TestAdapter(), activity)
    key = ConversationState(MemoryStorage()).get_storage_key(context)
    assert dialog_state_key("msteams", "a:1;x") == state_key(key)


# --- one case: export and erase ----------------------------------------------------------------


async def test_export_holds_the_case_its_trail_and_its_deliveries(store: Store) -> None:
    config = partnerships()
    await cases_at_every_stage(store, config)
    await people_and_deliveries(store)
    document = await retention_over(store, config).export("COV-2026-004", now=NOW)
    assert document["export"]["reference"] == "COV-2026-004"
    assert document["export"]["erased"] is False
    assert document["case"]["referral"]["children"][0]["name"] == CHILD
    assert [e["what"] for e in document["audit"]] == [
        "referral submitted",
        "not_notifiable",
        "close_case",
    ]
    assert sorted(d["key"] for d in document["deliveries"]) == [
        "COV-2026-004|sin|0d",
        "COV-2026-004|sin|2d",
        "post|COV-2026-004",
    ]
    json.dumps(document)  # plain JSON throughout


async def cli_store(settings: Settings) -> None:
    store = await open_store(settings)
    await cases_at_every_stage(store, partnerships())
    await store.close()


async def text_in(settings: Settings, reference: str) -> str:
    # Read through the settings' keys, as the tools do: the raw files are ciphertext.
    async with read_only_store(settings) as store:
        return await stored_text(store, reference)


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", partnerships=EXAMPLE_PARTNERSHIPS, reminders_enabled=False
    )


def test_erase_asks_then_erases_and_audits_who_and_why(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    asyncio.run(cli_store(settings))
    out, err = io.StringIO(), io.StringIO()

    def refuse(prompt: str) -> str:
        assert "COV-2026-001" in prompt
        return "no\n"

    args = {"reason": "Referral made in error", "by": "alice", "stdout": out, "stderr": err}
    code = run_erase(settings, "cov-2026-001", confirmed=False, ask=refuse, now=NOW, **args)
    assert code == 3
    assert CHILD in asyncio.run(text_in(settings, "COV-2026-001"))

    code = run_erase(
        settings, "cov-2026-001", confirmed=False, ask=lambda _: "COV-2026-001\n", now=NOW, **args
    )
    assert code == 0, err.getvalue()
    assert "COV-2026-001: personal data erased" in out.getvalue()
    text = asyncio.run(text_in(settings, "COV-2026-001"))
    assert not [value for value in (CHILD, REFERRER, CONTACT) if value in text]
    entry = json.loads(text)[1][-1]
    assert (entry["what"], entry["actor"], entry["role"], entry["reason"]) == (
        ERASURE_WHAT,
        "alice",
        "operator",
        "Referral made in error",
    )
    assert "rule" not in entry

    # Again: nothing more to erase, and it says by whom it was.
    out = io.StringIO()
    code = run_erase(
        settings, "COV-2026-001", confirmed=True, ask=refuse, now=NOW, **{**args, "stdout": out}
    )
    assert code == 0
    assert "already erased on 2032-03-09 by alice" in out.getvalue()
    code = run_erase(settings, "COV-2026-099", confirmed=True, ask=refuse, now=NOW, **args)
    assert code == 1


def test_erase_is_wired_into_review_bot_and_needs_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    asyncio.run(cli_store(settings))
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REVIEW_BOT_PARTNERSHIPS", str(EXAMPLE_PARTNERSHIPS.resolve()))
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        cli_run(["erase", "COV-2026-004", "--yes"], stdout=out, stderr=err)
    argv = ["erase", "COV-2026-004", "--reason", "Request", "--by", "dpo", "--yes"]
    assert cli_run(argv, stdout=out, stderr=err) == 0, err.getvalue()
    assert "COV-2026-004: personal data erased" in out.getvalue()


def test_export_cli_writes_a_new_owner_only_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    asyncio.run(cli_store(settings))
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "sar.json"
    assert run_export(settings, "COV-2026-004", target, stdout=out, stderr=err, now=NOW) == 0
    assert target.stat().st_mode & 0o777 == 0o600
    assert json.loads(target.read_text())["case"]["reference"] == "COV-2026-004"
    assert run_export(settings, "COV-2026-004", target, stdout=out, stderr=err, now=NOW) == 2
    assert run_export(settings, "COV-2026-098", None, stdout=out, stderr=err, now=NOW) == 1
    out = io.StringIO()
    assert run_export(settings, "COV-2026-004", None, stdout=out, stderr=err, now=NOW) == 0
    assert json.loads(out.getvalue())["export"]["partnership_id"] == "coventry"


@pytest.mark.parametrize("command", ["export", "erase"])
@pytest.mark.parametrize("reference", ["COV 2025 001", "", "cov-2026", "COV-2026-001\x1b[2J"])
def test_a_malformed_reference_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, reference: str
) -> None:
    settings = settings_for(tmp_path)
    asyncio.run(cli_store(settings))
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REVIEW_BOT_PARTNERSHIPS", str(EXAMPLE_PARTNERSHIPS.resolve()))
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    argv = [command, reference, *(["--reason", "r", "--by", "dpo", "--yes"] * (command == "erase"))]
    assert cli_run(argv, stdout=out, stderr=err) == 2
    [line] = err.getvalue().splitlines()
    assert line.startswith(f"review-bot {command}: ")
    assert line.endswith("is not a case reference (like COV-2026-001)")
    assert "\x1b" not in line
    assert out.getvalue() == ""
    # 1 stays "no such case": a well-formed reference the store does not hold.
    argv[1] = "cov-2026-098"
    assert cli_run(argv, stdout=out, stderr=io.StringIO()) == 1


def test_retention_cli_previews_by_reference_and_applies_only_as_of_now(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    asyncio.run(cli_store(settings))
    out, err = io.StringIO(), io.StringIO()
    assert run_retention(settings, "2032-03-10", False, stdout=out, stderr=err, now=NOW) == 0
    text = out.getvalue()
    assert "a preview: nothing is changed" in text
    assert "COV-2026-003  coventry  finished 2026-03-10  due 2032-03-10" in text
    assert not [value for value in TYPED if value in text]
    # A day ahead, or gone by, is for looking only.
    assert run_retention(settings, "2032-03-10", True, stdout=out, stderr=err, now=NOW) == 2
    assert run_retention(settings, "2032-03-08", True, stdout=out, stderr=err, now=NOW) == 2
    assert CHILD in asyncio.run(text_in(settings, "COV-2026-003"))
    out = io.StringIO()
    assert run_retention(settings, "2032-03-09", True, stdout=out, stderr=err, now=NOW) == 0
    # The example file's own schedules: no hold, every partnership automatic.
    assert "Erased: COV-2026-004, COV-2026-005, COV-2026-006, WAR-2026-001" in out.getvalue()


# --- the daily job -------------------------------------------------------------------------------


class RecordingNotifier:
    """A ChannelNotifier that keeps every card update, and fails when told to."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, str, dict[str, Any]]] = []
        self.failing = False

    async def post_to_review_channel(
        self, partnership: Partnership, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        raise AssertionError("retention posts nothing new")

    async def update_in_review_channel(
        self, partnership: Partnership, activity_id: str, card: dict[str, Any]
    ) -> None:
        if self.failing:
            raise DeliveryFailedError("the review channel", "503")
        self.updates.append((partnership.id, activity_id, card))

    async def send_to_user_id(
        self, user_id: str, card: dict[str, Any], *, summary: str | None = None
    ) -> str:
        raise AssertionError("retention sends nobody anything")


class NoUsers:
    """A user directory that knows nobody (cards then refresh for everyone)."""

    async def teams_id_for(self, user: str, *, team_id: str | None = None) -> str | None:
        return None


def job_for(
    store: Store, config: Partnerships, clock: FakeClock, replica: str, notifier: RecordingNotifier
) -> RetentionJob:
    cards = CaseCards(
        notifier=notifier,
        users=NoUsers(),
        calendars=PartnershipCalendars(),
        clock=clock,
        partnerships=config,
    )
    retention = retention_over(store, config)
    return RetentionJob(
        retention=retention,
        records=RetentionRecords(store),
        leases=Leases(store, holder=replica),
        clock=clock,
        cases=CaseRepository(store),
        partnerships=config,
        cards=cards,
        notifier=notifier,
    )


async def test_the_daily_job_runs_once_a_day_across_two_replicas(store: Store) -> None:
    config = partnerships()
    await cases_at_every_stage(store, config)
    clock = FakeClock(NOW)
    notifier = RecordingNotifier()
    one, two = (job_for(store, config, clock, r, notifier) for r in ("replica-1", "replica-2"))

    # Another replica holds the lease: this one does nothing.
    held = await Leases(store, holder="replica-2").take(
        "retention-daily", now=NOW, ttl=timedelta(minutes=30)
    )
    assert held is not None
    assert (await one.run()).why_not == "held elsewhere"
    await Leases(store, holder="replica-2").release(held)

    first = await one.run()
    assert first.ran
    assert first.report is not None
    # Warwickshire erases by hand only: its due case is left for `retention --apply`.
    assert first.report.erased == ["COV-2026-004", "COV-2026-005"]
    clock.advance(hours=1)
    assert (await two.run()).why_not == "done today"
    assert (await one.run()).why_not == "done today"
    entries = await CaseRepository(store).audit_trail("COV-2026-004")
    assert [e["what"] for e in entries].count(ERASURE_WHAT) == 1

    # The next London day, whichever replica checks first runs it, once.
    clock.set(datetime(2032, 3, 10, 0, 30, tzinfo=UTC))
    second = await two.run()
    assert second.ran
    assert second.report is not None
    assert second.report.erased == ["COV-2026-003"]
    assert (await one.run()).why_not == "done today"
    war = await CaseRepository(store).get("WAR-2026-001")
    assert war is not None
    assert war[0].erasure is None


async def test_the_daily_job_replaces_an_erased_cases_card_once(store: Store) -> None:
    config = partnerships()
    cases = await cases_at_every_stage(store, config)
    assert await cases.record_post("COV-2026-004", "1:card", at=NOW - timedelta(days=2000))
    clock = FakeClock(NOW)
    notifier = RecordingNotifier()
    notifier.failing = True
    job = job_for(store, config, clock, "replica-1", notifier)

    # Teams refuses today: the case is erased all the same, its card tried again tomorrow.
    # (The published case erased with it never had a card posted: nothing to replace.)
    assert (await job.run()).cards_updated == ["COV-2026-005"]
    clock.advance(days=1)
    notifier.failing = False
    report = await job.run()
    # COV-2026-003 falls due that day, with no card posted either.
    assert report.cards_updated == ["COV-2026-003", "COV-2026-004"]
    [(partnership_id, activity_id, card)] = notifier.updates
    assert (partnership_id, activity_id) == ("coventry", "1:card")
    shown = json.dumps(card, ensure_ascii=False)
    assert "1 to 5 years" in shown
    assert "ZQ" not in shown
    assert CHILD not in shown
    assert "The personal details in this case were erased on" in shown
    loaded = await cases.get("COV-2026-004")
    assert loaded is not None
    assert loaded[0].erasure is not None
    assert loaded[0].erasure.cards_updated
    clock.advance(days=1)
    assert (await job.run()).cards_updated == []
    assert len(notifier.updates) == 1


async def test_the_card_that_told_the_home_partnership_is_replaced_too(store: Store) -> None:
    config = partnerships()
    cases = CaseRepository(store)
    # Led by Hull (no review channel here), the child lives in Coventry, which was told.
    referral = referral_for("hull", "Kingston upon Hull")
    referral = referral.model_copy(
        update={"area": referral.area.model_copy(update={"told_partnership_id": "coventry"})}
    )
    filed = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    case = make_case(referral, reference="HUL-2026-001", submitted_at=filed).model_copy(
        update={"status": CaseStatus.CLOSED, "told_activity_id": "1:told"}
    )
    await cases.create(case)
    notifier = RecordingNotifier()
    report = await job_for(store, config, FakeClock(NOW), "replica-1", notifier).run()
    assert report.cards_updated == ["HUL-2026-001"]
    [(partnership_id, activity_id, card)] = notifier.updates
    assert (partnership_id, activity_id) == ("coventry", "1:told")
    shown = json.dumps(card, ensure_ascii=False)
    assert "1 to 5 years" in shown
    assert "ZQ" not in shown
