"""The referral dialog through botbuilder's TestAdapter: every path of dialogs/referral.mmd."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.app import compose_bot
from bot.conversations import ConversationRegistry
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings
from cards import wording
from cards.referral import channel_case_card, told_card
from cards.text import escape_markdown
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.leading import LeadRule, NoLead
from safeguarding.partnerships import Partnership, load_partnerships
from safeguarding.timeline import compute_timeline
from storage.base import Collection
from storage.cases import CaseRepository, DraftRepository
from storage.tinydb_store import TinyDBStore
from tests.support.cards import assert_valid_card
from tests.support.fakes import FakeClock, shared_screen
from tests.support.referral import (
    ACTIONS,
    AGENCIES,
    AREA,
    CHILD,
    CRITERIA,
    INCIDENT,
    REFERRER,
    STEPS_TO_REVIEW,
)
from usecases.errors import NotifierError

USER = ChannelAccount(id="29:user-1", name="Practitioner", aad_object_id="aad-user-1")


@dataclass
class FakeAnnouncer:
    """Records case cards posted to review channels; can be told to fail."""

    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    told: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: bool = False

    async def announce_case(self, case: Case, partnership: Partnership) -> str:
        if self.fail:
            raise NotifierError("channel gone")
        card = channel_case_card(
            case=case,
            partnership=partnership,
            timeline=compute_timeline(
                case.dates, partnership.clock, PartnershipCalendars().national, date(2026, 11, 24)
            ),
            today=date(2026, 11, 24),
        )
        self.posts.append((partnership.id, card))
        return f"channel-activity-{len(self.posts)}"

    async def tell_partnership(self, case: Case, lead: Partnership, told: Partnership) -> str:
        if self.fail:
            raise NotifierError("channel gone")
        self.told.append((told.id, told_card(case=case, lead=lead, told=told)))
        return f"told-activity-{len(self.told)}"


class Harness:
    """Drives the real bot through TestAdapter and reads what it said."""

    def __init__(self, store: TinyDBStore, clock: FakeClock, announcer: FakeAnnouncer) -> None:
        settings = Settings(data_dir=store.directory, partnerships=EXAMPLE_PARTNERSHIPS)
        partnerships = load_partnerships(EXAMPLE_PARTNERSHIPS)
        self.store = store
        self.clock = clock
        self.announcer = announcer
        self.bot = compose_bot(
            settings=settings,
            partnerships=partnerships,
            store=store,
            clock=clock,
            calendars=PartnershipCalendars(),
            announcer=announcer,
            conversations=ConversationRegistry(store),
            screen=shared_screen(),
        )
        self.adapter = TestAdapter(self.bot.on_turn)
        self.replies: list[Activity] = []

    async def _send(self, activity: Activity) -> list[Activity]:
        activity.from_property = USER
        activity.conversation = ConversationAccount(id="personal-1", conversation_type="personal")
        await self.adapter.receive_activity(activity)
        out = []
        while (reply := self.adapter.get_next_activity()) is not None:
            out.append(reply)
        self.replies.extend(out)
        return out

    async def say(self, text: str) -> list[Activity]:
        """A typed message."""
        return await self._send(Activity(type=ActivityTypes.message, text=text))

    async def submit(self, **value: Any) -> list[Activity]:
        """An Action.Submit: a message with no text and the inputs in value."""
        return await self._send(Activity(type=ActivityTypes.message, value=value))

    async def step(self, step: str, **inputs: Any) -> list[Activity]:
        """Submit a referral card for one step."""
        return await self.submit(action="referral", step=step, **inputs)

    async def rewrite_draft(self, **update: Any) -> None:
        """Change the stored draft behind the dialog's back (another device, another replica)."""
        drafts = DraftRepository(self.store, ttl=timedelta(days=14))
        key = USER.aad_object_id or ""
        loaded = await drafts.load(key, self.clock.now())
        assert loaded is not None
        await drafts.save(key, loaded[0].model_copy(update=update), loaded[1])


def cards_in(replies: list[Activity]) -> list[dict[str, Any]]:
    """Every Adaptive Card in some replies, each checked against the schema."""
    found = []
    for reply in replies:
        for attachment in reply.attachments or []:
            if attachment.content_type == "application/vnd.microsoft.card.adaptive":
                assert_valid_card(attachment.content)
                found.append(attachment.content)
    return found


def texts_in(replies: list[Activity]) -> list[str]:
    """The plain texts of some replies."""
    return [r.text for r in replies if r.text]


def submit_data(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The data of every Action.Submit anywhere in a card."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict):
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def steps_offered(replies: list[Activity]) -> set[str]:
    """The referral steps the cards in some replies submit to."""
    return {
        str(d.get("step"))
        for card in cards_in(replies)
        for d in submit_data(card)
        if d.get("action") == "referral" and d.get("step") != "cancel"
    }


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    store = TinyDBStore(tmp_path / "data")
    clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    yield Harness(store, clock, FakeAnnouncer())
    await store.close()


async def fill_to_review(h: Harness, **overrides: dict[str, Any]) -> list[Activity]:
    """Answer every step with valid answers (overridable); return the review's replies."""
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **overrides.get("area", AREA))
    await h.step("referrer", **overrides.get("referrer", REFERRER))
    await h.step("child", next="continue", **overrides.get("child", CHILD))
    await h.step("incident", **overrides.get("incident", INCIDENT))
    await h.step("agencies", **overrides.get("agencies", AGENCIES))
    await h.step("criteria", **overrides.get("criteria", CRITERIA))
    return await h.step("actions", **overrides.get("actions", ACTIONS))


async def stored_cases(h: Harness) -> list[Case]:
    return await CaseRepository(h.store).for_partnership("coventry")


async def test_a_whole_referral_is_filed_and_announced(harness: Harness) -> None:
    h = harness
    first = await h.say("refer")
    assert steps_offered(first) == {"safety"}
    assert steps_offered(await h.step("safety", answer="incident")) == {"area"}
    assert steps_offered(await h.step("area", **AREA)) == {"referrer"}
    assert steps_offered(await h.step("referrer", **REFERRER)) == {"child"}
    assert steps_offered(await h.step("child", next="continue", **CHILD)) == {"incident"}
    assert steps_offered(await h.step("incident", **INCIDENT)) == {"agencies"}
    assert steps_offered(await h.step("agencies", **AGENCIES)) == {"criteria"}
    assert steps_offered(await h.step("criteria", **CRITERIA)) == {"actions"}
    review = await h.step("actions", **ACTIONS)
    assert "review" in steps_offered(review)
    assert len(cards_in(review)) == 1  # an ordinary answer brings no signpost
    assert "rapid review" in json.dumps(cards_in(review)).lower()

    filed = await h.step("review", submit=True)
    assert "COV-2026-001" in json.dumps(cards_in(filed))
    # LA aware Wed 18 Nov 2026: SIN due 5 working days later, Wed 25 Nov 2026.
    assert "25 November 2026" in json.dumps(cards_in(filed))

    cases = await stored_cases(h)
    assert [c.reference for c in cases] == ["COV-2026-001"]
    case = cases[0]
    assert case.screening.outcome.value == "rapid_review"
    assert case.channel_activity_id == "channel-activity-1"
    assert case.submitted_by.aad_object_id == "aad-user-1"

    [(partnership_id, channel_card)] = h.announcer.posts
    assert partnership_id == "coventry"
    posted = json.dumps(channel_card)
    assert "COV-2026-001" in posted
    assert "Jane" not in posted
    assert "Doe" not in posted
    assert "unexplained fractures" not in posted
    assert "JD" in posted

    trail = await CaseRepository(h.store).audit_trail("COV-2026-001")
    assert [e["what"] for e in trail] == ["referral submitted", "posted to review channel"]

    # The dialog is over: a second click on Submit files nothing more.
    again = await h.step("review", submit=True)
    assert "COV-2026-001" in " ".join(texts_in(again))
    assert len(await stored_cases(h)) == 1


