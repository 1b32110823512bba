"""The statutory clock of a case: due dates, anchors, statuses, slips and completion."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from pydantic import ValidationError

from cards.wording import timeline_problem
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.partnerships import ClockOptions, Partner, RapidReviewSteps
from safeguarding.timeline import (
    CaseDates,
    Completion,
    MilestoneEvents,
    MilestoneKey,
    MilestoneStatus,
    Slip,
    Timeline,
    TimelineInputError,
    compute_timeline,
)

ENGLAND = WorkingDayCalendar.for_england()
DEFAULTS = ClockOptions()
AWARE = date(2026, 12, 23)  # Wednesday before Christmas 2026
# 5 working days from Wed 23 Dec 2026: 24, 29, 30, 31 Dec, 4 Jan (25 and 28 Dec, 1 Jan: holidays).
SIN_DUE = date(2027, 1, 4)
# 15 working days from Mon 4 Jan 2027: 5, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 25.
RR_DUE_FROM_SIN_DUE = date(2027, 1, 25)


def timeline(
    dates: CaseDates,
    today: date,
    options: ClockOptions = DEFAULTS,
    calendar: WorkingDayCalendar = ENGLAND,
    **kwargs: object,
) -> Timeline:
    return compute_timeline(dates, options, calendar, today, **kwargs)  # type: ignore[arg-type]


def test_every_required_milestone_is_present_in_order() -> None:
    t = timeline(CaseDates(la_aware=AWARE), AWARE)
    assert [m.key.value for m in t.milestones] == [
        "sin",
        "notify_partners",
        "rr_ias_requests",
        "rr_ias_returns",
        "rr_draft",
        "rr_sign_off",
        "rapid_review",
        "panel_reply",
        "report_copy_to_panel",
        "cspr_final_report",
        "report_available_until",
    ]
    with pytest.raises(KeyError):
        t.get("nope")


def test_early_milestones_from_awareness_only() -> None:
    t = timeline(CaseDates(la_aware=AWARE), AWARE)
    sin = t.get(MilestoneKey.SIN)
    assert sin.due == SIN_DUE
    assert sin.original_due == SIN_DUE
    assert sin.basis == "5 working days from the LA becoming aware (2026-12-23)"
    assert sin.basis_date == AWARE
    assert sin.basis_projected is False
    assert sin.partners == (Partner.LOCAL_AUTHORITY,)
    assert sin.statutory is True
    assert sin.alternative_due is None
    assert t.get("notify_partners").due == SIN_DUE

    rr = t.get("rapid_review")
    assert rr.due == RR_DUE_FROM_SIN_DUE
    assert rr.basis_projected is True
    assert rr.basis_date == SIN_DUE
    assert "SIN not made yet" in rr.basis
    assert rr.partners == (Partner.LOCAL_AUTHORITY, Partner.HEALTH, Partner.POLICE)

    # Internal steps from the same anchor (Mon 4 Jan 2027): days 1, 10, 12, 14.
    assert t.get("rr_ias_requests").due == date(2027, 1, 5)
    assert t.get("rr_ias_returns").due == date(2027, 1, 18)
    assert t.get("rr_draft").due == date(2027, 1, 20)
    assert t.get("rr_sign_off").due == date(2027, 1, 22)
    assert t.get("rr_sign_off").basis_projected is True

    panel = t.get("panel_reply")
    assert panel.statutory is False
    # About 10 working days from 25 Jan 2027: 26..29, 1..5 Feb, 8 Feb.
    assert panel.due == date(2027, 2, 8)
    assert panel.basis_projected is True
    assert panel.partners == ()

    for key in ("cspr_final_report", "report_copy_to_panel", "report_available_until"):
        assert t.get(key).status is MilestoneStatus.NOT_APPLICABLE
        assert t.get(key).due is None


def test_sin_made_sets_the_rapid_review_anchor_and_completes_the_sin() -> None:
    dates = CaseDates(la_aware=AWARE, sin_made=date(2026, 12, 30))
    t = timeline(dates, date(2027, 1, 6))
    sin = t.get("sin")
    assert sin.status is MilestoneStatus.DONE
    assert sin.completed_on == date(2026, 12, 30)
    assert sin.on_time is True
    assert sin.met_original is True
    assert sin.working_days_left is None
    rr = t.get("rapid_review")
    # From Wed 30 Dec 2026: 31 Dec=1, 4 Jan=2, ... 20 Jan=14, 21 Jan=15.
    assert rr.due == date(2027, 1, 21)
    assert rr.basis == "15 working days from the SIN (2026-12-30)"
    assert rr.basis_projected is False
    assert rr.alternative_due is None


def test_late_sin() -> None:
    t = timeline(CaseDates(la_aware=AWARE, sin_made=date(2027, 1, 5)), date(2027, 1, 6))
    assert t.get("sin").on_time is False
    assert t.get("sin").met_original is False


def test_sin_counted_from_incident_shows_both_dates() -> None:
    options = ClockOptions(sin_counts_from="incident")
    # Incident Fri 18 Dec 2026: 21=1, 22=2, 23=3, 24=4, (25, 28 holidays) 29=5.
    dates = CaseDates(incident=date(2026, 12, 18), la_aware=AWARE)
    sin = timeline(dates, AWARE, options).get("sin")
    assert sin.due == date(2026, 12, 29)
    assert sin.basis == "5 working days from the incident (2026-12-18)"
    assert sin.alternative_due == SIN_DUE
    assert sin.alternative_basis == (
        "national rule: 5 working days from the LA becoming aware (2026-12-23)"
    )


def test_no_alternative_when_both_anchors_give_the_same_date() -> None:
    options = ClockOptions(sin_counts_from="incident")
    sin = timeline(CaseDates(incident=AWARE, la_aware=AWARE), AWARE, options).get("sin")
    assert sin.due == SIN_DUE
    assert sin.alternative_due is None
    assert sin.alternative_basis is None


def test_sin_from_incident_falls_back_to_awareness_when_incident_unknown() -> None:
    options = ClockOptions(sin_counts_from="incident")
    sin = timeline(CaseDates(la_aware=AWARE), AWARE, options).get("sin")
    assert sin.due == SIN_DUE
    assert "(the incident date is not known)" in sin.basis


def test_rapid_review_counted_from_awareness_shows_both_dates() -> None:
    options = ClockOptions(rapid_review_counts_from="aware")
    dates = CaseDates(la_aware=AWARE, sin_made=date(2026, 12, 30))
    t = timeline(dates, AWARE, options)
    rr = t.get("rapid_review")
    # From Wed 23 Dec 2026: 24, 29, 30, 31 Dec, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 18 Jan = 15.
    assert rr.due == date(2027, 1, 18)
    assert rr.basis_projected is False
    assert rr.alternative_due == date(2027, 1, 21)  # from the SIN on 30 Dec
    assert rr.alternative_basis == "national default: 15 working days from the SIN (2026-12-30)"
    # The internal steps follow the partnership's anchor: day 10 from 23 Dec is 11 Jan.
    assert t.get("rr_ias_returns").due == date(2027, 1, 11)


def test_configured_rapid_review_steps() -> None:
    options = ClockOptions(
        rapid_review_steps=RapidReviewSteps(ias_requests=0, ias_returns=8, draft=11, sign_off=13)
    )
    t = timeline(CaseDates(la_aware=AWARE, sin_made=SIN_DUE), AWARE, options)
    assert t.get("rr_ias_requests").due == SIN_DUE  # day 0 is the start itself
    assert t.get("rr_ias_returns").due == date(2027, 1, 14)
    assert t.get("rr_draft").due == date(2027, 1, 19)
    assert t.get("rr_sign_off").due == date(2027, 1, 21)
    assert t.get("rr_sign_off").basis.startswith("day 13 of the rapid review")


# Hull's office closed Tue 29 to Thu 31 Dec 2026 (between the bank holidays).
HULL_CHRISTMAS = [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]


def test_closure_days_never_move_the_statutory_dates() -> None:
    calendar = WorkingDayCalendar.for_england(closure_days=HULL_CHRISTMAS)
    t = timeline(CaseDates(la_aware=AWARE), AWARE, calendar=calendar)
    # Counted on the partnership's own days the SIN would be Thu 7 Jan; the statute says Mon 4.
    assert t.get("sin").due == SIN_DUE
    assert t.get("notify_partners").due == SIN_DUE
    assert t.get("rapid_review").due == RR_DUE_FROM_SIN_DUE
    assert t.get("panel_reply").due == ENGLAND.add_working_days(RR_DUE_FROM_SIN_DUE, 10)
    for key in ("sin", "notify_partners", "rapid_review", "panel_reply"):
        assert t.get(key).counted_in == "national"
    # Days left are the partnership's: on Wed 23 Dec only Thu 24 Dec and Mon 4 Jan remain.
    assert (t.get("sin").working_days_left, t.get("sin").status) == (2, MilestoneStatus.DUE_SOON)


def test_closure_days_never_move_the_report_copy_to_the_panel() -> None:
    # Publication planned Fri 8 Jan 2027: 7 working days before is Tue 29 Dec 2026 (7, 6, 5, 4
    # Jan, 31, 30, 29 Dec). Counting Hull's closed days would pull it back to Thu 24 Dec.
    calendar = WorkingDayCalendar.for_england(closure_days=HULL_CHRISTMAS)
    dates = CaseDates(
        la_aware=date(2026, 7, 1),
        decision_to_review=date(2026, 7, 20),
        planned_publication=date(2027, 1, 8),
    )
    copy = timeline(dates, date(2026, 12, 1), calendar=calendar).get("report_copy_to_panel")
    assert copy.due == ENGLAND.subtract_working_days(date(2027, 1, 8), 7)
    assert copy.due == date(2026, 12, 29)
    assert copy.counted_in == "national"


def test_closure_days_move_the_rapid_reviews_internal_steps() -> None:
    # Closed Wed 6 to Fri 8 Jan 2027, inside a rapid review counted from the SIN on Mon 4 Jan.
    closed = [date(2027, 1, 6), date(2027, 1, 7), date(2027, 1, 8)]
    calendar = WorkingDayCalendar.for_england(closure_days=closed)
    dates = CaseDates(la_aware=AWARE, sin_made=SIN_DUE)
    t = timeline(dates, date(2027, 1, 5), calendar=calendar)
    national = timeline(dates, date(2027, 1, 5))
    assert national.get("rr_ias_returns").due == date(2027, 1, 18)
    # Day 10 of the partnership's days: three closed days later.
    returns = t.get("rr_ias_returns")
    assert returns.due == date(2027, 1, 21)
    assert returns.counted_in == "partnership"
    assert "moved from 2027-01-18 by the partnership's closure days" in returns.basis
    assert t.get("rr_draft").due == date(2027, 1, 25)
    # Day 14 would be Wed 27 Jan, after the rapid review itself: held at its due date.
    assert t.get("rr_sign_off").due == RR_DUE_FROM_SIN_DUE
    assert "held at the rapid review's due date" in t.get("rr_sign_off").basis
    # The statutory rapid review does not move.
    assert t.get("rapid_review").due == RR_DUE_FROM_SIN_DUE
    # A step whose days hold no closure is where it always was.
    assert t.get("rr_ias_requests").due == national.get("rr_ias_requests").due
    assert "closure" not in t.get("rr_ias_requests").basis


@pytest.mark.parametrize(
    ("today", "status", "left"),
    [
        (date(2026, 12, 23), MilestoneStatus.NOT_DUE_YET, 5),
        (date(2026, 12, 29), MilestoneStatus.NOT_DUE_YET, 3),
        (date(2026, 12, 30), MilestoneStatus.DUE_SOON, 2),
        (date(2026, 12, 31), MilestoneStatus.DUE_SOON, 1),
        (date(2027, 1, 2), MilestoneStatus.DUE_SOON, 1),  # Saturday
        (date(2027, 1, 4), MilestoneStatus.DUE_TODAY, 0),
        (date(2027, 1, 5), MilestoneStatus.OVERDUE, -1),
        (date(2027, 1, 11), MilestoneStatus.OVERDUE, -5),
    ],
)
def test_status_around_today(today: date, status: MilestoneStatus, left: int) -> None:
    sin = timeline(CaseDates(la_aware=AWARE), today).get("sin")
    assert sin.status is status
    assert sin.working_days_left == left


def test_due_soon_window_is_a_parameter() -> None:
    today = date(2026, 12, 30)
    assert timeline(CaseDates(la_aware=AWARE), today, due_soon_days=1).get("sin").status is (
        MilestoneStatus.NOT_DUE_YET
    )
    assert timeline(CaseDates(la_aware=AWARE), today, due_soon_days=3).get("sin").status is (
        MilestoneStatus.DUE_SOON
    )
    with pytest.raises(TimelineInputError):
        timeline(CaseDates(la_aware=AWARE), today, due_soon_days=-1)


def test_overdue_over_a_weekend_is_still_negative() -> None:
    # Aware Fri 8 Jan 2027: SIN due Fri 15 Jan; overdue on Sat 16 though no working day has passed.
    aware = date(2027, 1, 8)
    assert timeline(CaseDates(la_aware=aware), aware).get("sin").due == date(2027, 1, 15)
    for today, left in ((date(2027, 1, 16), -1), (date(2027, 1, 18), -1), (date(2027, 1, 19), -2)):
        sin = timeline(CaseDates(la_aware=aware), today).get("sin")
        assert sin.status is MilestoneStatus.OVERDUE
        assert sin.working_days_left == left


def test_slippage_keeps_the_original_and_the_history() -> None:
    events = {
        "sin": MilestoneEvents(
            slips=(
                # Given out of order on purpose: history is kept in the order recorded.
                Slip(
                    to=date(2027, 1, 15),
                    reason="Police asked to wait",
                    recorded_on=date(2027, 1, 7),
                ),
                Slip(to=date(2027, 1, 8), reason="Family liaison", recorded_on=date(2027, 1, 2)),
            )
        )
    }
    t = timeline(CaseDates(la_aware=AWARE), date(2027, 1, 11), events=events)
    sin = t.get("sin")
    assert sin.due == date(2027, 1, 15)
    assert sin.original_due == SIN_DUE
    assert [(s.from_due, s.to_due, s.reason, s.recorded_on) for s in sin.slips] == [
        (SIN_DUE, date(2027, 1, 8), "Family liaison", date(2027, 1, 2)),
        (date(2027, 1, 8), date(2027, 1, 15), "Police asked to wait", date(2027, 1, 7)),
    ]
    # Mon 11 Jan to Fri 15 Jan: 4 working days left against the new date.
    assert sin.status is MilestoneStatus.NOT_DUE_YET
    assert sin.working_days_left == 4
    # The rapid review is projected from the SIN's current due date.
    assert t.get("rapid_review").basis_date == date(2027, 1, 15)

    done = timeline(
        CaseDates(la_aware=AWARE, sin_made=date(2027, 1, 12)), date(2027, 1, 12), events=events
    ).get("sin")
    assert done.status is MilestoneStatus.DONE
    assert done.on_time is True
    assert done.met_original is False
    assert done.original_due == SIN_DUE


def test_slip_needs_a_reason() -> None:
    with pytest.raises(ValidationError):
        Slip(to=date(2027, 1, 8), reason="   ", recorded_on=date(2027, 1, 2))


@pytest.mark.parametrize(
    ("completed", "on_time"),
    [(date(2027, 1, 4), True), (date(2026, 12, 24), True), (date(2027, 1, 5), False)],
)
def test_completion_on_time_or_late(completed: date, on_time: bool) -> None:
    events = {"notify_partners": MilestoneEvents(completion=Completion(on=completed))}
    m = timeline(CaseDates(la_aware=AWARE), date(2027, 1, 20), events=events).get("notify_partners")
    assert m.status is MilestoneStatus.DONE
    assert m.completed_on == completed
    assert m.on_time is on_time
    assert m.met_original is on_time


def test_completion_against_a_slipped_date() -> None:
    events = {
        "notify_partners": MilestoneEvents(
            slips=(Slip(to=date(2027, 1, 6), reason="Staff off", recorded_on=date(2027, 1, 4)),),
            completion=Completion(on=date(2027, 1, 6)),
        )
    }
    m = timeline(CaseDates(la_aware=AWARE), date(2027, 1, 20), events=events).get("notify_partners")
    assert (m.on_time, m.met_original, m.due, m.original_due) == (
        True,
        False,
        date(2027, 1, 6),
        SIN_DUE,
    )


def test_rapid_review_sent_supersedes_internal_steps() -> None:
    dates = CaseDates(la_aware=AWARE, sin_made=SIN_DUE, rapid_review_sent=date(2027, 1, 20))
    t = timeline(dates, date(2027, 2, 1))
    rr = t.get("rapid_review")
    assert rr.status is MilestoneStatus.DONE
    assert rr.on_time is True
    assert t.get("rr_sign_off").status is MilestoneStatus.DONE
    assert t.get("rr_sign_off").note == "the rapid review was sent on 2027-01-20"
    panel = t.get("panel_reply")
    # From Wed 20 Jan 2027: 21, 22, 25, 26, 27, 28, 29 Jan, 1, 2, 3 Feb.
    assert panel.due == date(2027, 2, 3)
    assert panel.basis == "about 10 working days from the rapid review's submission (2027-01-20)"
    assert panel.basis_projected is False
    assert panel.status is MilestoneStatus.DUE_SOON


def test_cspr_milestones() -> None:
    dates = CaseDates(
        la_aware=date(2026, 8, 3),
        sin_made=date(2026, 8, 5),
        rapid_review_sent=date(2026, 8, 20),
        decision_to_review=date(2026, 8, 31),
        planned_publication=date(2027, 2, 25),
    )
    t = timeline(dates, date(2027, 2, 10))
    report = t.get("cspr_final_report")
    # 31 Aug 2026 + 6 calendar months: 31 Feb does not exist, so 28 Feb 2027.
    assert report.due == date(2027, 2, 28)
    assert report.basis == "6 calendar months from the decision to hold a CSPR (2026-08-31)"
    assert report.status is MilestoneStatus.NOT_DUE_YET
    copy = t.get("report_copy_to_panel")
    # 7 working days before Thu 25 Feb 2027: 24, 23, 22, 19, 18, 17, 16 Feb.
    assert copy.due == date(2027, 2, 16)
    assert copy.basis == "7 working days before the planned publication (2027-02-25)"
    assert copy.status is MilestoneStatus.NOT_DUE_YET
    assert copy.working_days_left == 4
    keep = t.get("report_available_until")
    assert keep.kind == "minimum_period"
    assert keep.due == date(2028, 2, 25)
    assert keep.status is MilestoneStatus.NOT_DUE_YET


def test_cspr_report_in_a_leap_year_and_published() -> None:
    dates = CaseDates(
        la_aware=date(2027, 8, 2), decision_to_review=date(2027, 8, 31), published=date(2028, 2, 10)
    )
    options = ClockOptions(publication_available_years=2)
    t = timeline(dates, date(2030, 2, 11), options)
    report = t.get("cspr_final_report")
    assert report.due == date(2028, 2, 29)
    assert report.status is MilestoneStatus.DONE
    assert report.on_time is True
    keep = t.get("report_available_until")
    assert keep.due == date(2030, 2, 10)
    assert keep.basis == "at least 2 years from publication (2028-02-10)"
    assert keep.status is MilestoneStatus.DONE
    # The copy should have gone 7 working days before the actual publication: no record, overdue.
    copy = t.get("report_copy_to_panel")
    assert copy.due == date(2028, 2, 1)
    assert copy.status is MilestoneStatus.OVERDUE


def test_copy_to_panel_projected_from_the_report_due_date() -> None:
    dates = CaseDates(la_aware=date(2026, 8, 3), decision_to_review=date(2026, 8, 31))
    copy = timeline(dates, date(2026, 9, 1)).get("report_copy_to_panel")
    # Sun 28 Feb 2027 is day 0: 26, 25, 24, 23, 22, 19, 18 Feb.
    assert copy.due == date(2027, 2, 18)
    assert copy.basis_projected is True


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (
            CaseDates(incident=date(2026, 12, 24), la_aware=AWARE),
            "the LA became aware (2026-12-23) cannot be before the incident (2026-12-24)",
        ),
        (
            CaseDates(la_aware=AWARE, sin_made=date(2026, 12, 22)),
            "the SIN was made (2026-12-22) cannot be before the LA became aware (2026-12-23)",
        ),
        (
            CaseDates(la_aware=AWARE, sin_made=SIN_DUE, rapid_review_sent=date(2026, 12, 31)),
            "the rapid review was sent (2026-12-31) cannot be before the SIN was made",
        ),
        (
            CaseDates(la_aware=AWARE, decision_to_review=date(2027, 1, 20), published=AWARE),
            "publication (2026-12-23) cannot be before the decision to hold a CSPR",
        ),
        (
            CaseDates(incident=date(2027, 1, 2), sin_made=date(2027, 1, 1)),
            "the SIN was made (2027-01-01) cannot be before the incident (2027-01-02)",
        ),
    ],
)
def test_contradictory_dates_are_rejected(dates: CaseDates, message: str) -> None:
    with pytest.raises(TimelineInputError) as caught:
        timeline(dates, date(2027, 2, 1))
    assert re.search(
        message.replace("(", r"\(").replace(")", r"\)"), timeline_problem(caught.value)
    )


def test_bad_events_are_rejected() -> None:
    with pytest.raises(TimelineInputError, match="no milestone is called 'sn'"):
        timeline(CaseDates(la_aware=AWARE), AWARE, events={"sn": MilestoneEvents()})
    clash = {"sin": MilestoneEvents(completion=Completion(on=date(2026, 12, 24)))}
    with pytest.raises(TimelineInputError, match="sin is completed by the case's sin_made"):
        timeline(CaseDates(la_aware=AWARE, sin_made=date(2026, 12, 30)), AWARE, events=clash)


def test_nothing_computable_without_awareness_or_incident() -> None:
    t = timeline(CaseDates(), AWARE)
    sin = t.get("sin")
    assert sin.due is None
    assert sin.status is MilestoneStatus.NOT_DUE_YET
    assert sin.working_days_left is None
    assert t.get("rapid_review").due is None
    assert t.get("panel_reply").due is None


def test_json_safe() -> None:
    events = {
        "sin": MilestoneEvents(
            slips=(Slip(to=date(2027, 1, 8), reason="Reason", recorded_on=date(2027, 1, 2)),)
        )
    }
    t = timeline(CaseDates(la_aware=AWARE), AWARE, events=events)
    data = json.loads(json.dumps(t.model_dump(mode="json")))
    sin = data["milestones"][0]
    assert sin["key"] == "sin"
    assert sin["due"] == "2027-01-08"
    assert sin["original_due"] == "2027-01-04"
    assert sin["status"] == "not_due_yet"
    assert sin["partners"] == ["local_authority"]
    assert sin["slips"] == [
        {
            "from_due": "2027-01-04",
            "to_due": "2027-01-08",
            "reason": "Reason",
            "recorded_on": "2027-01-02",
        }
    ]
    assert Timeline.model_validate(data) == t


def test_needing_attention() -> None:
    t = timeline(CaseDates(la_aware=AWARE), date(2027, 1, 5))
    assert [m.key.value for m in t.needing_attention()] == [
        "sin",
        "notify_partners",
        "rr_ias_requests",
    ]
