"""Two replicas of the bot over one store, driven at once over HTTP against the fake connector.

Each replica is a whole app (`create_app`) with its own adapter, dialogs, de-duplication,
runner and lease holder id; they share only the store, as two `review-bot serve` processes on
one database would. Nothing here relies on both living in one process except the fake clock.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES, STARTUP_RECOVERY, create_app, replica_id
from bot.settings import Settings
from cards import wording
from safeguarding.calendar import PartnershipCalendars
from scheduler.runner import ReminderRunner
from storage.base import Collection, Store
from storage.cases import CaseRepository
from storage.deliveries import DeliveryLog
from storage.leases import Leases
from storage.seen import SeenActivities, activity_key
from storage.tinydb_store import TinyDBStore
from tests.support import activities
from tests.support.cases import make_case, make_referral
from tests.support.connector import FakeConnector
from tests.support.fakes import FakeClock, shared_screen
from tests.support.referral import STEPS_TO_REVIEW
from tests.support.runners import paced_notifier, settled
from tests.support.stores import CrashingStore, open_backend

Client = TestClient[Any, Any]
REFERENCE = re.compile(r"COV-2026-\d{3}")


async def _client(settings: Settings, store: Store, clock: FakeClock) -> Client:
    app = create_app(settings, store=store, clock=clock, screen=shared_screen())
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    await app[STARTUP_RECOVERY]
    return client


@pytest.fixture(params=["tinydb", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Store]:
    """The one store both replicas share: embedded, in memory, or PostgreSQL."""
    shared = await open_backend(request, settings.data_dir)
    yield shared
    await shared.close()


@pytest.fixture
async def replicas(
    settings: Settings, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Client, Client]]:
    """Two replicas over the one store."""
    first = await _client(settings, store, clock)
    second = await _client(settings, store, clock)
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
def deliveries_shared(store: Store) -> None:
    """Only a store several processes open shares deliveries between replicas."""
    if getattr(store, "single_process", False):
        pytest.skip("the embedded store admits one process (its lock): no replica to share with")


def user(n: int) -> dict[str, str]:
    """A practitioner of their own, with their own personal chat."""
    return {"id": f"29:user-{n}", "name": "A Practitioner", "aadObjectId": f"aad-user-{n}"}


def as_user(activity: dict[str, Any], who: dict[str, str], url: str) -> dict[str, Any]:
    """The activity as sent by `who`, in their personal chat."""
    return {**activity, "from": who, "conversation": activities.personal(url, who)}


def personal(connector: FakeConnector, who: dict[str, str]) -> list[str]:
    """Everything said in `who`'s personal chat, as text (cards as their JSON)."""
    return [
        json.dumps(s.cards) if s.cards else (s.text or "")
        for s in connector.to(f"a:personal-{who['id']}")
    ]


def case_cards(connector: FakeConnector, reference: str) -> int:
    """How many case cards for `reference` went to Coventry's review channel."""
    return sum(
        1
        for s in connector.to("team-id")
        for card in s.cards
        if f"New referral {reference}" in json.dumps(card)
    )