async def test_danger_now_redirects_to_999_then_may_continue(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    redirect = await h.step("safety", answer="danger")
    text = json.dumps(cards_in(redirect))
    assert "999" in text
    assert "024 7678 8555" in text  # Coventry MASH, office hours on a Tuesday at 10:00
    assert steps_offered(redirect) == {"safety_redirect"}
    assert steps_offered(await h.step("safety_redirect", choice="continue")) == {"area"}


async def test_a_current_worry_can_end_here_and_nothing_is_kept(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    redirect = await h.step("safety", answer="worry")
    assert "024 7678 8555" in json.dumps(cards_in(redirect))
    ended = await h.step("safety_redirect", choice="end")
    assert wording.REFERRAL_ENDED_AFTER_REDIRECT in texts_in(ended)
    drafts = [d for d in await h.store.list(Collection.STATE) if d.key.startswith("draft:")]
    assert drafts == []


async def test_the_front_door_number_switches_out_of_hours(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 11, 24, 19, 30, tzinfo=UTC))  # Tuesday evening
    await h.say("refer")
    redirect = json.dumps(cards_in(await h.step("safety", answer="worry")))
    # Warwickshire's hours are confirmed: out of hours, only its Emergency Duty Team.
    assert "01926 886922" in redirect
    assert "01926 414144" not in redirect
    # Coventry's are not: both its numbers, whatever the hour, and why.
    assert "024 7683 2222" in redirect
    assert "024 7678 8555" in redirect
    assert wording.FRONT_DOOR_HOURS_NOT_CONFIRMED in redirect


async def test_invalid_fields_get_messages_and_answers_are_kept(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    bad = {**REFERRER, "name": "", "contact": "call me"}
    again = await h.step("referrer", **bad)
    assert steps_offered(again) == {"referrer"}
    card = json.dumps(cards_in(again))
    assert "Riverside Primary School" in card  # what was typed stays filled in
    assert "Attention" in card  # field messages are shown
    assert steps_offered(await h.step("referrer", **REFERRER)) == {"child"}


async def test_future_and_impossible_dates_are_refused(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    future_child = {**CHILD, "date_of_birth": "2027-01-01"}
    assert steps_offered(await h.step("child", next="continue", **future_child)) == {"child"}
    await h.step("child", next="continue", **CHILD)
    future = {**INCIDENT, "date": "2026-12-25"}
    assert steps_offered(await h.step("incident", **future)) == {"incident"}
    before_birth = {**INCIDENT, "date": "2021-01-01", "la_aware": "2021-01-02"}
    assert steps_offered(await h.step("incident", **before_birth)) == {"incident"}
    assert steps_offered(await h.step("incident", **INCIDENT)) == {"agencies"}


async def test_several_children(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    assert steps_offered(await h.step("child", next="add_child", **CHILD)) == {"child"}
    sibling = {**CHILD, "name": "Tom Doe", "date_of_birth": "2019-06-01"}
    await h.step("child", next="continue", **sibling)
    for step, inputs in [
        ("incident", INCIDENT),
        ("agencies", AGENCIES),
        ("criteria", CRITERIA),
        ("actions", ACTIONS),
    ]:
        await h.step(step, **inputs)
    await h.step("review", submit=True)
    [case] = await stored_cases(h)
    assert [c.initials for c in case.referral.children] == ["JD", "TD"]


async def test_typed_cancel_asks_then_discards(harness: Harness) -> None:
    h = harness
    await fill_to_review(h)
    confirm = await h.say("cancel")
    assert {d.get("choice") for c in cards_in(confirm) for d in submit_data(c)} == {"yes", "no"}
    kept = await h.submit(action="referral_cancel", choice="no")
    assert "review" in steps_offered(kept)
    await h.say("cancel")
    gone = await h.submit(action="referral_cancel", choice="yes")
    assert wording.REFERRAL_CANCELLED in texts_in(gone)
    assert "To start a new one, type *refer*." in wording.REFERRAL_CANCELLED
    assert [d for d in await h.store.list(Collection.STATE) if d.key.startswith("draft:")] == []
    # Starting again begins at the safety question, with no resume offer.
    assert steps_offered(await h.say("refer")) == {"safety"}


async def test_cancel_button_on_a_card(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    confirm = await h.step("cancel")
    assert any(
        d.get("action") == "referral_cancel" for c in cards_in(confirm) for d in submit_data(c)
    )


async def test_help_mid_referral_keeps_the_place(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    helped = await h.say("help")
    assert wording.REFERRAL_HELP_NOTE in texts_in(helped)
    assert "999" in json.dumps(cards_in(helped))
    assert steps_offered(await h.step("referrer", **REFERRER)) == {"child"}


async def test_a_typed_emergency_mid_referral_gets_999_and_the_draft_survives(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    urgent = await h.say("her dad is here now with a knife and the kids are in the house")
    card = json.dumps(cards_in(urgent))
    assert "999" in card
    assert "024 7678 8555" in card  # the draft's partnership, in office hours
    assert len(urgent) == 1  # nothing competes with the emergency answer
    # ... but the card says the referral is still there, above it.
    assert wording.SIGNPOST_REFERRAL_SAVED in card
    # A typed worry, the same: the front door, and the referral is saved.
    worry = await h.say("I am worried about a child at school who has bruises")
    [worry_card] = cards_in(worry)
    said = json.dumps(worry_card)
    assert wording.CONCERN_TITLE in said
    assert wording.SIGNPOST_REFERRAL_SAVED in said
    # Someone already in a referral is not told they "can go on with a referral", and gets no
    # button that would only post the card above again.
    assert wording.CONCERN_ALSO_INCIDENT not in said
    assert "actions" not in worry_card
    assert steps_offered(await h.step("referrer", **REFERRER)) == {"child"}


async def test_typed_text_that_is_not_a_command_shows_the_card_again(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    replies = await h.say("ok thanks")
    assert wording.REFERRAL_USE_THE_CARD in texts_in(replies)
    assert steps_offered(replies) == {"area"}
    empty = await h.submit()
    assert steps_offered(empty) == {"area"}


async def test_a_stale_card_shows_the_current_step(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    stale = await h.step("area", **AREA)
    assert wording.REFERRAL_STALE_CARD in texts_in(stale)
    assert steps_offered(stale) == {"referrer"}


async def test_resume_from_another_device_after_days(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    # Another device, days later: the dialog stack is gone, the draft is not.
    for doc in await h.store.list(Collection.STATE):
        if not doc.key.startswith("draft:"):
            await h.store.delete(Collection.STATE, doc.key)
    h.clock.advance(days=5)
    offer = await h.say("refer")
    choices = {d.get("choice") for c in cards_in(offer) for d in submit_data(c)}
    assert choices == {"continue", "restart"}
    assert steps_offered(await h.submit(action="referral_resume", choice="continue")) == {
        "referrer"
    }


async def test_start_again_discards_the_old_draft(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.say("cancel")
    await h.submit(action="referral_cancel", choice="no")
    # End the dialog without discarding, as a restart of the bot would.
    for doc in await h.store.list(Collection.STATE):
        if not doc.key.startswith("draft:"):
            await h.store.delete(Collection.STATE, doc.key)
    await h.say("refer")
    assert steps_offered(await h.submit(action="referral_resume", choice="restart")) == {"safety"}
    assert steps_offered(await h.step("safety", answer="incident")) == {"area"}


async def test_drafts_expire(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    h.clock.advance(days=15)  # the default time to live is 14 days
    gone = await h.step("area", **AREA)
    assert wording.REFERRAL_DRAFT_GONE in texts_in(gone)
    assert steps_offered(await h.say("refer")) == {"safety"}


async def test_edit_from_the_review_returns_to_the_review(harness: Harness) -> None:
    h = harness
    await fill_to_review(h)
    edit = await h.step("review", edit="incident")
    assert steps_offered(edit) == {"incident"}
    back = await h.step("incident", **{**INCIDENT, "kind": "death"})
    assert "review" in steps_offered(back)
    await h.step("review", submit=True)
    [case] = await stored_cases(h)
    assert case.referral.incident.kind == "death"


async def test_duplicate_warning_shows_the_existing_reference(harness: Harness) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", submit=True)
    review = await fill_to_review(
        h, incident={**INCIDENT, "date": "2026-11-20", "la_aware": "2026-11-20"}
    )
    assert "COV-2026-001" in json.dumps(cards_in(review))
    # It says what to do: the same incident goes to the business unit, a new one is submitted.
    said = card_strings(review)
    assert wording.DUPLICATE_ADVICE in said
    assert "Business unit: 024 7697 5477." in said
    await h.step("review", submit=True)
    assert [c.reference for c in await stored_cases(h)] == ["COV-2026-001", "COV-2026-002"]
    # The leads are told on the second case's card, by reference, with no name.
    first, second = (card for _, card in h.announcer.posts)
    note = wording.CASE_MAYBE_DUPLICATE.format(references="COV-2026-001")
    assert note in json.dumps(second)
    assert "May be the same child" not in json.dumps(first)
    assert "Jane" not in json.dumps(second)
    assert (await filed_case(h, "COV-2026-002")).possible_duplicates == ["COV-2026-001"]


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({}, "rapid_review"),
        ({"criteria": {**CRITERIA, "abuse_or_neglect": "not_suspected"}}, "learning_review"),
        (
            {
                "criteria": {**CRITERIA, "abuse_or_neglect": "not_suspected"},
                "incident": {**INCIDENT, "kind": "death"},
            },
            "cdop",
        ),
        (
            {
                "criteria": {**CRITERIA, "about_a_professional": "yes"},
                "incident": {**INCIDENT, "kind": "other"},
            },
            "lado",
        ),
    ],
)
async def test_each_screening_outcome(
    harness: Harness, overrides: dict[str, dict[str, Any]], outcome: str
) -> None:
    h = harness
    review = await fill_to_review(h, **overrides)
    assert "review" in steps_offered(review)
    await h.step("review", submit=True)
    [case] = await stored_cases(h)
    assert case.screening.outcome.value == outcome


async def test_a_child_seriously_harmed_by_a_professional_screens_to_both(
    harness: Harness,
) -> None:
    h = harness
    review = await fill_to_review(h, criteria={**CRITERIA, "about_a_professional": "yes"})
    text = json.dumps(cards_in(review))
    assert wording.SCREENING_EXPLANATIONS["rapid_review"] in text
    assert wording.SCREENING_EXPLANATIONS["lado"] in text
    await h.step("review", submit=True)
    [case] = await stored_cases(h)
    assert [r.value for r in case.screening.routes] == ["rapid_review", "lado"]
    [(_, posted)] = h.announcer.posts
    assert "A rapid review; The Local Authority Designated Officer" in json.dumps(posted)


async def test_an_adult_must_be_confirmed_and_screens_to_adult_review(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    await h.step("child", next="continue", **{**CHILD, "date_of_birth": "2006-01-01"})
    warned = await h.step("incident", **INCIDENT)
    assert steps_offered(warned) == {"incident"}
    assert "confirm_adult" in json.dumps(cards_in(warned))
    await h.step("incident", **INCIDENT, confirm_adult="true")
    for step, inputs in [("agencies", AGENCIES), ("criteria", CRITERIA), ("actions", ACTIONS)]:
        await h.step(step, **inputs)
    await h.step("review", submit=True)
    [case] = await stored_cases(h)
    assert case.screening.outcome.value == "adult_review"


async def test_the_case_is_filed_even_if_the_channel_post_fails(harness: Harness) -> None:
    h = harness
    h.announcer.fail = True
    await fill_to_review(h)
    filed = await h.step("review", submit=True)
    assert "COV-2026-001" in json.dumps(cards_in(filed))
    [case] = await stored_cases(h)
    assert case.channel_activity_id is None


async def test_a_referral_card_after_a_restart_is_handled_from_the_draft(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    for doc in await h.store.list(Collection.STATE):
        if not doc.key.startswith("draft:"):
            await h.store.delete(Collection.STATE, doc.key)
    assert steps_offered(await h.step("area", **AREA)) == {"referrer"}


_STEPS_BEFORE = STEPS_TO_REVIEW


@pytest.mark.parametrize("at_step", range(len(_STEPS_BEFORE) + 1))
async def test_an_emergency_typed_at_any_step_gets_999_and_the_draft_resumes(
    harness: Harness, at_step: int
) -> None:
    h = harness
    await h.say("refer")
    for step, inputs in _STEPS_BEFORE[:at_step]:
        await h.step(step, **inputs)
    urgent = await h.say("mum has taken an overdose and the baby is with her now")
    assert len(urgent) == 1
    assert "Call 999 now" in json.dumps(cards_in(urgent))
    # The draft survived: the same step accepts its answers and moves on.
    if at_step < len(_STEPS_BEFORE):
        step, inputs = _STEPS_BEFORE[at_step]
        following = _STEPS_BEFORE[at_step + 1][0] if at_step + 1 < len(_STEPS_BEFORE) else "review"
        assert following in steps_offered(await h.step(step, **inputs))
    else:
        await h.step("review", submit=True)
        assert len(await stored_cases(h)) == 1


async def test_typing_refer_mid_referral_shows_the_current_step(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    again = await h.say("refer")
    assert steps_offered(again) == {"referrer"}
    assert "front door" not in json.dumps(cards_in(again))


async def _drop_the_draft(h: Harness) -> None:
    """The draft goes while the dialog state stays (cancelled on another device, or swept)."""
    await h.store.delete(Collection.STATE, DraftRepository.key(USER.aad_object_id or ""))


@pytest.mark.parametrize("word", ["refer", "continue"])
async def test_typing_refer_when_the_draft_outlived_by_the_dialog_starts_afresh(
    harness: Harness, word: str
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await _drop_the_draft(h)
    fresh = await h.say(word)
    assert wording.REFERRAL_STARTED_AFRESH in texts_in(fresh)
    assert wording.REFERRAL_DRAFT_GONE not in texts_in(fresh)
    assert steps_offered(fresh) == {"safety"}
    # No loop: typed again, it shows where the new referral is, and the new one goes on.
    again = await h.say(word)
    assert texts_in(again) == []
    assert steps_offered(again) == {"safety"}
    assert steps_offered(await h.step("safety", answer="incident")) == {"area"}
    assert steps_offered(await h.step("area", **AREA)) == {"referrer"}


async def test_typing_refer_after_the_draft_was_filed_elsewhere_starts_a_new_referral(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    # Filed from another device while this dialog still stood at the review.
    await h.rewrite_draft(filed_reference="COV-2026-001")
    fresh = await h.say("refer")
    assert wording.REFERRAL_NEW_AFTER_FILED.format(reference="COV-2026-001") in texts_in(fresh)
    assert steps_offered(fresh) == {"safety"}
    assert steps_offered(await h.step("safety", answer="incident")) == {"area"}


async def test_typing_refer_while_a_filing_holds_the_draft_says_it_is_being_filed(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    await h.rewrite_draft(filing_since=h.clock.now())
    assert wording.REFERRAL_BEING_FILED in texts_in(await h.say("refer"))
    # A claimed draft is never offered for "start again", which would throw the referral away.
    for doc in await h.store.list(Collection.STATE):
        if not doc.key.startswith("draft:"):
            await h.store.delete(Collection.STATE, doc.key)
    assert wording.REFERRAL_BEING_FILED in texts_in(await h.say("refer"))
    h.clock.advance(minutes=3)
    finished = await h.say("refer")
    assert "COV-2026-001" in json.dumps(cards_in(finished))
    assert [c.reference for c in await stored_cases(h)] == ["COV-2026-001"]


async def test_editing_the_second_child_from_the_review(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    await h.step("child", next="add_child", **CHILD)
    sibling = {**CHILD, "name": "Tom Doe", "date_of_birth": "2019-06-01"}
    await h.step("child", next="continue", **sibling)
    for step, inputs in [
        ("incident", INCIDENT),
        ("agencies", AGENCIES),
        ("criteria", CRITERIA),
        ("actions", ACTIONS),
    ]:
        await h.step(step, **inputs)
    edit = await h.step("review", edit="child", child_index=1)
    assert "Tom Doe" in json.dumps(cards_in(edit))
    await h.step("child", next="continue", child_index=1, **{**sibling, "name": "Tom Smith"})
    await h.step("review", submit=True)
    [case] = await stored_cases(h)
    assert [c.name for c in case.referral.children] == ["Jane Doe", "Tom Smith"]


async def test_an_interrupted_filing_is_finished_at_the_next_submit(harness: Harness) -> None:
    from storage.cases import DraftRepository

    h = harness
    await fill_to_review(h)
    drafts = DraftRepository(h.store, ttl=timedelta(days=14))
    key = USER.aad_object_id
    loaded = await drafts.load(key, h.clock.now())
    assert loaded is not None
    stored, etag = loaded
    # The process died after claiming the draft (as the code before filing ids claimed it)
    # and before filing anything.
    await drafts.save(key, stored.model_copy(update={"filing_since": h.clock.now()}), etag)
    busy = await h.step("review", submit=True)
    assert wording.REFERRAL_BEING_FILED in texts_in(busy)
    h.clock.advance(minutes=3)
    # The claim is stale: this Submit finishes the filing and says the reference, in the turn.
    finished = await h.step("review", submit=True)
    assert "COV-2026-001" in json.dumps(cards_in(finished))
    again = await h.step("review", submit=True)
    assert wording.REFERRAL_ALREADY_FILED.format(reference="COV-2026-001") in texts_in(again)
    [case] = await stored_cases(h)
    assert case.reference == "COV-2026-001"
    assert case.submitted_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # when Submit was pressed
    assert case.filing_id


def test_initials_never_carry_a_name() -> None:
    from datetime import date as day

    from safeguarding.referral import Child

    def initials(name: str) -> str:
        return Child(name=name, date_of_birth=day(2020, 1, 1)).initials

    # A word is kept whole only when it cannot be a name: no vowel, plain Latin letters, or
    # letters typed one by one. A short name in capitals is still a name, in any script.
    assert initials("MIA") == "M"
    assert initials("TOM") == "T"
    assert initials("EVIE") == "E"
    assert initials("Mia") == "M"
    assert initials("JD") == "JD"
    assert initials("JMS") == "JMS"
    assert initials("A.J.S.") == "AJS"
    assert initials("Jane Doe") == "JD"
    assert initials("Zoë Ñúñez") == "ZÑ"
    for name in ("王伟", "ИВАН", "محمد", "Đức", "Ζωή"):
        assert len(initials(name)) == 1


async def test_a_referral_answer_saying_children_are_still_at_risk_gets_the_front_door(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    for step, inputs in _STEPS_BEFORE[1:-1]:
        await h.step(step, **inputs)
    replies = await h.step(
        "actions",
        **{**ACTIONS, "safety_actions": "None yet: the siblings are still at home with him"},
    )
    cards = cards_in(replies)
    assert "front door" in json.dumps(cards[0])  # the signpost comes first
    assert "review" in steps_offered(replies)  # and the referral carries on
    # Read as danger now: 999, saying it is for what was written, and that the next card is
    # below it.
    signpost = json.dumps(cards[0])
    assert "Call 999 now" in signpost
    assert wording.SIGNPOST_FROM_ANSWER_DANGER in signpost
    assert wording.SIGNPOST_ANSWER_SAVED in signpost


async def test_a_worry_in_what_happened_gets_the_front_door_saying_why_and_no_second_card(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    for step, inputs in _STEPS_BEFORE[:4]:
        await h.step(step, **inputs)
    replies = await h.step(
        "incident",
        **{
            **INCIDENT,
            "description": (
                "Admitted with a head injury. His sister is still at home with the same adults."
            ),
        },
    )
    cards = cards_in(replies)
    assert wording.CONCERN_TITLE in json.dumps(cards[0])  # the signpost comes first
    assert steps_offered(replies) == {"agencies"}  # and the referral carries on
    signpost = json.dumps(cards[0])
    # It says why it came, and that the next card (the one below) carries on; it does not
    # suggest a referral to someone making one, nor post a second copy of the next card.
    assert wording.SIGNPOST_FROM_ANSWER_RISK in signpost
    assert wording.SIGNPOST_ANSWER_SAVED in signpost
    assert wording.CONCERN_ALSO_INCIDENT not in signpost
    assert "actions" not in cards[0]
    assert len(cards) == 2


# --- which partnership leads: where the child was harmed, or lives (s16C(1)) ---

COVENTRY = "Coventry Safeguarding Children Partnership"
WARWICKSHIRE = "Warwickshire Safeguarding"


def card_strings(replies: list[Activity]) -> str:
    """Every string in the cards of some replies, as the client shows them (escapes and all)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(cards_in(replies))
    return "\n".join(found)


async def filed_case(h: Harness, reference: str) -> Case:
    loaded = await CaseRepository(h.store).get(reference)
    assert loaded is not None
    return loaded[0]


async def test_the_area_card_asks_where_the_child_was_harmed_as_well_as_where_they_live(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    [card] = cards_in(await h.step("safety", answer="incident"))
    inputs = {e["id"]: e for e in card["body"] if str(e.get("type", "")).startswith("Input.")}
    harm = inputs["harm_area"]
    assert harm["type"] == "Input.ChoiceSet"  # a choice, never free text
    assert harm["label"].endswith("(required)")
    values = {c["value"] for c in harm["choices"]}
    assert {"Coventry", "Warwickshire", "elsewhere_in_england", "outside_england"} <= values
    # Without it the card comes back, the answer given kept.
    again = await h.step("area", area="Warwickshire")
    assert steps_offered(again) == {"area"}
    card_text = json.dumps(cards_in(again))
    assert wording.REQUIRED_MESSAGES["area.harm_area"] in card_text
    assert '"value": "Warwickshire"' in card_text


async def test_the_partnership_where_the_child_was_harmed_leads_and_the_home_one_is_told(
    harness: Harness,
) -> None:
    h = harness
    review = await fill_to_review(h, area={"area": "Coventry", "harm_area": "Warwickshire"})
    reason = wording.LEAD_REASONS[LeadRule.WHERE_HARMED].format(
        lead=WARWICKSHIRE, harm="Warwickshire", what="the child was harmed"
    )
    shown = json.dumps(cards_in(review))
    assert reason in shown
    assert wording.TOLD_IN_CHANNEL.format(partnership=COVENTRY) in shown

    filed = await h.step("review", submit=True)
    acknowledgement = json.dumps(cards_in(filed))
    assert "WAR-2026-001" in acknowledgement  # the leading partnership's reference prefix
    assert wording.ACK_TOLD.format(partnership=COVENTRY) in acknowledgement
    case = await filed_case(h, "WAR-2026-001")
    assert case.partnership_id == "warwickshire"
    assert (case.referral.area.area, case.referral.area.harm_area) == ("Coventry", "Warwickshire")
    assert case.referral.area.told_partnership_id == "coventry"
    assert await stored_cases(h) == []  # Coventry takes part; it does not run the case

    # Warwickshire has no review channel in the example file: nothing is posted (or claimed)
    # for it, as the reminder tick posts nothing there either.
    assert h.announcer.posts == []
    # Coventry's review channel gets a short card: who leads and why, initials and age only.
    [(told_id, card)] = h.announcer.told
    assert told_id == "coventry"
    posted = json.dumps(card)
    assert "WAR-2026-001" in posted
    assert reason in posted
    assert "JD, 4 years" in posted
    for private in ("Jane", "Doe", "unexplained fractures", "Sam Patel", "Riverside"):
        assert private not in posted
    assert case.told_activity_id == "told-activity-1"
    trail = await CaseRepository(h.store).audit_trail("WAR-2026-001")
    assert [e["what"] for e in trail] == ["referral submitted", "home partnership told"]


async def test_harm_outside_england_is_led_by_the_partnership_where_the_child_lives(
    harness: Harness,
) -> None:
    h = harness
    review = await fill_to_review(h, area={"area": "Warwickshire", "harm_area": "outside_england"})
    reason = wording.LEAD_REASONS[LeadRule.HOME_HARMED_OUTSIDE_ENGLAND].format(
        lead=WARWICKSHIRE, home="Warwickshire"
    )
    assert reason in json.dumps(cards_in(review))
    await h.step("review", submit=True)
    case = await filed_case(h, "WAR-2026-001")
    assert case.referral.area.lead_rule is LeadRule.HOME_HARMED_OUTSIDE_ENGLAND
    assert case.referral.area.harm_area == "outside_england"
    assert h.announcer.told == []


async def test_harm_in_an_area_not_served_here_says_its_authority_leads_and_files_at_home(
    harness: Harness,
) -> None:
    h = harness
    review = await fill_to_review(h, area={"area": "Coventry", "harm_area": "elsewhere_in_england"})
    # Said plainly as soon as the place is chosen, before the next card.
    said = wording.REFERRAL_LEAD_NOT_SERVED.format(partnership=COVENTRY)
    assert said in texts_in(h.replies)
    shown = json.dumps(cards_in(review))
    assert wording.LEAD_MUST_BE_TOLD in shown
    assert wording.LEAD_NOT_HERE in shown

    filed = await h.step("review", submit=True)
    acknowledgement = json.dumps(cards_in(filed))
    assert wording.LEAD_MUST_BE_TOLD in acknowledgement
    # That authority notifies and leads (Children Act 2004 s16C(1)); Coventry counts no clock.
    assert wording.ACK_LEAD_ELSEWHERE.format(partnership=COVENTRY) in acknowledgement
    assert "If it notifies" not in acknowledgement
    assert "notification is due by" not in acknowledgement
    # Filed with the home partnership, which takes part, so nothing entered is lost.
    case = await filed_case(h, "COV-2026-001")
    assert case.referral.area.lead_rule is LeadRule.LEAD_NOT_SERVED
    [(partnership_id, case_card)] = h.announcer.posts
    assert partnership_id == "coventry"
    posted = json.dumps(case_card)
    assert wording.LEAD_MUST_BE_TOLD in posted
    assert wording.LEAD_NOT_HERE in posted
    assert h.announcer.told == []


@pytest.mark.parametrize(
    ("area", "problem"),
    [
        (
            {"area": "elsewhere_in_england", "harm_area": "elsewhere_in_england"},
            NoLead.NEITHER_SERVED,
        ),
        ({"area": "outside_england", "harm_area": "outside_england"}, NoLead.NOT_IN_ENGLAND),
        ({"area": "elsewhere_in_england", "harm_area": "outside_england"}, NoLead.HOME_NOT_SERVED),
    ],
)
async def test_when_no_partnership_here_can_take_it_the_card_says_why_and_keeps_the_answers(
    harness: Harness, area: dict[str, str], problem: NoLead
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    again = await h.step("area", other_area="Birmingham", **area)
    assert steps_offered(again) == {"area"}
    shown = card_strings(again)
    assert escape_markdown(wording.NO_LEAD_MESSAGES[problem]) in shown
    assert "Birmingham" in shown
    assert steps_offered(await h.step("area", area="Coventry", harm_area="Coventry")) == {
        "referrer"
    }


async def test_changing_the_place_from_the_review_reroutes_and_keeps_every_answer(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", edit="area")
    refused = await h.step("area", area="outside_england", harm_area="outside_england")
    assert steps_offered(refused) == {"area"}
    review = await h.step("area", area="Coventry", harm_area="Warwickshire")
    assert "review" in steps_offered(review)
    shown = json.dumps(cards_in(review))
    assert "Sam Patel" in shown
    assert "unexplained fractures" in shown
    await h.step("review", submit=True)
    assert (await filed_case(h, "WAR-2026-001")).referral.children[0].name == "Jane Doe"


async def test_a_draft_saved_before_the_place_of_harm_was_asked_asks_it_then_returns(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    # As a draft written by the previous release: the area step had no place of harm.
    key = DraftRepository.key(str(USER.aad_object_id))
    doc = await h.store.get(Collection.STATE, key)
    assert doc is not None
    data = json.loads(json.dumps(doc.data))
    for name in ("harm_area", "lead_rule", "told_partnership_id"):
        data["draft"]["area"].pop(name, None)
    await h.store.put(Collection.STATE, key, data, if_match=doc.etag)

    stopped = await h.step("review", submit=True)
    assert steps_offered(stopped) == {"area"}
    assert await stored_cases(h) == []
    assert '"value": "Coventry"' in json.dumps(cards_in(stopped))  # the old answer is kept
    review = await h.step("area", area="Coventry", harm_area="Coventry")
    assert "review" in steps_offered(review)
    await h.step("review", submit=True)
    assert [c.reference for c in await stored_cases(h)] == ["COV-2026-001"]


async def test_initials_typed_are_kept_and_the_duplicate_check_matches_a_full_name(
    harness: Harness,
) -> None:
    h = harness
    review = await fill_to_review(h, child={**CHILD, "name": "JMS"})
    # The review card shows exactly what the channel will show: initials and age.
    [review_card] = cards_in(review)
    shown_as = [
        fact["value"]
        for block in review_card["body"]
        for item in block.get("items", [])
        if item.get("type") == "FactSet"
        for fact in item["facts"]
        if fact["title"] == wording.FACT_CHANNEL_INITIALS
    ]
    assert shown_as == ["JMS, 4 years"]
    await h.step("review", submit=True)
    [(_, channel_card)] = h.announcer.posts
    assert "JMS, 4 years" in json.dumps(channel_card)
    assert "J, 4 years" not in json.dumps(channel_card)

    # The same child referred again by full name is the same initials: the check finds it.
    again = await fill_to_review(h, child={**CHILD, "name": "Jane Mary Smith"})
    assert "COV-2026-001" in json.dumps(cards_in(again))
    await h.step("review", submit=True)
    # And initials typed another way (dots, lower case) still match both.
    third = await fill_to_review(h, child={**CHILD, "name": "j.m.s."})
    assert "COV-2026-001, COV-2026-002" in json.dumps(cards_in(third))


def actions_titled(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Submit of a card by its title."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found[str(node.get("title"))] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def input_values(card: dict[str, Any]) -> dict[str, Any]:
    return {e["id"]: e.get("value") for e in card["body"] if "id" in e and "value" in e}


def errors_under(card: dict[str, Any]) -> dict[str, str]:
    """The message under each input of a section card, by the input's id (prefix removed)."""
    prefix = wording.ERROR_PREFIX.format(message="")
    return {
        e["id"].removesuffix("_error"): e["text"].removeprefix(prefix).replace("\\", "")
        for e in card["body"]
        if str(e.get("id", "")).endswith("_error")
    }


async def test_every_step_after_the_first_has_back_and_keeps_what_was_typed(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    [area] = cards_in(await h.step("safety", answer="incident"))
    assert wording.BACK in actions_titled(area)
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    await h.step("child", next="continue", **CHILD)
    # Half an incident card, its required description still empty: Back keeps it.
    half = {"date": "2026-11-16", "kind": "death", "description": ""}
    [child] = cards_in(await h.step("incident", back="true", **half))
    assert input_values(child)["name"] == "Jane Doe"  # the child, as saved
    assert actions_titled(child)[wording.BACK]["data"]["child_index"] == 0
    [referrer] = cards_in(await h.step("child", back="true", child_index=0, **CHILD))
    assert input_values(referrer)["agency"] == "Riverside Primary School"
    [area_again] = cards_in(await h.step("referrer", back="true", **REFERRER))
    assert input_values(area_again)["area"] == "Coventry"
    assert steps_offered(await h.step("area", back="true", **AREA)) == {"safety"}
    # Forward again, each card as it was left, the incident with what was typed on it.
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    [incident] = cards_in(await h.step("child", next="continue", child_index=0, **CHILD))
    values = input_values(incident)
    assert (values["date"], values["kind"]) == ("2026-11-16", "death")
    await h.step("incident", **INCIDENT)
    await h.step("agencies", **AGENCIES)
    await h.step("criteria", **CRITERIA)
    [review] = cards_in(await h.step("actions", **ACTIONS))
    back = actions_titled(review)[wording.BACK]
    assert back["associatedInputs"] == "None"
    [actions] = cards_in(await h.step("review", back="true"))
    assert input_values(actions)["media_interest"] == "no"
    assert "review" in steps_offered(await h.step("actions", **ACTIONS))


async def test_back_from_an_edit_returns_to_the_review_and_keeps_the_typing(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    [edit] = cards_in(await h.step("review", edit="incident"))
    assert wording.BACK_TO_REVIEW in actions_titled(edit)
    review = await h.step("incident", back="true", **{**INCIDENT, "location": "At home"})
    assert "review" in steps_offered(review)
    [again] = cards_in(await h.step("review", edit="incident"))
    assert input_values(again)["location"] == "At home"


async def test_a_date_of_birth_after_the_incident_offers_to_go_to_it(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    # A slip in the date of birth: after the (recent) incident.
    await h.step(
        "child", next="continue", **{**CHILD, "name": "JMS", "date_of_birth": "2026-11-20"}
    )
    [card] = cards_in(await h.step("incident", **INCIDENT))
    text = json.dumps(card)
    assert "JMS's date of birth is most likely wrong" in text
    # The banner names the date judged wrong, as the message under the incident date does.
    assert "Check: JMS's date of birth." in text
    assert "Check: date of the incident." not in text
    go = actions_titled(card)["Change JMS's date of birth"]
    assert go["data"]["go_to"] == "child"
    assert go["data"]["go_to_child"] == 0
    # Going there keeps the incident card's answers; fixing it comes back to them.
    [child] = cards_in(await h.step("incident", go_to="child", go_to_child=0, **INCIDENT))
    assert input_values(child)["date_of_birth"] == "2026-11-20"
    # The child card shows the problem at once: under the date of birth, with the incident
    # date (typed on its card, not saved yet), and offers the incident date instead.
    problem = (
        "This date of birth is after the incident date (16 November 2026). The date of birth is"
        " most likely wrong: check it."
    )
    assert errors_under(child) == {"date_of_birth": problem}
    assert "Check: date of birth." in json.dumps(child)
    assert wording.GO_TO_INCIDENT_DATE in actions_titled(child)
    # Continue with the date of birth unchanged is refused there, not slipped past.
    unchanged = {**CHILD, "name": "JMS", "date_of_birth": "2026-11-20"}
    [again] = cards_in(await h.step("child", next="continue", child_index=0, **unchanged))
    assert errors_under(again) == {"date_of_birth": problem}
    fixed = {**CHILD, "name": "JMS"}
    [incident] = cards_in(await h.step("child", next="continue", child_index=0, **fixed))
    assert input_values(incident)["description"] == INCIDENT["description"]
    assert steps_offered(await h.step("incident", **INCIDENT)) == {"agencies"}


async def test_every_bad_date_shows_at_once_and_the_banner_names_the_fields(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    await h.step("child", next="continue", **CHILD)
    bad = {**INCIDENT, "date": "2026-12-01", "la_aware": "2026-12-02"}
    [card] = cards_in(await h.step("incident", **bad))
    text = json.dumps(card)
    assert "The incident date cannot be in the future" in text
    assert "This date cannot be in the future" in text
    assert "Check: date of the incident, when the LA became aware." in text
    assert input_values(card)["description"] == INCIDENT["description"]


async def test_review_buttons_say_what_they_edit(harness: Harness) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    await h.step("child", next="add_child", **CHILD)
    await h.step("child", next="continue", **{**CHILD, "name": "Tom Doe"})
    for step, inputs in [
        ("incident", INCIDENT),
        ("agencies", AGENCIES),
        ("criteria", CRITERIA),
        ("actions", ACTIONS),
    ]:
        review = await h.step(step, **inputs)
    [card] = cards_in(review)
    titles = [t for t, a in actions_titled(card).items() if a["data"].get("edit")]
    assert "Edit" not in titles
    assert len(titles) == len(set(titles)) == 8
    assert {"Edit child 1", "Edit child 2", "Edit the incident", "Edit where"} <= set(titles)
    # Editing an existing child offers no "Save and add another child".
    [edit] = cards_in(await h.step("review", edit="child", child_index=1))
    assert wording.CHILD_ADD_ANOTHER not in actions_titled(edit)


# --- a partnership with no review channel: filed, and the referrer told to send it on ---


def _acknowledgement(filed: list[Activity]) -> str:
    [card] = [c for c in cards_in(filed) if "received" in c["body"][0].get("text", "")]
    return "\n".join(block.get("text", "") for block in _text_blocks(card))


def _text_blocks(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append(node)
        for value in node.values():
            found.extend(_text_blocks(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_text_blocks(item))
    return found


async def test_a_referral_to_a_partnership_with_no_review_channel_is_filed_and_sent_on(
    harness: Harness,
) -> None:
    h = harness
    # Warwickshire has no review channel and no business-unit contact in the example file.
    await fill_to_review(h, area={"area": "Warwickshire", "harm_area": "Warwickshire"})
    filed = await h.step("review", submit=True)
    case = await filed_case(h, "WAR-2026-001")  # a statutory referral is never lost
    assert case.partnership_id == "warwickshire"
    said = _acknowledgement(filed)
    assert "WAR-2026-001" in said
    assert wording.ACK_NO_CHANNEL.format(partnership=WARWICKSHIRE, reference="WAR-2026-001") in said
    assert (
        wording.ACK_NO_CHANNEL_NO_CONTACT.format(partnership=WARWICKSHIRE, reference="WAR-2026-001")
        in said
    )
    # No promise the bot cannot keep: nobody at Warwickshire sees it in Teams.
    assert "review subgroup" not in said
    assert "will look at" not in said
    assert "will consider" not in said
    # Nor later, when the referrer asks where it is.
    [status] = texts_in(await h.say("status"))
    assert "WAR-2026-001" in status
    assert wording.CASE_STATUS_NO_CHANNEL.format(partnership=WARWICKSHIRE) in status
    assert "will consider" not in status


async def test_with_no_review_channel_the_referrer_is_given_the_business_unit(
    harness: Harness,
) -> None:
    h = harness
    # Cheshire West and Chester: no review channel, but its business unit's email is set.
    where = {"area": "Cheshire West and Chester", "harm_area": "Cheshire West and Chester"}
    await fill_to_review(h, area=where)
    filed = await h.step("review", submit=True)
    assert await filed_case(h, "CWC-2026-001")
    said = _acknowledgement(filed)
    assert (
        wording.ACK_NO_CHANNEL_SEND_TO.format(
            contacts=escape_markdown("SCP@cheshirewestandchester.gov.uk")
        )
        in said
    )
    assert "will look at" not in said
    assert "directly" not in said


async def test_with_a_review_channel_the_acknowledgement_says_the_subgroup_looks_at_it(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    said = _acknowledgement(await h.step("review", submit=True))
    assert "review subgroup (Safeguarding Reviews Subgroup) will look at" in said
    assert "no Teams review channel" not in said


# --- the acknowledgement's next steps: Teams suggested actions the bot understands ---


async def test_the_acknowledgement_offers_check_status_and_start_another(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    filed = await h.step("review", submit=True)
    [acknowledgement] = [r for r in filed if r.attachments]
    assert acknowledgement.suggested_actions is not None
    offered = [(a.type, a.title, a.value) for a in acknowledgement.suggested_actions.actions]
    assert offered == [
        ("imBack", wording.SUGGEST_CHECK_STATUS, "status"),
        ("imBack", wording.SUGGEST_START_ANOTHER, "refer"),
    ]

    # "Check status" sends "status": the case-status answer for this user.
    said = texts_in(await h.say("status"))
    assert len(said) == 1
    assert "COV-2026-001" in said[0]

    # "Start another" sends "refer": a new referral starts at the safety question.
    again = await h.say("refer")
    assert steps_offered(again) == {"safety"}
    assert steps_offered(await h.step("safety", answer="incident")) == {"area"}


async def test_the_acknowledgement_carries_the_same_next_steps_as_buttons(
    harness: Harness,
) -> None:
    # Some clients (the Agents Playground) hide suggested actions under a card: the card has
    # the same two as buttons, which do what the typed words do.
    h = harness
    await fill_to_review(h)
    filed = await h.step("review", submit=True)
    [card] = cards_in(filed)
    assert [(a["type"], a["title"]) for a in card["actions"]] == [
        ("Action.Submit", wording.SUGGEST_CHECK_STATUS),
        ("Action.Submit", wording.SUGGEST_START_ANOTHER),
    ]
    assert wording.ACK_STATUS_ANY_TIME in json.dumps(card)
    check, start = (a["data"] for a in card["actions"])

    pressed = await h.submit(**check)
    typed = await h.say("status")
    assert texts_in(pressed) == texts_in(typed)
    assert "COV-2026-001" in texts_in(pressed)[0]

    again = await h.submit(**start)
    assert steps_offered(again) == {"safety"}
    # "status" works at any time, as the card says: in the middle of the new referral too,
    # and the referral keeps its place.
    await h.step("safety", answer="incident")
    # Mid-referral it also says the referral in progress is kept.
    mid = [*texts_in(typed), wording.STATUS_DRAFT_KEPT]
    assert texts_in(await h.say("status")) == mid
    assert texts_in(await h.submit(**check)) == mid
    assert steps_offered(await h.step("area", **AREA)) == {"referrer"}


async def test_start_a_referral_on_the_help_card_mid_referral_says_one_thing(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    helped = await h.say("help")
    # The note under the help card no longer points to "the card above" (the help card is).
    assert texts_in(helped) == [wording.REFERRAL_HELP_NOTE]
    assert "card above" not in wording.REFERRAL_HELP_NOTE
    [help_card] = cards_in(helped)
    [start] = [a["data"] for a in help_card["actions"] if a["data"]["action"] == "start_referral"]
    pressed = await h.submit(**start)
    # One message, then the card the referral is at, once: no "Please answer using the card".
    assert texts_in(pressed) == [wording.REFERRAL_ALREADY_IN_PROGRESS]
    assert steps_offered(pressed) == {"review"}
    assert len(cards_in(pressed)) == 1
    # The help card's own Help button, pressed mid-referral, is help again.
    [again] = [a["data"] for a in help_card["actions"] if a["data"]["action"] == "help"]
    assert texts_in(await h.submit(**again)) == [wording.REFERRAL_HELP_NOTE]


async def test_status_tells_referrals_apart_by_initials_and_age(harness: Harness) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", submit=True)
    await fill_to_review(h, child={**CHILD, "name": "Ben Lee", "date_of_birth": "2019-06-01"})
    await h.step("review", submit=True)
    [said] = texts_in(await h.say("status"))
    first, second = said.split("\n\n")
    assert first.startswith("**COV-2026-001** · JD, 4 years (submitted")
    assert second.startswith("**COV-2026-002** · BL, 7 years (submitted")
    assert "Jane" not in said


async def test_a_second_referral_fills_about_you_from_the_users_last_one(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", submit=True)
    await h.say("refer")
    await h.step("safety", answer="incident")
    [about_you] = cards_in(await h.step("area", **AREA))
    values = input_values(about_you)
    assert {key: values.get(key) for key in ("name", "role", "agency", "contact")} == {
        key: REFERRER[key] for key in ("name", "role", "agency", "contact")
    }
    # Whether their safeguarding lead agreed is about this referral: asked again.
    assert "lead_agreed" not in values
    assert wording.REFERRER_PREFILLED.format(reference="COV-2026-001") in json.dumps(about_you)
    # Nothing is saved until they press Continue, as if they had typed it.
    assert "child" in steps_offered(await h.step("referrer", **REFERRER))


async def test_about_you_is_never_filled_from_someone_elses_referral(harness: Harness) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", submit=True)
    # The case the filed marker names was filed by another user (as a forged marker would be).
    repo = CaseRepository(h.store)
    loaded = await repo.get("COV-2026-001")
    assert loaded is not None
    case, etag = loaded
    other = case.submitted_by.model_copy(update={"user_id": "29:other", "aad_object_id": "x"})
    await repo.save(case.model_copy(update={"submitted_by": other}), etag)
    await h.say("refer")
    await h.step("safety", answer="incident")
    [about_you] = cards_in(await h.step("area", **AREA))
    assert "value" not in json.dumps([e for e in about_you["body"] if e.get("id") == "name"])
    assert "Filled in from" not in json.dumps(about_you)


async def test_status_typed_before_any_referral_says_there_is_none(harness: Harness) -> None:
    said = texts_in(await harness.say("status"))
    assert said == [wording.CASE_STATUS_NONE]


async def test_back_from_a_new_childs_card_keeps_what_was_typed_on_it(
    harness: Harness,
) -> None:
    h = harness
    await h.say("refer")
    await h.step("safety", answer="incident")
    await h.step("area", **AREA)
    await h.step("referrer", **REFERRER)
    await h.step("child", next="add_child", **CHILD)
    # Half of a second child's card, then Back to the first child.
    await h.step("child", back="true", name="Tommy Sibling", unborn="false")
    [second] = cards_in(await h.step("child", next="add_child", child_index=0, **CHILD))
    assert input_values(second)["name"] == "Tommy Sibling"


async def test_a_card_left_by_back_as_it_was_saved_is_not_said_to_be_unsaved(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", edit="child", child_index=0)
    # The same answers, as a card sends them (booleans and choice sets as text, in any order).
    same = {**CHILD, "statuses": "child_protection_plan"}
    [review] = cards_in(await h.step("child", back="true", child_index=0, **same))
    assert "Not saved yet" not in json.dumps(review)
    await h.step("review", edit="incident")
    [review] = cards_in(await h.step("incident", back="true", **INCIDENT))
    assert "Not saved yet" not in json.dumps(review)


async def test_changes_left_by_back_to_the_review_are_said_to_be_unsaved(
    harness: Harness,
) -> None:
    h = harness
    await fill_to_review(h)
    await h.step("review", edit="incident")
    [review] = cards_in(
        await h.step("incident", back="true", **{**INCIDENT, "description": "Changed."})
    )
    assert "Not saved yet: your changes to the incident" in json.dumps(review)
    # Saving the section clears the note.
    await h.step("review", edit="incident")
    [saved] = cards_in(await h.step("incident", **{**INCIDENT, "description": "Changed."}))
    assert "Not saved yet" not in json.dumps(saved)
