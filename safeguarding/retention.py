"""Retention: when a case's personal data fall due for erasure, and what erasure leaves.

Pure: the moment comes in as an argument, and nothing here reads or writes a store.

UK GDPR Art 5(1)(e) (storage limitation) asks that personal data identify people no longer than
the purpose needs; Art 17(3)(b) keeps what a legal obligation or a public task still needs.
A case's statutory record (its reference, partnership, dates, decisions and who made them) is
what the partnership's duties in Children Act 2004 ss16C-16F and Working Together 2023 ch.5
rest on, and timeliness reporting reads it: it stays. Names, dates of birth, contact details
and free text go; an age band stays in place of each date of birth, as DfE's serious incident
notification statistics count children by age band. The periods are each partnership's
(`safeguarding.partnerships.RetentionSchedule`, which cites the guidance).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import JsonValue

from safeguarding.calendar import add_calendar_months, add_years_at_least
from safeguarding.cases import FINISHED_STATUSES, Case, Erasure, RecordedDecision, ReferrerIdentity
from safeguarding.clocks import london_time
from safeguarding.partnerships import RetentionSchedule
from safeguarding.referral import ERASED, AgeBand, Child
from safeguarding.timeline import MilestoneEvents

# The audit entry an erasure leaves, and who the schedule is when it erases.
ERASURE_WHAT = "personal data erased"
BY_SCHEDULE = "retention"
# Decision fields that hold what a lead typed (safeguarding.decisions): reasons, the safety
# actions agreed, what the Panel asked for, the reviewer's name, a learning summary. Dates,
# outcomes, criteria, agency names and a published report's public link stay.
FREE_TEXT_DECISION_FIELDS = frozenset(
    {"reason", "reasons", "actions", "requested", "reviewer", "summary"}
)
# What erasure empties, by place: the audit entry names these, never what they held.
ERASED_FIELDS = (
    "referral.referrer.name",
    "referral.referrer.role",
    "referral.referrer.contact",
    "referral.children.name",
    "referral.children.date_of_birth",
    "referral.children.expected_date",
    "referral.children.ethnicity",
    "referral.incident.location",
    "referral.incident.description",
    "referral.agencies.other",
    "referral.criteria.reasons",
    "referral.actions.safety_actions",
    "submitted_by",
    "decisions.data (free text)",
    "milestone_events.slips.reason",
)
# An audit entry naming the referrer (the filing's own entry) names them by their Teams or
# Entra id: that goes too.
_REFERRER_ROLE = "referrer"
# Each band holds the ages below its number and at or above the band before.
_BANDS: tuple[tuple[int, AgeBand], ...] = (
    (1, "under_1"),
    (6, "1_to_5"),
    (11, "6_to_10"),
    (16, "11_to_15"),
    (18, "16_to_17"),
)


def age_band(child: Child, on: date) -> AgeBand:
    """The child's age band on a day (the incident's): what stays of a date of birth."""
    if child.age_band is not None:
        return child.age_band
    age = child.age_at(on)
    if age is None:
        return "unborn"
    return next((band for below, band in _BANDS if age < below), "18_plus")


def finished_at(case: Case) -> datetime | None:
    """When a finished case last moved: its latest decision (published, closed, or after).

    None while the case is open. A finished case stays finished (a published one may only be
    closed or have its report sent), so counting from its last decision never starts early.
    """
    if case.status not in FINISHED_STATUSES:
        return None
    return max((record.at for record in case.decisions), default=case.submitted_at)


@dataclass(frozen=True, slots=True)
class CaseDue:
    """A finished case whose personal data are due for erasure (or would be, but held)."""

    reference: str
    partnership_id: str
    finished_on: date
    due_on: date
    held: bool


def erasure_due(case: Case, schedule: RetentionSchedule) -> CaseDue | None:
    """When the case's personal data fall due for erasure; None while it is open or erased.

    At least `closed_case_years` whole years after the London day it finished: a period
    never ends early (29 February moves on to 1 March).
    """
    finished = finished_at(case)
    if finished is None or case.erasure is not None:
        return None
    finished_on = london_time(finished).date()
    return CaseDue(
        reference=case.reference,
        partnership_id=case.partnership_id,
        finished_on=finished_on,
        due_on=add_years_at_least(finished_on, schedule.closed_case_years),
        held=case.reference in schedule.hold,
    )


def cases_due(cases: Iterable[Case], schedule: RetentionSchedule, today: date) -> list[CaseDue]:
    """The cases due for erasure on `today` (London), held ones included and marked."""
    due = (erasure_due(case, schedule) for case in cases)
    return sorted(
        (d for d in due if d is not None and d.due_on <= today), key=lambda d: d.reference
    )


def schedule_rule(schedule: RetentionSchedule) -> str:
    """The rule an erasure by the schedule names in its record."""
    return f"closed_case_years={schedule.closed_case_years}"


def _erased_child(child: Child, on: date) -> Child:
    return child.model_copy(
        update={
            "name": ERASED,
            "date_of_birth": None,
            "expected_date": None,
            "ethnicity": None,
            "age_band": age_band(child, on),
        }
    )


def redacted_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A decision's data with what a lead typed replaced by ERASED (the rest as it was)."""
    return {
        key: ERASED
        if key in FREE_TEXT_DECISION_FIELDS and isinstance(value, str) and value
        else value
        for key, value in data.items()
    }


