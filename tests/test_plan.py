"""Reminder and digest planning: bank holidays, working hours, stable keys, catching up, slips."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any, get_args

import pytest

from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case, CaseStatus, ReferrerIdentity
from safeguarding.clocks import LONDON
from safeguarding.partnerships import (
    Partnership,
    PartnershipsFileError,
    ReminderMilestone,
    parse_partnerships,
)
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
from safeguarding.timeline import (
    CaseDates,
    Completion,
    MilestoneEvents,
    MilestoneKey,
    MilestoneStatus,
    Slip,
    compute_timeline,
)
from scheduler.plan import (
    Digest,
    PlanInputError,
    Reminder,
    digest_due,
    next_working_moment,
    plan_digest,
    plan_reminders,
    reminder_key,
)
from scheduler.policy import DEFAULT_REMINDER_MILESTONES, ReminderPolicy, reminded_milestones

LA_ID = "00000000-0000-0000-0000-0000000000a1"
BM_UPN = "bm@coventry.example"
CHAIR_UPN = "chair@coventry.example"
HEALTH_UPN = "health@coventry.example"
POLICE_UPN = "police@coventry.example"

_LEADS: list[dict[str, Any]] = [
    {"name": "Bea Manager", "role": "Business manager", "upn": BM_UPN},
    {
        "name": "Lou Authority",
        "role": "DCS delegate",
        "partner": "local_authority",
        "aad_object_id": LA_ID,
        "upn": "la@coventry.example",
    },
    {"name": "Hal Health", "role": "Designated Nurse", "partner": "health", "upn": HEALTH_UPN},
    {"name": "Pat Police", "role": "Det Supt", "partner": "police", "upn": POLICE_UPN},
    {"name": "Cas Chair", "role": "Subgroup chair", "upn": CHAIR_UPN},
]
ALL_LEAD_IDS = (BM_UPN, LA_ID, HEALTH_UPN, POLICE_UPN, CHAIR_UPN)


def _table(prefix: str, area: str, reminders: dict[str, Any] | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {
        "name": f"{area} Safeguarding Children Partnership",
        "reference_prefix": prefix,
        "areas": [area],
        "front_door": {
            "name": "MASH",
            "office_hours_number": "024 7678 8555",
            "office_hours": {"mon": "09:00-17:00"},
            "out_of_hours_number": "024 7683 2222",
        },
        "leads": _LEADS,
    }
    if reminders is not None:
        table["reminders"] = reminders
    return table


@cache
def partnerships() -> dict[str, Partnership]:
    parsed = parse_partnerships(
        {
            "partnerships": {
                "coventry": _table("COV", "Coventry"),
                "walsall": _table(
                    "WAL",
                    "Walsall",
                    {
                        "lead_times_working_days": [1, 5],
                        "escalate_overdue": False,
                        "working_hours": "08:00-16:00",
                        "digest_weekday": "wed",
                        "digest_time": "14:30",
                    },
                ),
            }
        }
    )
    return dict(parsed.partnerships)


CALENDARS = PartnershipCalendars()


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock moment as aware UTC, as the scheduler's clock would give it."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


@cache
def _referral() -> Referral:
    return Referral(
        area=Area(area="Coventry", partnership_id="coventry"),
        referrer=Referrer(
            name="Sam Referrer",
            role="DSL",
            agency="School",
            contact="sam@school.example",
            lead_agreed=True,
        ),
        children=(Child(name="Jane Doe", date_of_birth=date(2022, 3, 14)),),
        incident=Incident(
            date=date(2026, 12, 22),
            la_aware=date(2026, 12, 23),
            kind="serious_harm",
            description="Injuries",
        ),
        agencies=Agencies(involved=("school",)),
        criteria=Criteria(abuse_or_neglect="suspected", reasons="Concerns"),
        actions=Actions(safety_actions="Safety plan"),
    )


def make_case(
    reference: str = "COV-2026-001",
    *,
    aware: date = date(2026, 12, 23),
    status: CaseStatus = CaseStatus.REFERRED,
    events: dict[str, MilestoneEvents] | None = None,
    **dates: date,
) -> Case:
    filed = _referral()
    prefix = reference.split("-")[0]
    pid = {"COV": "coventry", "WAL": "walsall"}.get(prefix, prefix.lower())
    return Case(
        reference=reference,
        partnership_id=pid,
        status=status,
        referral=filed,
        screening=screen(filed),
        submitted_by=ReferrerIdentity(user_id="29:referrer"),
        submitted_at=london(aware.year, aware.month, aware.day, 10),
        dates=CaseDates(incident=aware, la_aware=aware, **dates),
        milestone_events=events or {},
    )


def plan(cases: list[Case], now: datetime, **kwargs: Any) -> list[Reminder]:
    return plan_reminders(
        cases, partnerships=partnerships(), calendars=CALENDARS, now=now, **kwargs
    )


def sin_only(reminders: list[Reminder]) -> list[Reminder]:
    return [r for r in reminders if r.milestone is MilestoneKey.SIN]


# --- the Christmas and New Year bank holidays --------------------------------------------------


def test_sin_two_working_days_before_across_christmas() -> None:
    # Aware Wed 23 Dec 2026; 25 and 28 Dec and 1 Jan are bank holidays: due Mon 4 Jan 2027.
    case = make_case()
    assert sin_only(plan([case], london(2026, 12, 30, 8, 59))) == []
    [reminder] = sin_only(plan([case], london(2026, 12, 30, 9, 0)))
    assert reminder.key == "COV-2026-001|sin|lead:2|2027-01-04"
    assert (reminder.kind, reminder.lead_days, reminder.due) == ("lead", 2, date(2027, 1, 4))
    assert reminder.send_after == datetime(2026, 12, 30, 9, 0, tzinfo=UTC)  # GMT in winter
    assert reminder.working_days_left == 2
    assert reminder.late is False
    assert reminder.mention_lead_ids == ()
    assert reminder.responsible == "the local authority"
    assert reminder.original_due is None


def test_sin_on_the_day_and_overdue_escalation_with_mentions() -> None:
    case = make_case()
    [on_the_day] = sin_only(plan([case], london(2027, 1, 4, 9, 0)))
    assert on_the_day.key == "COV-2026-001|sin|due_today|2027-01-04"
    assert (on_the_day.kind, on_the_day.lead_days, on_the_day.working_days_left) == (
        "due_today",
        None,
        0,
    )
    assert on_the_day.send_after == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert on_the_day.late is False

    [overdue] = sin_only(plan([case], london(2027, 1, 5, 9, 0)))
    assert overdue.key == "COV-2026-001|sin|overdue|2027-01-04"
    assert overdue.kind == "overdue"
    assert overdue.send_after == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert overdue.working_days_left == -1
    # The LA's lead for the LA's milestone, plus the leads who represent no partner.
    assert overdue.mention_lead_ids == (BM_UPN, LA_ID, CHAIR_UPN)


def test_the_escalation_keeps_one_key_while_overdue() -> None:
    case = make_case()
    keys = {
        r.key
        for day in (5, 6, 7, 8, 11, 29)
        for r in sin_only(plan([case], london(2027, 1, day, 11)))
    }
    assert keys == {"COV-2026-001|sin|overdue|2027-01-04"}
    [later] = sin_only(plan([case], london(2027, 1, 29, 11)))
    assert later.late is True
    assert later.working_days_left == -19


def test_a_reminder_stays_planned_with_its_key_until_a_later_one_replaces_it() -> None:
    case = make_case()
    [next_day] = sin_only(plan([case], london(2026, 12, 31, 10)))
    assert next_day.key == "COV-2026-001|sin|lead:2|2027-01-04"
    assert next_day.late is True
    assert next_day.working_days_left == 1


def test_escalations_name_the_leads_of_the_milestones_partners() -> None:
    # Rapid review steps run once the SIN is made (Tue 29 Dec): day 1 is Wed 30 Dec.
    case = make_case(status=CaseStatus.RAPID_REVIEW, sin_made=date(2026, 12, 29))
    by_milestone = {r.milestone: r for r in plan([case], london(2027, 1, 5, 10))}
    # Summaries requested names no partner: every partner's lead and the unaffiliated leads.
    assert by_milestone[MilestoneKey.RR_IAS_REQUESTS].kind == "overdue"
    assert by_milestone[MilestoneKey.RR_IAS_REQUESTS].mention_lead_ids == ALL_LEAD_IDS
    assert MilestoneKey.SIN not in by_milestone


def test_sign_off_escalation_names_all_three_partners() -> None:
    case = make_case(status=CaseStatus.RAPID_REVIEW, sin_made=date(2026, 12, 24))
    # Sign-off is day 14 from Thu 24 Dec 2026: Mon 18 Jan 2027; escalation Tue 19 Jan.
    [sign_off] = [
        r for r in plan([case], london(2027, 1, 19, 9)) if r.milestone is MilestoneKey.RR_SIGN_OFF
    ]
    assert (sign_off.kind, sign_off.due) == ("overdue", date(2027, 1, 18))
    assert sign_off.mention_lead_ids == ALL_LEAD_IDS


# --- working hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Saturday morning: Monday's start.
        (london(2026, 11, 28, 10), london(2026, 11, 30, 9)),
        # 07:00 on a working day: 09:00 that day.
        (london(2026, 11, 24, 7), london(2026, 11, 24, 9)),
        # Inside the hours: unchanged.
        (london(2026, 11, 24, 12, 30), london(2026, 11, 24, 12, 30)),
        # Closing time is outside: the next working day.
        (london(2026, 11, 27, 17), london(2026, 11, 30, 9)),
        # Christmas Eve evening 2026: Tue 29 Dec (25 and 28 Dec are bank holidays).
        (london(2026, 12, 24, 18), london(2026, 12, 29, 9)),
        # Summer: 09:00 London is 08:00 UTC.
        (datetime(2026, 7, 4, 12, tzinfo=UTC), datetime(2026, 7, 6, 8, tzinfo=UTC)),
    ],
)
def test_next_working_moment(moment: datetime, expected: datetime) -> None:
    coventry = partnerships()["coventry"]
    calendar = CALENDARS.for_partnership(coventry)
    found = next_working_moment(coventry, calendar, moment)
    assert found == expected
    assert found.tzinfo is UTC


def test_next_working_moment_uses_the_partnerships_hours_and_closures() -> None:
    walsall = partnerships()["walsall"]
    closed = walsall.model_copy(
        update={
            "clock": walsall.clock.model_copy(update={"extra_closure_days": (date(2026, 11, 24),)})
        }
    )
    calendar = PartnershipCalendars().for_partnership(closed)
    # Walsall works 08:00-16:00 and is closed on Tue 24 Nov.
    assert next_working_moment(closed, calendar, london(2026, 11, 23, 16)) == london(
        2026, 11, 25, 8
    )


def test_nothing_is_planned_outside_working_hours() -> None:
    case = make_case()
    # Overdue since Tue 5 Jan; the weekend, the evening and the early morning plan nothing.
    for moment in (london(2027, 1, 9, 11), london(2027, 1, 5, 17), london(2027, 1, 6, 7)):
        assert plan([case], moment) == []
    assert sin_only(plan([case], london(2027, 1, 6, 9)))


def test_a_weekend_due_date_is_met_on_the_friday_and_escalated_on_the_monday() -> None:
    # In BST: a SIN slipped to Saturday 4 July 2026.
    slip = Slip(to=date(2026, 7, 4), reason="Agreed with the Panel", recorded_on=date(2026, 6, 29))
    case = make_case(aware=date(2026, 6, 24), events={"sin": MilestoneEvents(slips=(slip,))})
    [friday] = sin_only(plan([case], london(2026, 7, 3, 9)))
    assert friday.kind == "due_today"
    assert friday.working_days_left == 0
    assert friday.send_after == datetime(2026, 7, 3, 8, tzinfo=UTC)  # 09:00 BST
    [wednesday] = sin_only(plan([case], london(2026, 7, 1, 9)))
    assert (wednesday.kind, wednesday.lead_days) == ("lead", 2)
    assert plan([case], london(2026, 7, 4, 10)) == []  # Saturday: held
    [monday] = sin_only(plan([case], london(2026, 7, 6, 9)))
    assert monday.kind == "overdue"
    assert monday.send_after == datetime(2026, 7, 6, 8, tzinfo=UTC)
    assert monday.late is False


# --- idempotency -------------------------------------------------------------------------------


def _mixed_cases() -> list[Case]:
    return [
        make_case("COV-2026-001"),
        make_case("COV-2026-002", aware=date(2026, 12, 21)),
        make_case(
            "COV-2026-003",
            aware=date(2026, 12, 14),
            status=CaseStatus.RAPID_REVIEW,
            sin_made=date(2026, 12, 18),
        ),
        make_case("WAL-2026-001", aware=date(2026, 12, 22)),
    ]


def test_the_same_inputs_give_the_same_keys_in_the_same_order() -> None:
    now = london(2027, 1, 5, 10)  # Tuesday
    first = plan(_mixed_cases(), now)
    # 003: partners told (due Mon 21 Dec) and summaries requested (day 1 from the SIN on Fri
    # 18 Dec) are overdue; summaries in (day 10, Wed 6 Jan) had "2 days before" on Mon 4 Jan.
    # 002's SIN and partners told fell due Wed 30 Dec, 001's Mon 4 Jan; Walsall's SIN (Thu
    # 31 Dec) is not escalated. Sorted by when each is sent, then by due date.
    assert [r.key for r in first] == [
        "COV-2026-003|notify_partners|overdue|2026-12-21",
        "COV-2026-003|rr_ias_requests|overdue|2026-12-21",
        "COV-2026-002|sin|overdue|2026-12-30",
        "COV-2026-002|notify_partners|overdue|2026-12-30",
        "COV-2026-003|rr_ias_returns|lead:2|2027-01-06",
        "COV-2026-001|sin|overdue|2027-01-04",
        "COV-2026-001|notify_partners|overdue|2027-01-04",
    ]
    assert len({r.key for r in first}) == len(first)
    shuffled = _mixed_cases()
    random.Random(7).shuffle(shuffled)
    reordered = dict(reversed(list(partnerships().items())))
    other = plan_reminders(
        shuffled, partnerships=reordered, calendars=PartnershipCalendars(), now=now
    )
    assert other == first


def test_reminder_key_format() -> None:
    due = date(2026, 11, 25)
    assert reminder_key("COV-2026-001", MilestoneKey.SIN, "lead", 2, due) == (
        "COV-2026-001|sin|lead:2|2026-11-25"
    )
    assert reminder_key("COV-2026-001", MilestoneKey.RAPID_REVIEW, "overdue", None, due) == (
        "COV-2026-001|rapid_review|overdue|2026-11-25"
    )


def test_results_are_in_due_order() -> None:
    reminders = plan(_mixed_cases(), london(2027, 1, 5, 10))
    order = [(r.send_after, r.due, r.reference) for r in reminders]
    assert order == sorted(order)


# --- catching up after downtime ------------------------------------------------------------


def test_on_the_due_day_only_the_on_the_day_reminder_is_left() -> None:
    # Down since before Wed 30 Dec: "2 days before" was missed; on Mon 4 Jan only "due today".
    [reminder] = sin_only(plan([make_case()], london(2027, 1, 4, 14)))
    assert reminder.kind == "due_today"
    assert reminder.late is False


def test_catching_up_after_downtime_plans_the_latest_per_milestone_marked_late() -> None:
    # Back on Thu 7 Jan 2027 at 11:00 after a week down.
    now = london(2027, 1, 7, 11)
    overdue = make_case("COV-2026-001")  # SIN due Mon 4 Jan
    # Aware Thu 31 Dec: SIN due Fri 8 Jan; "2 days before" was Wed 6 Jan.
    soon = make_case("COV-2026-002", aware=date(2026, 12, 31))
    reminders = sin_only(plan([soon, overdue], now))
    assert [(r.reference, r.kind, r.late) for r in reminders] == [
        ("COV-2026-001", "overdue", True),
        ("COV-2026-002", "lead", True),
    ]
    assert [r.send_after for r in reminders] == [london(2027, 1, 5, 9), london(2027, 1, 6, 9)]


def _filed_late(submitted_at: datetime) -> Case:
    # LA aware Fri 20 Nov 2026: the SIN was due Fri 27 Nov, before the case was filed.
    case = make_case(aware=date(2026, 11, 20))
    return case.model_copy(update={"submitted_at": submitted_at})


def test_a_deadline_already_past_at_filing_is_not_a_bot_outage() -> None:
    case = _filed_late(london(2026, 12, 1, 10))  # Tue 1 Dec, 10:00
    [reminder] = sin_only(plan([case], london(2026, 12, 1, 10, 5)))
    assert (reminder.kind, reminder.due) == ("overdue", date(2026, 11, 27))
    # Its day (Mon 30 Nov) came before the case existed: nothing was missed.
    assert reminder.late is False
    assert reminder.filed_after_due is True
    assert reminder.working_days_left == -2
    # The first digest shows it overdue too.
    [entry] = _digest([case], london(2026, 12, 1, 10, 5))["coventry"].entries
    assert (entry.milestone, entry.overdue, entry.working_days_left) == (MilestoneKey.SIN, True, -2)


def test_a_case_filed_out_of_hours_is_reminded_on_time_next_working_morning() -> None:
    case = _filed_late(london(2026, 11, 28, 15))  # Saturday
    [reminder] = sin_only(plan([case], london(2026, 11, 30, 9)))
    assert (reminder.kind, reminder.late, reminder.filed_after_due) == ("overdue", False, True)


def test_downtime_after_filing_is_still_late() -> None:
    # Filed Mon 30 Nov at 10:00; the bot was down until Wed 2 Dec: Monday's slot was missed.
    case = _filed_late(london(2026, 11, 30, 10))
    [reminder] = sin_only(plan([case], london(2026, 12, 2, 10)))
    assert (reminder.kind, reminder.late, reminder.filed_after_due) == ("overdue", True, True)


def test_downtime_while_the_case_was_open_is_late_and_not_filed_after_due() -> None:
    # Filed Wed 23 Dec 2026, SIN due Mon 4 Jan: its escalation was due Tue 5 Jan, posted Thu 7 Jan.
    [reminder] = sin_only(plan([make_case()], london(2027, 1, 7, 10)))
    assert (reminder.kind, reminder.late, reminder.filed_after_due) == ("overdue", True, False)


def test_stale_lead_reminders_are_dropped_after_the_lookback() -> None:
    # A 20-working-day heads-up for a CSPR final report due Mon 7 June 2027.
    long_heads_up = partnerships()["coventry"].model_copy(
        update={"reminders": ReminderPolicy(lead_times_working_days=(20,))}
    )
    case = make_case(
        status=CaseStatus.LOCAL_REVIEW,
        aware=date(2026, 11, 2),
        sin_made=date(2026, 11, 3),
        rapid_review_sent=date(2026, 11, 20),
        decision_to_review=date(2026, 12, 7),
    )
    both = {"coventry": long_heads_up}
    now = london(2027, 5, 26, 10)  # 7 working days before 7 June (31 May is a bank holiday)

    def final_report(reminders: list[Reminder]) -> list[Reminder]:
        return [r for r in reminders if r.milestone is MilestoneKey.CSPR_FINAL_REPORT]

    kept = final_report(
        plan_reminders([case], partnerships=both, calendars=CALENDARS, now=now, lookback_days=15)
    )
    assert [(r.kind, r.lead_days, r.due, r.late) for r in kept] == [
        ("lead", 20, date(2027, 6, 7), True)
    ]
    dropped = plan_reminders([case], partnerships=both, calendars=CALENDARS, now=now)
    assert final_report(dropped) == []


# --- slips and completion ------------------------------------------------------------------


def test_a_slipped_milestone_gets_reminders_for_its_new_due_date() -> None:
    slip = Slip(to=date(2027, 1, 11), reason="Awaiting police", recorded_on=date(2027, 1, 4))
    case = make_case(events={"sin": MilestoneEvents(slips=(slip,))})
    assert sin_only(plan([case], london(2027, 1, 5, 10))) == []  # no escalation for 4 Jan
    [reminder] = sin_only(plan([case], london(2027, 1, 7, 9)))
    assert reminder.key == "COV-2026-001|sin|lead:2|2027-01-11"
    assert reminder.original_due == date(2027, 1, 4)
    [overdue] = sin_only(plan([case], london(2027, 1, 12, 9)))
    assert overdue.key == "COV-2026-001|sin|overdue|2027-01-11"


def test_done_and_settled_milestones_and_finished_cases_plan_nothing() -> None:
    now = london(2027, 1, 5, 10)
    made = make_case(status=CaseStatus.RAPID_REVIEW, sin_made=date(2027, 1, 4))
    assert sin_only(plan([made], now)) == []
    for status in (
        CaseStatus.PUBLISHED,
        CaseStatus.CLOSED,
        CaseStatus.NO_SERIOUS_INCIDENT,
        CaseStatus.NO_FURTHER_REVIEW,
    ):
        assert plan([make_case(status=status)], now) == [], status


def test_a_completed_rapid_review_step_is_not_reminded() -> None:
    requested = {"rr_ias_requests": MilestoneEvents(completion=Completion(on=date(2026, 12, 30)))}
    case = make_case(status=CaseStatus.RAPID_REVIEW, sin_made=date(2026, 12, 29), events=requested)
    milestones = {r.milestone for r in plan([case], london(2027, 1, 5, 10))}
    assert MilestoneKey.RR_IAS_REQUESTS not in milestones


def test_rapid_review_steps_wait_for_the_sin() -> None:
    # Before the SIN, rapid-review dates are projected from the SIN's due date: not reminded.
    milestones = {r.milestone for r in plan([make_case()], london(2027, 1, 20, 10))}
    assert milestones == {MilestoneKey.SIN, MilestoneKey.NOTIFY_PARTNERS}


def test_cases_of_unknown_partnerships_are_skipped() -> None:
    assert plan([make_case("HUL-2026-001")], london(2027, 1, 5, 10)) == []


def test_a_naive_now_or_negative_lookback_is_refused() -> None:
    with pytest.raises(PlanInputError):
        plan([make_case()], datetime(2027, 1, 5, 10))
    with pytest.raises(PlanInputError):
        plan([make_case()], london(2027, 1, 5, 10), lookback_days=-1)


# --- per-partnership policy ------------------------------------------------------------------


def test_walsall_policy_lead_times_no_escalation_and_its_own_hours() -> None:
    # Walsall: lead times (5, 1), no escalation, 08:00-16:00. Aware Wed 23 Dec: SIN due 4 Jan.
    case = make_case("WAL-2026-001")
    assert sin_only(plan([case], london(2026, 12, 23, 7, 59))) == []
    # The day the LA became aware is 5 working days before the SIN is due.
    [five] = sin_only(plan([case], london(2026, 12, 23, 8)))
    assert (five.key, five.send_after) == (
        "WAL-2026-001|sin|lead:5|2027-01-04",
        datetime(2026, 12, 23, 8, tzinfo=UTC),
    )
    [one] = sin_only(plan([case], london(2026, 12, 31, 8)))
    assert (one.kind, one.lead_days) == ("lead", 1)
    # No "on the day" reminder, and no escalation.
    assert sin_only(plan([case], london(2027, 1, 4, 10))) == [
        one.model_copy(update={"working_days_left": 0, "late": True})
    ]
    assert plan([case], london(2027, 1, 5, 10)) == []
    # 16:00 is after Walsall's hours while Coventry's still run.
    assert plan([case], london(2026, 12, 31, 16)) == []


def test_a_partnership_can_choose_its_milestones() -> None:
    coventry = partnerships()["coventry"]
    notify_only = coventry.model_copy(
        update={"reminders": ReminderPolicy(milestones=("notify_partners",))}
    )
    reminders = plan_reminders(
        [make_case()],
        partnerships={"coventry": notify_only},
        calendars=CALENDARS,
        now=london(2027, 1, 5, 10),
    )
    assert [r.milestone for r in reminders] == [MilestoneKey.NOTIFY_PARTNERS]


def test_default_milestones_leave_out_the_panel_and_the_public_period() -> None:
    chosen = reminded_milestones(ReminderPolicy())
    assert chosen == DEFAULT_REMINDER_MILESTONES
    assert MilestoneKey.PANEL_REPLY not in chosen
    assert MilestoneKey.REPORT_AVAILABLE_UNTIL not in chosen


def test_the_policy_milestone_names_are_the_timelines() -> None:
    names = set(get_args(ReminderMilestone))
    assert names == {key.value for key in MilestoneKey} - {"report_available_until"}


@pytest.mark.parametrize(
    ("reminders", "field"),
    [
        ({"lead_times_working_days": [2, 2]}, "lead_times_working_days"),
        ({"lead_times_working_days": [-1]}, "lead_times_working_days"),
        ({"working_hours": "17:00-09:00"}, "working_hours"),
        ({"working_hours": "9-5"}, "working_hours"),
        ({"digest_time": "08:00"}, "reminders"),
        ({"digest_weekday": "sun"}, "digest_weekday"),
        ({"milestones": ["report_available_until"]}, "milestones"),
        ({"reminder_hours": "09:00-17:00"}, "reminder_hours"),
    ],
)
def test_bad_reminder_settings_are_named_in_the_partnerships_file(
    reminders: dict[str, Any], field: str
) -> None:
    with pytest.raises(PartnershipsFileError) as info:
        parse_partnerships({"partnerships": {"coventry": _table("COV", "Coventry", reminders)}})
    assert any(
        problem.startswith("coventry: reminders") and field in problem
        for problem in info.value.problems
    ), info.value.problems


def test_lead_times_are_kept_furthest_first() -> None:
    policy = ReminderPolicy(lead_times_working_days=(1, 5, 0))
    assert policy.lead_times_working_days == (5, 1, 0)
    assert policy.hours().opens == time(9, 0)


# --- the weekly digest -------------------------------------------------------------------------


def _digest(cases: list[Case], now: datetime) -> dict[str, Digest]:
    digests = plan_digest(cases, partnerships=partnerships(), calendars=CALENDARS, now=now)
    assert [d.partnership_id for d in digests] == sorted(partnerships())
    return {d.partnership_id: d for d in digests}


def test_digest_lists_open_cases_overdue_first_then_by_days_left() -> None:
    now = london(2027, 1, 11, 9)  # Monday
    cases = [
        make_case("COV-2026-004", aware=date(2027, 1, 6)),  # SIN due Wed 13 Jan: 2 left
        make_case("COV-2026-001"),  # SIN due 4 Jan: overdue by 5
        make_case("COV-2026-002", aware=date(2026, 12, 31)),  # SIN due Fri 8 Jan: overdue by 1
        make_case(
            "COV-2026-005",
            aware=date(2026, 12, 21),
            status=CaseStatus.RAPID_REVIEW,
            sin_made=date(2026, 12, 23),
            events={
                "rr_ias_requests": MilestoneEvents(completion=Completion(on=date(2026, 12, 24))),
                # No lead decision records this yet; without it the digest would show it.
                "notify_partners": MilestoneEvents(completion=Completion(on=date(2026, 12, 23))),
            },
        ),  # summaries in: day 10 from Wed 23 Dec is Mon 11 Jan 2027
        make_case("COV-2026-003", status=CaseStatus.LEARNING_REVIEW),  # nothing pending
        make_case("COV-2026-006", status=CaseStatus.CLOSED),
        make_case("WAL-2026-001"),
    ]
    digest = _digest(cases, now)["coventry"]
    assert (digest.planned_on, digest.iso_year, digest.iso_week) == (date(2027, 1, 11), 2027, 2)
    assert digest.week_of == date(2027, 1, 11)  # a Monday: the week it covers starts then
    rows = [(e.reference, e.milestone, e.working_days_left, e.overdue) for e in digest.entries]
    assert rows == [
        ("COV-2026-001", MilestoneKey.SIN, -5, True),
        ("COV-2026-002", MilestoneKey.SIN, -1, True),
        ("COV-2026-005", MilestoneKey.RR_IAS_RETURNS, 0, False),
        ("COV-2026-004", MilestoneKey.SIN, 2, False),
        ("COV-2026-003", None, None, False),
    ]
    # The SIN and telling the partners fall due together; the SIN is shown first.
    assert digest.entries[0].due == date(2027, 1, 4)
    assert [e.reference for e in _digest(cases, now)["walsall"].entries] == ["WAL-2026-001"]


def test_digest_with_no_open_cases_is_empty() -> None:
    digests = _digest([], london(2027, 1, 11, 9))
    assert all(d.entries == () for d in digests.values())


def test_digest_due_once_per_week_from_the_digest_moment() -> None:
    coventry = partnerships()["coventry"]  # Monday 09:00
    assert not digest_due(coventry, london(2026, 11, 23, 8, 59), None)
    assert digest_due(coventry, london(2026, 11, 23, 9), None)
    assert digest_due(coventry, london(2026, 11, 25, 15), date(2026, 11, 16))
    assert not digest_due(coventry, london(2026, 11, 25, 15), date(2026, 11, 23))
    # Sunday is still the same ISO week.
    assert not digest_due(coventry, london(2026, 11, 29, 15), date(2026, 11, 23))
    assert digest_due(coventry, london(2026, 11, 30, 9), date(2026, 11, 23))


def test_digest_due_on_the_partnerships_day_and_time() -> None:
    walsall = partnerships()["walsall"]  # Wednesday 14:30
    assert not digest_due(walsall, london(2026, 11, 23, 15), None)
    assert not digest_due(walsall, london(2026, 11, 25, 14, 29), None)
    assert digest_due(walsall, london(2026, 11, 25, 14, 30), date(2026, 11, 18))
    # Across the clocks going back (25 Oct 2026): 14:30 London is 14:30 UTC in GMT.
    assert digest_due(walsall, datetime(2026, 10, 28, 14, 30, tzinfo=UTC), None)
    assert not digest_due(walsall, datetime(2026, 10, 28, 14, 29, tzinfo=UTC), None)


def test_a_bank_holiday_digest_waits_for_the_next_working_morning() -> None:
    coventry = partnerships()["coventry"]
    calendar = CALENDARS.for_partnership(coventry)
    easter_monday = london(2027, 3, 29, 10)
    assert digest_due(coventry, easter_monday, None)
    assert not digest_due(coventry, easter_monday, None, calendar=calendar)
    assert digest_due(coventry, london(2027, 3, 30, 9), date(2027, 3, 22), calendar=calendar)
    assert not digest_due(coventry, london(2027, 3, 30, 18), None, calendar=calendar)


def test_days_left_and_overdue_agree_with_the_timeline_on_every_day() -> None:
    # The planner reuses due dates between days; what it counts from them must match the timeline.
    case = make_case(status=CaseStatus.RAPID_REVIEW, sin_made=date(2026, 12, 29))
    coventry = partnerships()["coventry"]
    calendar = CALENDARS.for_partnership(coventry)
    for offset in range(40):
        day = date.fromordinal(date(2026, 12, 21).toordinal() + offset)
        [entry] = _digest([case], london(day.year, day.month, day.day, 12))["coventry"].entries
        assert entry.milestone is not None
        timeline = compute_timeline(
            case.dates, coventry.clock, calendar, day, events=case.milestone_events
        )
        expected = timeline.get(entry.milestone)
        assert entry.due == expected.due
        assert entry.working_days_left == expected.working_days_left, day
        assert entry.overdue == (expected.status is MilestoneStatus.OVERDUE), day


def test_a_digest_planned_midweek_covers_the_week_from_its_monday() -> None:
    # Wednesday 2 December 2026, after downtime: the week is still the one from Monday 30 Nov.
    digest = _digest([make_case("COV-2026-001")], london(2026, 12, 2, 10))["coventry"]
    assert digest.planned_on == date(2026, 12, 2)
    assert digest.week_of == date(2026, 11, 30)