async def post(client: Client, body: dict[str, Any]) -> int:
    response = await client.post(
        "/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status in (200, 201), await response.text()
    return response.status


async def fill(client: Client, connector: FakeConnector, who: dict[str, str]) -> None:
    url = connector.url
    await post(client, as_user(activities.card_submit(url, {"action": "start_referral"}), who, url))
    for step, inputs in STEPS_TO_REVIEW:
        value = {"action": "referral", "step": step, **inputs}
        await post(client, as_user(activities.card_submit(url, value), who, url))


def submit(connector: FakeConnector, who: dict[str, str]) -> dict[str, Any]:
    url = connector.url
    value = {"action": "referral", "step": "review", "submit": True}
    return as_user(activities.card_submit(url, value), who, url)


def paced_runner(client: Client, store: Store, clock: FakeClock) -> ReminderRunner:
    """A replica's runner as the app builds it, with a notifier that waits on fake time."""
    services = client.server.app[SERVICES]
    notifier, _ = paced_notifier(client)
    holder = replica_id()
    return ReminderRunner(
        partnerships=services.partnerships,
        calendars=PartnershipCalendars(),
        cases=CaseRepository(store),
        log=DeliveryLog(store),
        notifier=notifier,
        clock=clock,
        owner=holder,
        announcer=services.case_cards,
        leases=Leases(store, holder=holder),
        filing=services.filing,
    )


async def test_concurrent_referrals_on_two_replicas_get_distinct_references_and_none_is_lost(
    replicas: tuple[Client, Client], connector: FakeConnector, store: Store
) -> None:
    url = connector.url
    await post(replicas[0], activities.team_install(url, team_id="team-id"))
    people = [user(n) for n in range(1, 7)]
    for n, who in enumerate(people):
        await post(replicas[n % 2], as_user(activities.personal_install(url), who, url))
    # Every step of every referral reaches whichever replica: the dialog state and the draft
    # are in the store, so each step goes on where the other replica left it.
    await post(replicas[0], as_user(activities.message(url, "refer"), people[0], url))
    for n, who in enumerate(people):
        await post(
            replicas[n % 2],
            as_user(activities.card_submit(url, {"action": "start_referral"}), who, url),
        )
    for i, (step, inputs) in enumerate(STEPS_TO_REVIEW):
        value = {"action": "referral", "step": step, **inputs}
        await asyncio.gather(
            *(
                post(replicas[(i + n) % 2], as_user(activities.card_submit(url, value), who, url))
                for n, who in enumerate(people)
            )
        )
    # All press Submit at the same moment, half on each replica.
    await asyncio.gather(
        *(post(replicas[n % 2], submit(connector, who)) for n, who in enumerate(people))
    )
    await settled(*replicas)  # the case cards go out once the filing turns have answered

    cases = await CaseRepository(store).for_partnership("coventry")
    references = sorted(case.reference for case in cases)
    assert references == [f"COV-2026-{n:03d}" for n in range(1, len(people) + 1)]
    by_user = {case.submitted_by.user_id: case.reference for case in cases}
    assert sorted(by_user) == sorted(who["id"] for who in people)
    for who in people:
        # Each practitioner was given their own case's reference, and no other.
        told = {ref for text in personal(connector, who) for ref in REFERENCE.findall(text)}
        assert told == {by_user[who["id"]]}
    for reference in references:
        assert case_cards(connector, reference) == 1


@pytest.mark.usefixtures("deliveries_shared")
async def test_the_same_activity_delivered_to_both_replicas_is_handled_once(
    replicas: tuple[Client, Client], connector: FakeConnector, store: Store
) -> None:
    url = connector.url
    await post(replicas[0], activities.personal_install(url))
    connector.sent.clear()
    body = activities.message(url, "refer")
    await asyncio.gather(post(replicas[0], body), post(replicas[1], body))
    assert len(connector.to("a:personal-29:user-1")) == 1  # one safety card, not two
    # And again later, to either one (Teams retrying after a lost answer).
    await post(replicas[1], body)
    await post(replicas[0], body)
    assert len(connector.to("a:personal-29:user-1")) == 1
    assert await store.list(Collection.SEEN)


@pytest.mark.usefixtures("deliveries_shared")
async def test_a_redelivery_while_the_first_replica_is_still_answering_is_dropped(
    replicas: tuple[Client, Client], connector: FakeConnector
) -> None:
    url = connector.url
    await post(replicas[0], activities.personal_install(url))
    connector.sent.clear()
    connector.script = ["hold"]  # the first replica's answer is slow to go out
    body = activities.message(url, "help")
    slow = asyncio.create_task(post(replicas[0], body))
    await connector.holding.wait()
    # Teams gives up waiting and delivers the activity again, to the other replica.
    await post(replicas[1], body)
    assert connector.to("a:personal-29:user-1") == []
    connector.proceed.set()
    await slow
    assert len(connector.to("a:personal-29:user-1")) == 1


@pytest.mark.usefixtures("deliveries_shared")
async def test_a_replica_killed_mid_turn_leaves_the_activity_to_the_next_delivery(
    replicas: tuple[Client, Client], connector: FakeConnector, store: Store, clock: FakeClock
) -> None:
    url = connector.url
    await post(replicas[0], activities.personal_install(url))
    connector.sent.clear()
    body = activities.message(url, "help")
    # The first replica recorded the activity as in flight, then died (kill -9) before answering.
    key = activity_key("msteams", body["conversation"]["id"], body["id"])
    assert await SeenActivities(store).begin(key, now=clock.now()) is not None
    await post(replicas[1], body)  # Teams' quick retry: the turn may still be running
    assert connector.to("a:personal-29:user-1") == []
    clock.advance(seconds=31)
    await post(replicas[1], body)  # a later retry: nobody is answering it, so this one does
    assert len(connector.to("a:personal-29:user-1")) == 1


def _due_case() -> Any:
    # LA aware Wed 23 Dec 2026: SIN due Mon 4 Jan 2027; reminders due on Wed 30 Dec.
    return make_case(
        make_referral(incident=date(2026, 12, 21), la_aware=date(2026, 12, 23)),
        submitted_at=datetime(2026, 12, 23, 12, tzinfo=UTC),
    )


async def test_two_ticks_at_once_post_each_due_reminder_exactly_once(
    replicas: tuple[Client, Client], connector: FakeConnector, store: Store, clock: FakeClock
) -> None:
    await post(replicas[0], activities.team_install(connector.url, team_id="team-id"))
    case = _due_case()
    await CaseRepository(store).create(case.model_copy(update={"channel_activity_id": "posted"}))
    connector.sent.clear()
    clock.set(datetime(2026, 12, 30, 9, 30, tzinfo=UTC))
    runners = [paced_runner(client, store, clock) for client in replicas]
    reports = await asyncio.gather(*(runner.tick() for runner in runners))
    assert sorted(report.held_elsewhere for report in reports) == [False, True]
    [ticked] = [report for report in reports if not report.held_elsewhere]
    assert ticked.planned >= 1
    posted = [c["body"][0]["text"] for s in connector.to("team-id") for c in s.cards]
    assert len(posted) == len(set(posted)) == len(ticked.sent)
    # Later ticks, on either replica, post nothing more.
    for runner in runners:
        again = await runner.tick()
        assert again.sent == []
    assert len(connector.to("team-id")) == len(posted)


async def test_a_long_tick_holds_the_lease_and_a_dead_holders_lease_expires(
    replicas: tuple[Client, Client], connector: FakeConnector, store: Store, clock: FakeClock
) -> None:
    await post(replicas[0], activities.team_install(connector.url, team_id="team-id"))
    await CaseRepository(store).create(
        _due_case().model_copy(update={"channel_activity_id": "posted"})
    )
    connector.sent.clear()
    clock.set(datetime(2026, 12, 30, 9, 30, tzinfo=UTC))
    first, second = (paced_runner(client, store, clock) for client in replicas)
    connector.script = ["hold"]
    slow = asyncio.create_task(first.tick())
    await connector.holding.wait()
    assert (await second.tick()).held_elsewhere  # one tick at a time
    connector.proceed.set()
    done = await slow
    assert done.sent
    assert not (await second.tick()).held_elsewhere  # released at the end of the tick

    # A replica killed mid-tick leaves its lease; the other waits for it to expire.
    await store.put(
        Collection.LOCKS,
        "reminder-tick",
        {"holder": "killed", "expires": (clock.now() + timedelta(minutes=1)).isoformat()},
    )
    assert (await second.tick()).held_elsewhere
    clock.advance(minutes=1)
    assert not (await second.tick()).held_elsewhere


async def test_a_case_card_is_posted_once_when_a_tick_runs_while_the_turn_posts_it(
    replicas: tuple[Client, Client], connector: FakeConnector, store: Store, clock: FakeClock
) -> None:
    url = connector.url
    await post(replicas[0], activities.team_install(url, team_id="team-id"))
    await post(replicas[0], activities.personal_install(url))
    await fill(replicas[0], connector, activities.USER)
    # The acknowledgement goes out, then the case card's post is slow to be answered...
    connector.script = ["ok", "hold"]
    turn = asyncio.create_task(post(replicas[0], submit(connector, activities.USER)))
    await connector.holding.wait()
    # ...while the other replica's tick looks for cases with no card recorded yet.
    report = await paced_runner(replicas[1], store, clock).tick()
    assert "post|COV-2026-001" not in report.sent
    connector.proceed.set()
    await turn
    await settled(replicas[0])
    assert case_cards(connector, "COV-2026-001") == 1
    loaded = await CaseRepository(store).get("COV-2026-001")
    assert loaded is not None
    assert loaded[0].channel_activity_id
    await paced_runner(replicas[1], store, clock).tick()
    assert case_cards(connector, "COV-2026-001") == 1


async def _die_while_filing(
    settings: Settings, store: Store, clock: FakeClock, connector: FakeConnector
) -> None:
    """A replica files a referral and its process dies as it writes the case (kill -9): the
    claim and the reference are written, the case is not."""
    url = connector.url
    crashing = CrashingStore(store)
    dying = await _client(settings, crashing, clock)
    await post(dying, activities.team_install(url, team_id="team-id"))
    await post(dying, activities.personal_install(url))
    await fill(dying, connector, activities.USER)
    crashing.crash_on_put(1, collection=Collection.CASES)
    await post(dying, submit(connector, activities.USER))
    await dying.close()
    assert await CaseRepository(store).for_partnership("coventry") == []


async def test_a_filing_cut_short_on_one_replica_is_finished_by_the_other_and_the_reference_sent(
    settings: Settings, store: Store, clock: FakeClock, connector: FakeConnector
) -> None:
    await _die_while_filing(settings, store, clock, connector)
    other = await _client(settings, store, clock)

    # The practitioner presses Submit again at once, reaching the other replica.
    await post(other, submit(connector, activities.USER))
    assert personal(connector, activities.USER)[-1] == wording.REFERRAL_BEING_FILED
    # The promise is kept: the other replica's tick finishes the filing and sends the reference.
    clock.advance(minutes=3)
    report = await paced_runner(other, store, clock).tick()
    assert report.filed == ["COV-2026-001"]
    last = personal(connector, activities.USER)[-1]
    assert "COV-2026-001" in last
    assert wording.REFERRAL_RECEIVED_SUMMARY.format(reference="COV-2026-001") in json.dumps(
        [s.body for s in connector.to("a:personal-29:user-1")][-1]
    )
    assert case_cards(connector, "COV-2026-001") == 1
    [case] = await CaseRepository(store).for_partnership("coventry")
    assert case.submitted_by.user_id == "29:user-1"
    # A late Submit hears the same reference, from the marker.
    await post(other, submit(connector, activities.USER))
    assert personal(connector, activities.USER)[-1] == wording.REFERRAL_ALREADY_FILED.format(
        reference="COV-2026-001"
    )
    await other.close()


async def test_a_replica_starting_up_finishes_a_stale_filing_and_sends_the_reference(
    settings: Settings, store: Store, clock: FakeClock, connector: FakeConnector
) -> None:
    await _die_while_filing(settings, store, clock, connector)
    clock.advance(minutes=5)
    restarted = await _client(settings, store, clock)  # awaits its start-up recovery
    assert "COV-2026-001" in personal(connector, activities.USER)[-1]
    assert [c.reference for c in await CaseRepository(store).for_partnership("coventry")] == [
        "COV-2026-001"
    ]
    await restarted.close()


async def test_on_the_embedded_store_a_turn_records_no_delivery_but_a_redelivery_is_dropped(
    settings: Settings, connector: FakeConnector, clock: FakeClock
) -> None:
    store = await TinyDBStore.open(settings.data_dir)
    bot = await _client(settings, store, clock)
    try:
        await post(bot, activities.personal_install(connector.url))
        body = activities.message(connector.url, "help")
        before = len(connector.sent)
        await post(bot, body)
        await post(bot, body)  # Teams' retry of the same activity
        assert len(connector.sent) == before + 1
        assert await store.list(Collection.SEEN) == []
    finally:
        await bot.close()
        await store.close()
