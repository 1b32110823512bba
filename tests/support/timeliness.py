"""A small Coventry store whose timeliness figures are counted by hand (tests/test_timeliness.py).

Period: 1 January to 31 March 2027, counted on Tuesday 30 March 2027. Good Friday (26 March)
and Easter Monday (29 March) 2027 are bank holidays. Every date below is worked out by hand:

Each case, what was recorded, and its deadlines that fall in the period (first due date):
- COV-2027-001: aware Mon 4 Jan; SIN Fri 8 Jan; partners told 8 Jan; summaries in Thu 21 Jan;
  rapid review sent Thu 28 Jan; local CSPR decided 10 Feb. SIN due 11 Jan on time; partners
  11 Jan on time; summaries day 10 = Fri 22 Jan on time; rapid review 15 working days = Fri
  29 Jan on time; the CSPR is due 10 Aug: not in the period.
- COV-2027-002: aware Wed 3 Feb; SIN Fri 12 Feb; summaries in Wed 3 Mar; partners never
  recorded; rapid review moved on 1 Mar to 19 Mar (waiting for an agency), not sent. SIN
  10 Feb late; partners 10 Feb late, still open; summaries Fri 26 Feb late; rapid review Fri
  5 Mar late, still open.
- COV-2026-050: filed 1 Jun 2026; CSPR decided 15 Jul 2026; moved on 10 Jan 2027 to 29 Jan;
  published 20 Jan 2027. CSPR due 15 Jan 2027: late, met the agreed new date.
- COV-2027-003: aware Mon 8 Mar; found not notifiable. Nothing was due.
- COV-2027-004: aware Mon 15 Mar; another local authority leads. Its deadlines are theirs.
- COV-2027-005: aware Thu 25 Mar. SIN due Mon 5 Apr (Easter): not in the period.
- COV-2027-006: aware Fri 19 Mar; nothing done. SIN and partners due Tue 30 Mar, today: not
  due yet.
- COV-2027-007: aware Mon 1 Feb; SIN Tue 2 Feb; partners told Fri 5 Feb; rapid review sent Mon
  22 Feb, summaries never recorded; no further review. SIN 8 Feb on time; partners 8 Feb on
  time; summaries Tue 16 Feb not recorded; rapid review Tue 23 Feb on time.

So, by hand:
- referrals received: 7 (all but COV-2026-050), of which 1 led elsewhere (COV-2027-004);
- Panel told: 2 on time (001, 007), 1 late (002), 1 not due yet (006): 67 % on time;
- partners told: 2 on time (001, 007), 1 late and open (002), 1 not due yet (006): 67 %;
- summaries in by day 10: 1 on time (001), 1 late (002), 1 not recorded (007): 50 %;
- rapid review: 2 on time (001, 007), 1 late and open (002, moved to 19 Mar): 67 %;
- CSPR published in 6 months: 1 late (COV-2026-050, met its agreed new date): 0 %;
- deadlines moved in the period: 2 (rapid review 002 on 1 Mar, waiting for an agency; CSPR
  050 on 10 Jan, recorded before slips had a kind: not given);
- open cases: 7 — referred 3 (004, 005, 006), rapid review 1 (002), not notified 1 (003),
  local review 1 (001), no further review 1 (007); COV-2026-050 is published.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from safeguarding.cases import Case, CaseStatus
from safeguarding.leading import LeadRule
from safeguarding.referral import Area
from safeguarding.timeline import CaseDates, Completion, MilestoneEvents, Slip, SlipKind
from tests.support.cases import make_case, make_referral

START = date(2027, 1, 1)
END = date(2027, 3, 31)
TODAY = date(2027, 3, 30)


def _case(
    reference: str,
    aware: date,
    status: CaseStatus,
    *,
    filed: date | None = None,
    led_elsewhere: bool = False,
    **dates: date,
) -> Case:
    referral = make_referral(incident=aware, la_aware=aware, child_name="Jane Doe")
    if led_elsewhere:
        area = Area(
            area="Coventry",
            harm_area="Birmingham",
            partnership_id="coventry",
            lead_rule=LeadRule.LEAD_NOT_SERVED,
        )
        referral = referral.model_copy(update={"area": area})
    case = make_case(
        referral,
        reference=reference,
        submitted_at=datetime.combine(filed or aware, time(10), tzinfo=UTC),
    )
    return case.model_copy(
        update={
            "status": status,
            "dates": CaseDates(incident=aware, la_aware=aware, **dates),
        }
    )


def _done(on: date) -> MilestoneEvents:
    return MilestoneEvents(completion=Completion(on=on))


def _moved(to: date, recorded_on: date, kind: SlipKind | None = None) -> MilestoneEvents:
    slip = Slip(to=to, reason="Dr Smith is away", recorded_on=recorded_on, kind=kind)
    return MilestoneEvents(slips=(slip,))


def hand_counted_cases() -> list[Case]:
    """The eight cases of the table above."""
    one = _case(
        "COV-2027-001",
        date(2027, 1, 4),
        CaseStatus.LOCAL_REVIEW,
        sin_made=date(2027, 1, 8),
        rapid_review_sent=date(2027, 1, 28),
        decision_to_review=date(2027, 2, 10),
    ).model_copy(
        update={
            "milestone_events": {
                "notify_partners": _done(date(2027, 1, 8)),
                "rr_ias_returns": _done(date(2027, 1, 21)),
            }
        }
    )
    two = _case(
        "COV-2027-002",
        date(2027, 2, 3),
        CaseStatus.RAPID_REVIEW,
        sin_made=date(2027, 2, 12),
    ).model_copy(
        update={
            "milestone_events": {
                "rr_ias_returns": _done(date(2027, 3, 3)),
                "rapid_review": _moved(date(2027, 3, 19), date(2027, 3, 1), "agency_information"),
            }
        }
    )
    published = _case(
        "COV-2026-050",
        date(2026, 6, 1),
        CaseStatus.PUBLISHED,
        sin_made=date(2026, 6, 3),
        rapid_review_sent=date(2026, 6, 20),
        decision_to_review=date(2026, 7, 15),
        published=date(2027, 1, 20),
    ).model_copy(
        update={
            "milestone_events": {
                "cspr_final_report": _moved(date(2027, 1, 29), date(2027, 1, 10)),
            }
        }
    )
    seven = _case(
        "COV-2027-007",
        date(2027, 2, 1),
        CaseStatus.NO_FURTHER_REVIEW,
        sin_made=date(2027, 2, 2),
        rapid_review_sent=date(2027, 2, 22),
    ).model_copy(update={"milestone_events": {"notify_partners": _done(date(2027, 2, 5))}})
    return [
        one,
        two,
        published,
        _case("COV-2027-003", date(2027, 3, 8), CaseStatus.NO_SERIOUS_INCIDENT),
        _case("COV-2027-004", date(2027, 3, 15), CaseStatus.REFERRED, led_elsewhere=True),
        _case("COV-2027-005", date(2027, 3, 25), CaseStatus.REFERRED),
        _case("COV-2027-006", date(2027, 3, 19), CaseStatus.REFERRED),
        seven,
    ]
