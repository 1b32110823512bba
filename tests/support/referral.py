"""Valid answers for each step of the referral dialog, as its cards submit them."""

from __future__ import annotations

AREA = {"area": "Coventry", "harm_area": "Coventry"}
REFERRER = {
    "name": "Sam Patel",
    "role": "Designated safeguarding lead",
    "agency": "Riverside Primary School",
    "contact": "sam.patel@school.example",
    "lead_agreed": "true",
}
CHILD = {
    "name": "Jane Doe",
    "unborn": "false",
    "date_of_birth": "2022-03-14",
    "sex": "female",
    "disability": "no",
    "statuses": "child_protection_plan",
}
INCIDENT = {
    "date": "2026-11-16",
    "la_aware": "2026-11-18",
    "kind": "serious_harm",
    "description": "Admitted to hospital with unexplained fractures.",
}
AGENCIES = {"involved": "childrens_social_care,health_visiting,school", "still_involved": "yes"}
CRITERIA = {
    "abuse_or_neglect": "suspected",
    "about_a_professional": "no",
    "criteria": "agencies_working_together",
    "reasons": "Several agencies saw injuries that were not shared.",
}
ACTIONS = {
    "safety_actions": "Sibling placed with grandparents under a safety plan.",
    "parallel": "police",
    "media_interest": "no",
}

# Every step before the review, in order, as the cards submit them.
STEPS_TO_REVIEW: list[tuple[str, dict[str, str]]] = [
    ("safety", {"answer": "incident"}),
    ("area", AREA),
    ("referrer", REFERRER),
    ("child", {**CHILD, "next": "continue"}),
    ("incident", INCIDENT),
    ("agencies", AGENCIES),
    ("criteria", CRITERIA),
    ("actions", ACTIONS),
]

# Every card of one referral in order, ending with Submit on the review.
STEPS: list[tuple[str, dict[str, object]]] = [*STEPS_TO_REVIEW, ("review", {"submit": True})]
