"""A once-only post is recorded as being sent only when its request is about to go out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.deliveries import CLAIM_TIMEOUT, DeliveryLog, DeliveryState
from storage.tinydb_store import TinyDBStore
from tests.support.fakes import FakeClock
from usecases.delivery import OnceSender, Outcome
from usecases.ports import about_to_send

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DETAILS = {
    "reference": "COV-2026-001",
    "partnership_id": "coventry",
    "kind": "case_card",
    "milestone": "case_card",
    "due": "2026-12-01",
}


class ProcessDied(Exception):
    """Stands in for kill -9: nothing after it runs."""


async def test_a_crash_while_the_post_still_waits_leaves_it_unsent_and_it_is_sent_later(
    tmp_path: Path,
) -> None:
    store = await TinyDBStore.open(tmp_path / "data")
    try:
        clock = FakeClock(NOW)
        log = DeliveryLog(store)
        sender = OnceSender(log=log, clock=clock, owner="replica-a")

        async def dies_while_paced() -> str:
            raise ProcessDied()  # waiting for the channel's pacing: no request has gone out

        with pytest.raises(ProcessDied):
            await sender.deliver("post|COV-2026-001", dies_while_paced, DETAILS)
        record = await log.get("post|COV-2026-001")
        assert record is not None
        assert record.state is DeliveryState.CLAIMED  # certainly unsent, not "uncertain"
        clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 1)
        posted: list[str] = []

        async def posts() -> str:
            ready = about_to_send.get()
            assert ready is not None
            await ready()
            posted.append("card")
            return "activity-1"

        later = OnceSender(log=log, clock=clock, owner="replica-b")
        done = await later.deliver("post|COV-2026-001", posts, DETAILS)
        assert done.outcome is Outcome.SENT
        assert posted == ["card"]
        record = await log.get("post|COV-2026-001")
        assert record is not None
        assert record.state is DeliveryState.SENT
    finally:
        await store.close()


async def test_a_crash_once_the_request_is_going_out_is_never_posted_twice(
    tmp_path: Path,
) -> None:
    store = await TinyDBStore.open(tmp_path / "data")
    try:
        clock = FakeClock(NOW)
        log = DeliveryLog(store)

        async def dies_mid_request() -> str:
            ready = about_to_send.get()
            assert ready is not None
            await ready()
            raise ProcessDied()  # the request may have reached Teams

        with pytest.raises(ProcessDied):
            await OnceSender(log=log, clock=clock, owner="a").deliver(
                "post|COV-2026-001", dies_mid_request, DETAILS
            )
        clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 1)

        async def never() -> str:
            raise AssertionError("posted a second time")

        done = await OnceSender(log=log, clock=clock, owner="b").deliver(
            "post|COV-2026-001", never, DETAILS
        )
        assert done.outcome is Outcome.SKIPPED
        record = await log.get("post|COV-2026-001")
        assert record is not None
        assert record.state is DeliveryState.UNCERTAIN
    finally:
        await store.close()