def _erased_decision(record: RecordedDecision) -> RecordedDecision:
    data: dict[str, JsonValue] = redacted_data(record.data)
    return record if data == record.data else record.model_copy(update={"data": data})


def _erased_events(events: Mapping[str, MilestoneEvents]) -> dict[str, MilestoneEvents]:
    """Milestone events with each slip's reason (what a lead typed) erased; dates, kinds kept."""
    return {
        key: milestone.model_copy(
            update={
                "slips": tuple(
                    slip.model_copy(update={"reason": ERASED}) for slip in milestone.slips
                )
            }
        )
        for key, milestone in events.items()
    }


def erased_case(case: Case, erasure: Erasure) -> Case:
    """The case with its personal data erased and the erasure recorded on it.

    Kept: the reference, partnership, status, screening, dates and milestone events (each
    slip's day, new date and kind; its typed reason is erased), the
    decisions (kind, day, outcome, who and when), the areas, the incident's day and kind, the
    referring agency, the children's sex, disability, statuses and age band, and the ids of
    the cards posted. Idempotent: erasing an erased case again changes nothing, except to
    erase free text a decision recorded after the first erasure. The first erasure's record
    is the one kept.
    """
    referral = case.referral
    on = referral.incident.date
    erased_referral = referral.model_copy(
        update={
            "referrer": referral.referrer.model_copy(
                update={"name": ERASED, "role": ERASED, "contact": ERASED}
            ),
            "children": tuple(_erased_child(child, on) for child in referral.children),
            "incident": referral.incident.model_copy(
                update={"location": None, "description": ERASED}
            ),
            "agencies": referral.agencies.model_copy(
                update={"other": ERASED if referral.agencies.other else None}
            ),
            "criteria": referral.criteria.model_copy(update={"reasons": ERASED}),
            "actions": referral.actions.model_copy(update={"safety_actions": ERASED}),
        }
    )
    return case.model_copy(
        update={
            "referral": erased_referral,
            "submitted_by": ReferrerIdentity(user_id=ERASED),
            "decisions": [_erased_decision(record) for record in case.decisions],
            "milestone_events": _erased_events(case.milestone_events),
            "erasure": case.erasure or erasure,
        }
    )


def redacted_audit_entry(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """An audit entry with a decision's free text and the referrer's id erased; None when it
    holds neither (most entries: posts, refusals, the erasure itself)."""
    changed = dict(entry)
    data = entry.get("data")
    if isinstance(data, Mapping):
        changed["data"] = redacted_data(data)
    if entry.get("role") == _REFERRER_ROLE and entry.get("actor") not in (None, ERASED):
        changed["actor"] = ERASED
    return None if changed == dict(entry) else changed


def not_seen_since(seen_on: date, months: int, today: date) -> bool:
    """Whether someone last seen on `seen_on` has not been seen for `months` whole months."""
    return add_calendar_months(seen_on, months) <= today
