"""Wording that says no more than the guidance: the SIN is due only if made; the rapid review's
15 working days are the Panel's expectation, not a statutory limit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from cards.referral import acknowledgement_card, channel_case_card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.cases import Case, ReferrerIdentity, initial_dates
from safeguarding.faq import NATIONAL_FAQ_FILE, load_faq_file
from safeguarding.partnerships import load_partnerships
from safeguarding.referral import screen
from safeguarding.timeline import CaseDates, MilestoneKey, compute_timeline
from tests.support.cases import make_referral

COVENTRY = load_partnerships(EXAMPLE_PARTNERSHIPS).partnerships["coventry"]
ENGLAND = WorkingDayCalendar.for_england()
TODAY = date(2026, 11, 24)


def _case() -> Case:
    referral = make_referral(incident=date(2026, 11, 20), la_aware=date(2026, 11, 23))
    return Case(
        reference="COV-2026-001",
        partnership_id="coventry",
        referral=referral,
        screening=screen(referral),
        submitted_by=ReferrerIdentity(user_id="u"),
        submitted_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        dates=initial_dates(referral),
    )


def test_the_acknowledgement_says_the_notification_is_due_only_if_made() -> None:
    case = _case()
    timeline = compute_timeline(case.dates, COVENTRY.clock, ENGLAND, TODAY)
    text = json.dumps(acknowledgement_card(case=case, partnership=COVENTRY, timeline=timeline))
    assert "decides, with the police and health, whether to make" in text
    assert "If it notifies, the notification is due by Monday 30 November 2026" in text
    assert "It is due by" not in text


def test_the_rapid_review_is_not_marked_statutory() -> None:
    timeline = compute_timeline(
        CaseDates(la_aware=date(2026, 11, 23)), COVENTRY.clock, ENGLAND, TODAY
    )
    rapid_review = timeline.get(MilestoneKey.RAPID_REVIEW)
    assert rapid_review.statutory is False
    assert "expected" in rapid_review.title
    # The SIN's 5 working days are the statute's (CA 2004 s16C, WT2023 ch.5).
    assert timeline.get(MilestoneKey.SIN).statutory is True


def test_cards_and_answers_call_the_15_working_days_an_expectation() -> None:
    assert "statutory timescales." not in wording.WELCOME_PURPOSE
    assert "expects" in wording.WELCOME_PURPOSE
    assert wording.FACT_RAPID_REVIEW_DUE == "Rapid review expected by"
    case = _case()
    timeline = compute_timeline(case.dates, COVENTRY.clock, ENGLAND, TODAY)
    card = channel_case_card(case=case, partnership=COVENTRY, timeline=timeline, today=TODAY)
    assert "Rapid review expected by" in json.dumps(card)
    answers = {entry.id: entry.answer for entry in load_faq_file(NATIONAL_FAQ_FILE)}
    for key in ("timescales", "rapid-review"):
        assert "15 working days" in answers[key]
        assert "not a statutory time limit" in answers[key]


# --- the guidance's own terms (Working Together 2023, ch. 5; the 2018 Regulations, reg. 11) ---


def _all_wording() -> str:
    return json.dumps(
        {name: value for name, value in vars(wording).items() if name.isupper()}, default=str
    )


def test_the_wording_uses_the_current_terms_not_the_pre_2018_ones() -> None:
    text = _all_wording().casefold()
    # Serious case reviews were replaced by rapid reviews and child safeguarding practice
    # reviews; "the serious-case test" is not a term of the guidance.
    assert "serious case review" not in text
    assert "serious-case test" not in text
    assert "serious child safeguarding incident" in wording.WELCOME_TITLE
    assert "serious incident notification" in wording.SCREENING_EXPLANATIONS["rapid_review"]
    assert "Children Act 2004 s16C(1)" in wording.SCREENING_EXPLANATIONS["rapid_review"]
    # The chat is not "watched" at some hours: it is not monitored for emergencies.
    assert "around the clock" not in text
    assert "not monitored for emergencies" in wording.EMERGENCY_EXPLAIN


def test_the_referrer_is_not_asked_what_only_the_panel_can_say() -> None:
    # Reg. 11(d): the national Panel has concluded a local review may be more appropriate.
    assert "panel_view" not in wording.REFERRER_CRITERION_CHOICES
    assert set(wording.REFERRER_CRITERION_CHOICES) == set(wording.CRITERION_CHOICES) - {
        "panel_view"
    }
    # The lead's recommendation still offers it.
    assert "panel_view" in wording.CRITERION_CHOICES


def test_a_front_door_line_named_for_its_hours_does_not_say_them_twice() -> None:
    assert (
        wording.contact_line("Out of hours", "01482 300304", wording.CONTACT_OUT_OF_HOURS)
        == "01482 300304 (out of hours)"
    )
    assert wording.front_door_fact(
        "Early Help and Safeguarding Hub (EHaSH)", "01482 448879", "Out of hours", "01482 300304"
    ) == (
        "Early Help and Safeguarding Hub (EHaSH): 01482 448879 (office hours)"
        " · 01482 300304 (out of hours)"
    )
    assert (
        wording.contact_line("Emergency Duty Team", "024 7683 2222", wording.CONTACT_OUT_OF_HOURS)
        == "Emergency Duty Team: 024 7683 2222 (out of hours)"
    )
