"""Reminder and digest cards: valid Adaptive Cards, mentions for escalations, escaped text."""

from __future__ import annotations

import json
from datetime import date

from cards import wording
from cards.reminders import digest_card, reminder_card
from safeguarding.partnerships import Lead, Partner
from safeguarding.timeline import MilestoneKey
from tests.support.cards import assert_valid_card

LEAD = Lead(
    name="Pat [Police](https://x.example)",
    role="DS",
    partner=Partner.POLICE,
    aad_object_id="00000000-0000-0000-0000-0000000000a3",
)


def test_a_lead_time_reminder() -> None:
    card = reminder_card(
        for_lead=True,
        reference="COV-2026-001",
        kind="lead",
        milestone=MilestoneKey.SIN,
        lead_days=2,
        due=date(2027, 1, 4),
        original_due=None,
        working_days_left=2,
        responsible="The local authority",
        late=False,
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert "Due in 2 working days" in text
    assert "4 January 2027" in text
    verbs = {a["card"]["actions"][0]["verb"] for a in card["actions"]}
    assert verbs == {"sin_made", "slip"}
    assert "msteams" not in card


def test_an_overdue_escalation_mentions_the_leads_and_is_marked_late() -> None:
    card = reminder_card(
        for_lead=True,
        reference="COV-2026-001",
        kind="overdue",
        milestone=MilestoneKey.RR_IAS_RETURNS,
        lead_days=None,
        due=date(2026, 12, 11),
        original_due=date(2026, 12, 9),
        working_days_left=-1,
        responsible="Agencies",
        late=True,
        mention=[LEAD],
    )
    assert_valid_card(card)
    entities = card["msteams"]["entities"]
    assert entities[0]["mentioned"]["id"] == LEAD.aad_object_id
    text = json.dumps(card)
    assert "Overdue" in text
    assert "Posted late" in text
    assert "Originally due" in text
    assert "](https://x.example)" not in text  # names are escaped too
    assert {a["card"]["actions"][0]["verb"] for a in card["actions"]} == {
        "summaries_returned",
        "slip",
    }


def test_an_escalation_already_overdue_at_filing_is_not_called_late() -> None:
    card = reminder_card(
        for_lead=True,
        reference="COV-2026-001",
        kind="overdue",
        milestone=MilestoneKey.SIN,
        lead_days=None,
        due=date(2026, 11, 27),
        original_due=None,
        working_days_left=-2,
        responsible="The local authority",
        late=False,
        filed_after_due=True,
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert wording.REMINDER_FILED_AFTER_DUE in text
    assert wording.REMINDER_LATE not in text


def test_the_digest() -> None:
    card = digest_card(
        partnership_name="Coventry",
        week_of=date(2026, 11, 30),
        rows=[
            ("COV-2026-001", "Rapid review sent to the Panel", date(2026, 11, 27), -1, True),
            ("COV-2026-002", "Serious incident notification", date(2026, 12, 2), 2, False),
        ],
        undelivered=[("COV-2026-003", "SIN reminder", "channel no longer exists")],
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert text.index("COV-2026-001") < text.index("COV-2026-002")
    assert 'overdue by 1 working day"' in text
    assert "2 working days left" in text
    assert "channel no longer exists" in text
    assert "Week of Monday 30 November 2026" in text


def _time_left(card: dict[str, object]) -> str:
    [facts] = [b for b in card["body"] if isinstance(b, dict) and b.get("type") == "FactSet"]
    [value] = [f["value"] for f in facts["facts"] if f["title"] == wording.REMINDER_TIME_LEFT]
    return str(value)


def test_a_reminder_says_how_long_is_left_in_words_as_the_digest_does() -> None:
    def reminder(days_left: int) -> dict[str, object]:
        return reminder_card(
            for_lead=False,
            reference="COV-2026-001",
            kind="overdue" if days_left < 0 else "due_today",
            milestone=MilestoneKey.SIN,
            lead_days=None,
            due=date(2026, 11, 27),
            original_due=None,
            working_days_left=days_left,
            responsible="The local authority",
            late=False,
        )

    assert _time_left(reminder(-2)) == "Overdue by 2 working days"
    assert _time_left(reminder(-1)) == "Overdue by 1 working day"
    assert _time_left(reminder(0)) == "Due today"
    assert _time_left(reminder(3)) == "3 working days"
    digest = json.dumps(
        digest_card(
            partnership_name="Coventry",
            week_of=date(2026, 11, 30),
            rows=[
                ("COV-2026-001", "SIN", date(2026, 11, 27), -2, True),
                ("COV-2026-002", "SIN", date(2026, 11, 30), 0, False),
            ],
            undelivered=[],
        )
    )
    assert "overdue by 2 working days" in digest
    assert "due today" in digest
    assert "0 working days" not in digest
