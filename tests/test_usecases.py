"""The use cases on their own: plain inputs in, replies out; no TestAdapter, no Teams SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cards import wording
from safeguarding.calendar import PartnershipCalendars
from safeguarding.cases import Case
from safeguarding.leading import LeadRule
from safeguarding.partnerships import Partnership, load_partnerships
from safeguarding.referral import Area, Draft, Step
from safeguarding.triage import classify
from storage.base import Store, StoreError
from storage.cases import CaseRepository, DraftRepository, StoredDraft
from storage.deliveries import DeliveryLog, DeliveryState
from storage.stats import RedirectCounter
from storage.tinydb_store import TinyDBStore
from tests.support.cases import draft_of, make_case, make_referral
from tests.support.fakes import FakeClock
from usecases.answers import Answers
from usecases.delivery import CaseAnnouncements, OnceSender
from usecases.errors import NotifierError
from usecases.leads import LeadDirectory
from usecases.people import Person
from usecases.referrals import Filed, ReferralFiling, Released, SendBack
from usecases.replies import Reply
from usecases.safety import SafetyDesk, storeless_signpost

PARTNERSHIPS = load_partnerships(EXAMPLE_PARTNERSHIPS)
CALENDARS = PartnershipCalendars()
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, office hours
PERSON = Person(teams_id="29:referrer", aad_object_id="aad-referrer", name="Sam")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[TinyDBStore]:
    opened = TinyDBStore(tmp_path / "data")
    yield opened
    await opened.close()


def _texts(reply: Reply) -> str:
    return " ".join(str(m.text or m.card) for m in reply.messages)


class _BrokenCounter(RedirectCounter):
    async def count(self, *, label: str, partnership_id: str | None, at: datetime) -> None:
        raise StoreError("down")


def _desk(store: TinyDBStore, redirects: RedirectCounter | None = None) -> SafetyDesk:
    return SafetyDesk(
        partnerships=PARTNERSHIPS,
        calendars=CALENDARS,
        drafts=DraftRepository(store, ttl=timedelta(days=30)),
        redirects=redirects or RedirectCounter(store),
        clock=FakeClock(NOW),
    )


async def test_an_emergency_signpost_is_said_first_and_counted_after(store: TinyDBStore) -> None:
    redirects = RedirectCounter(store)
    triage = classify("theres a man with a knife in the house with the kids now")
    reply = await _desk(store, redirects).signpost(PERSON, triage, in_referral=False)
    assert "Call 999 now" in _texts(reply)
    assert await redirects.report() == []  # nothing counted until the message has gone
    for after in reply.after:
        await after()
    assert [row[2] for row in await redirects.report()] == ["emergency"]


async def test_a_counting_failure_never_stops_the_signpost(store: TinyDBStore) -> None:
    triage = classify("i think a child in my class is being hit at home")
    reply = await _desk(store, _BrokenCounter(store)).signpost(PERSON, triage, in_referral=False)
    assert "024 7678 8555" in _texts(reply)
    for after in reply.after:
        await after()  # logs, does not raise


async def test_no_signpost_for_a_process_question(store: TinyDBStore) -> None:
    triage = classify("how long does a rapid review take?")
    assert await _desk(store).signpost(PERSON, triage, in_referral=False) == Reply()


def test_the_storeless_signpost_needs_no_store() -> None:
    triage = classify("a toddler is on the railway line and a train is coming")
    reply = storeless_signpost(
        triage, PARTNERSHIPS.partnerships.values(), CALENDARS, FakeClock(NOW)
    )
    assert "Call 999 now" in _texts(reply)
    assert (
        storeless_signpost(None, PARTNERSHIPS.partnerships.values(), CALENDARS, FakeClock(NOW))
        == Reply()
    )


async def test_a_referral_answer_naming_siblings_still_at_home_gets_the_front_door(
    store: TinyDBStore,
) -> None:
    reply = await _desk(store).screen_field(PERSON, "the siblings are still at home with him")
    assert "024 7678 8555" in _texts(reply)
    assert await _desk(store).screen_field(PERSON, "Admitted with fractures.") == Reply()


async def test_case_status_is_the_same_answer_for_a_stranger_whether_or_not_the_case_exists(
    store: TinyDBStore,
) -> None:
    cases = CaseRepository(store)
    await cases.create(make_case(make_referral(), user_id=PERSON.teams_id))
    answers = Answers(
        partnerships=PARTNERSHIPS,
        faqs={},
        national=(),
        cases=cases,
        drafts=DraftRepository(store, ttl=timedelta(days=30)),
        redirects=RedirectCounter(store),
        clock=FakeClock(NOW),
        leads=LeadDirectory(groups=None),
    )
    stranger = Person(teams_id="29:stranger")
    existing = await answers.case_status(stranger, "any news on COV-2026-001?")
    missing = await answers.case_status(stranger, "any news on COV-2026-999?")
    assert existing == missing == Reply.of(wording.CASE_STATUS_NOT_YOURS)
    mine = await answers.case_status(PERSON, "any news on cov 2026 001?")
    assert "COV-2026-001" in _texts(mine)


@dataclass
class _Announcer:
    posts: list[str] = field(default_factory=list)
    told: list[tuple[str, str, str]] = field(default_factory=list)
    fail: bool = False
    fail_telling: bool = False

    async def announce_case(self, case: Case, partnership: Partnership) -> str:
        if self.fail:
            raise NotifierError("channel gone")
        self.posts.append(case.reference)
        return f"activity-{case.reference}"

    async def tell_partnership(self, case: Case, lead: Partnership, told: Partnership) -> str:
        if self.fail_telling:
            raise NotifierError("channel gone")
        self.told.append((case.reference, lead.id, told.id))
        return f"told-{case.reference}"


def _ready_draft(area: Area | None = None) -> StoredDraft:
    referral = make_referral()
    draft = draft_of(referral)
    if area is not None:
        draft = draft.model_copy(update={"area": area})
    return StoredDraft(draft=draft, started=NOW, updated=NOW)


def _filing(
    store: Store, announcer: Any, clock: FakeClock | None = None
) -> tuple[ReferralFiling, DraftRepository]:
    drafts = DraftRepository(store, ttl=timedelta(days=30))
    at = clock or FakeClock(NOW)
    cases = CaseRepository(store)
    sender = OnceSender(log=DeliveryLog(store), clock=at, owner="test")
    filing = ReferralFiling(
        partnerships=PARTNERSHIPS,
        drafts=drafts,
        cases=cases,
        announcements=CaseAnnouncements(announcer=announcer, cases=cases, sender=sender, clock=at),
        calendars=CALENDARS,
        clock=at,
    )
    return filing, drafts


async def test_filing_makes_one_case_acknowledges_then_announces(store: TinyDBStore) -> None:
    announcer = _Announcer()
    filing, drafts = _filing(store, announcer)
    etag = await drafts.save(PERSON.key, _ready_draft(), None)
    outcome = await filing.file(PERSON, _ready_draft(), etag)
    assert isinstance(outcome, Filed)
    assert outcome.reference == "COV-2026-001"
    assert outcome.reply.messages[0].summary is not None
    assert announcer.posts == []  # the referrer is told first
    for after in outcome.reply.after:
        await after()
    assert announcer.posts == ["COV-2026-001"]
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].channel_activity_id == "activity-COV-2026-001"
    marker = await drafts.load(PERSON.key, NOW)
    assert marker is not None
    assert marker[0].filed_reference == "COV-2026-001"
    assert marker[0].draft == Draft()  # no referral data stays in the draft


async def test_a_referral_filed_after_the_sin_date_is_acknowledged_as_overdue(
    store: TinyDBStore,
) -> None:
    # LA aware Fri 20 Nov 2026: the SIN was due Fri 27 Nov; filed Tue 1 Dec.
    filed_on = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    referral = make_referral(incident=date(2026, 11, 19), la_aware=date(2026, 11, 20))
    stored = _ready_draft().model_copy(
        update={"draft": _ready_draft().draft.model_copy(update={"incident": referral.incident})}
    )
    filing, drafts = _filing(store, _Announcer(), FakeClock(filed_on))
    etag = await drafts.save(PERSON.key, stored, None)
    outcome = await filing.file(PERSON, stored, etag)
    assert isinstance(outcome, Filed)
    text = _texts(outcome.reply)
    assert wording.ACK_SIN_OVERDUE.format(due="Friday 27 November 2026") in text


async def test_a_failed_announcement_leaves_the_case_filed(store: TinyDBStore) -> None:
    filing, drafts = _filing(store, _Announcer(fail=True))
    etag = await drafts.save(PERSON.key, _ready_draft(), None)
    outcome = await filing.file(PERSON, _ready_draft(), etag)
    assert isinstance(outcome, Filed)
    for after in outcome.reply.after:
        await after()
    loaded = await CaseRepository(store).get(outcome.reference)
    assert loaded is not None
    assert loaded[0].channel_activity_id is None


async def test_an_unfinished_draft_is_sent_back_to_the_missing_section(store: TinyDBStore) -> None:
    filing, drafts = _filing(store, _Announcer())
    stored = _ready_draft().model_copy(
        update={"draft": _ready_draft().draft.model_copy(update={"incident": None})}
    )
    etag = await drafts.save(PERSON.key, stored, None)
    outcome = await filing.file(PERSON, stored, etag)
    assert isinstance(outcome, SendBack)
    assert outcome.draft.step is Step.INCIDENT
    assert await CaseRepository(store).for_partnership("coventry") == []


# Lives in Coventry, harmed in Warwickshire: Warwickshire leads, Coventry is told.
HARMED_IN_WARWICKSHIRE = Area(
    area="Coventry",
    harm_area="Warwickshire",
    partnership_id="warwickshire",
    lead_rule=LeadRule.WHERE_HARMED,
    told_partnership_id="coventry",
)


async def test_filing_tells_the_home_partnership_when_another_leads(store: TinyDBStore) -> None:
    announcer = _Announcer()
    filing, drafts = _filing(store, announcer)
    stored = _ready_draft(HARMED_IN_WARWICKSHIRE)
    outcome = await filing.file(PERSON, stored, await drafts.save(PERSON.key, stored, None))
    assert isinstance(outcome, Filed)
    assert outcome.reference == "WAR-2026-001"
    assert announcer.told == []  # the referrer is told first
    for after in outcome.reply.after:
        await after()
    assert announcer.posts == []  # Warwickshire has no review channel: nothing to post there
    assert announcer.told == [("WAR-2026-001", "warwickshire", "coventry")]
    loaded = await CaseRepository(store).get("WAR-2026-001")
    assert loaded is not None
    assert loaded[0].told_activity_id == "told-WAR-2026-001"


async def test_a_home_partnership_with_no_review_channel_is_not_posted_to(
    store: TinyDBStore,
) -> None:
    # Lives in Warwickshire (no review channel in the example file), harmed in Coventry.
    area = Area(
        area="Warwickshire",
        harm_area="Coventry",
        partnership_id="coventry",
        lead_rule=LeadRule.WHERE_HARMED,
        told_partnership_id="warwickshire",
    )
    announcer = _Announcer()
    filing, drafts = _filing(store, announcer)
    stored = _ready_draft(area)
    outcome = await filing.file(PERSON, stored, await drafts.save(PERSON.key, stored, None))
    assert isinstance(outcome, Filed)
    for after in outcome.reply.after:
        await after()
    assert announcer.posts == ["COV-2026-001"]
    assert announcer.told == []


async def test_a_failed_telling_leaves_the_case_filed_for_the_reminders_to_retry(
    store: TinyDBStore,
) -> None:
    filing, drafts = _filing(store, _Announcer(fail_telling=True))
    stored = _ready_draft(HARMED_IN_WARWICKSHIRE)
    outcome = await filing.file(PERSON, stored, await drafts.save(PERSON.key, stored, None))
    assert isinstance(outcome, Filed)
    for after in outcome.reply.after:
        await after()
    loaded = await CaseRepository(store).get("WAR-2026-001")
    assert loaded is not None
    assert loaded[0].told_activity_id is None
    record = await DeliveryLog(store).get("told|WAR-2026-001")
    assert record is not None
    assert record.state is DeliveryState.FAILED  # so the tick tries it again


async def test_recovery_finishes_a_claim_from_before_filing_ids_with_its_reference(
    store: TinyDBStore,
) -> None:
    filing, drafts = _filing(store, _Announcer())
    claimed = _ready_draft().model_copy(
        update={"filing_since": NOW - timedelta(minutes=5), "filing_reference": "COV-2026-007"}
    )
    etag = await drafts.save(PERSON.key, claimed, None)
    outcome = await filing.recover(PERSON, claimed, etag)
    assert isinstance(outcome, Filed)
    assert outcome.reference == "COV-2026-007"  # the reference this filing had reserved
    loaded = await CaseRepository(store).get("COV-2026-007")
    assert loaded is not None
    assert loaded[0].submitted_at == NOW - timedelta(minutes=5)
    assert loaded[0].filing_id == outcome.filing_id


async def test_recovery_releases_a_claimed_draft_that_cannot_be_filed(store: TinyDBStore) -> None:
    filing, drafts = _filing(store, _Announcer())
    claimed = _ready_draft().model_copy(
        update={
            "draft": _ready_draft().draft.model_copy(update={"incident": None}),
            "filing_since": NOW - timedelta(minutes=5),
        }
    )
    etag = await drafts.save(PERSON.key, claimed, None)
    outcome = await filing.recover(PERSON, claimed, etag)
    assert isinstance(outcome, Released)
    assert outcome.notice == wording.REFERRAL_SECTION_MISSING
    assert outcome.stored.filing_since is None
    assert outcome.stored.draft.step is Step.INCIDENT
    assert await CaseRepository(store).for_partnership("coventry") == []


async def test_the_upn_is_asked_of_teams_only_when_a_lead_is_known_by_upn_alone() -> None:
    asked: list[str] = []

    async def lookup() -> str | None:
        asked.append("asked")
        return "lead@council.example"

    person = Person(teams_id="29:x", aad_object_id="aad-x", lookup_upn=lookup)
    coventry = PARTNERSHIPS.partnerships["coventry"]
    by_id_only = coventry.model_copy(
        update={"leads": tuple(lead for lead in coventry.leads if lead.aad_object_id)}
    )
    await LeadDirectory(groups=None).lead_for(by_id_only, person)
    assert asked == []
    by_upn = by_id_only.model_copy(
        update={
            "leads": (
                *by_id_only.leads,
                by_id_only.leads[0].model_copy(
                    update={"aad_object_id": None, "upn": "LEAD@council.example"}
                ),
            )
        }
    )
    lead = await LeadDirectory(groups=None).lead_for(by_upn, person)
    assert asked == ["asked"]
    assert lead is not None
    assert lead.upn == "LEAD@council.example"


def test_request_values_in_logs_are_quoted_stripped_and_short() -> None:
    from usecases.logs import quoted

    assert quoted("sin_made") == '"sin_made"'
    assert quoted("x\nINFO forged line\r") == '"xINFO forged line"'
    assert quoted("a" * 100).endswith('…"')
    assert len(quoted("a" * 100)) == 43
    assert quoted({"nested": 1}) == '"dict"'


def test_odd_submit_values_are_no_answer_not_an_unknown_card() -> None:
    from dialogs.submits import CancelSubmit, ReferralSubmit, ResumeSubmit, parse_submit

    resume = parse_submit({"action": "referral_resume", "choice": 1})
    assert isinstance(resume, ResumeSubmit)
    assert not resume.restart
    cancel = parse_submit({"action": "referral_cancel", "choice": True})
    assert isinstance(cancel, CancelSubmit)
    assert not cancel.confirmed
    step = parse_submit({"action": "referral", "child_index": "²", "submit": "true"})
    assert isinstance(step, ReferralSubmit)
    assert step.child_index is None
    assert step.submit is True
    assert parse_submit({"action": "nope"}) is None
    assert parse_submit("referral") is None


async def test_the_error_handler_does_not_signpost_twice() -> None:
    from botbuilder.core import TurnContext
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

    from bot.app import turn_error_handler
    from dialogs.turns import send_signpost, turn_triage

    sent: list[Activity] = []

    async def logic(context: TurnContext) -> None:
        return None

    adapter = TestAdapter(logic)
    activity = Activity(
        type=ActivityTypes.message,
        text="theres a man with a knife in the house with the kids now",
        channel_id="msteams",
        service_url="https://example.test",
        conversation=ConversationAccount(id="personal-1", conversation_type="personal"),
        from_property=ChannelAccount(id="29:user"),
        recipient=ChannelAccount(id="28:bot"),
    )
    handler = turn_error_handler(PARTNERSHIPS, CALENDARS, FakeClock(NOW))
    for already in (False, True):
        context = TurnContext(adapter, activity)
        original = context.send_activity

        async def record(out: Any, original: Any = original) -> Any:
            sent.append(out)
            return await original(out)

        context.send_activity = record  # type: ignore[method-assign]
        if already:
            every = PARTNERSHIPS.partnerships.values()
            reply = storeless_signpost(turn_triage(context), every, CALENDARS, FakeClock(NOW))
            await send_signpost(context, reply)
        sent.clear()
        await handler(context, RuntimeError("boom"))
        cards = [a for a in sent if not isinstance(a, str)]
        assert len(cards) == (0 if already else 1)
        assert sent[-1] == wording.TURN_FAILED
