"""The monthly report card through a real Teams client (the Agents Playground), on loopback.

The hand-counted store (tests/support/timeliness.py) is in place; on Thursday 1 April 2027 the
tick posts March's report to the team's channel once, and the chart its card shows is served by
the bot at the card's image URL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from storage.cases import CaseRepository
from storage.tinydb_store import TinyDBStore
from tests.support.playground import TEAM, Frame, Session, cards_of, start
from tests.support.timeliness import hand_counted_cases

pytestmark = pytest.mark.asyncio(loop_scope="module")


def monthly(frame: Frame) -> bool:
    return frame.get("actionConversationId") == TEAM and any(
        card["body"][0].get("text", "").startswith("Monthly report") for card in cards_of(frame)
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Session]:
    data: Path = tmp_path_factory.mktemp("data")
    store = TinyDBStore(data)
    cases = CaseRepository(store)
    for case in hand_counted_cases():
        await cases.create(case)
    await store.close()
    running = await start(data_dir=data)
    yield running
    await running.stop()


async def test_the_monthly_report_is_posted_once_with_its_chart(session: Session) -> None:
    mark = session.mark()
    await session.install(TEAM)
    await session.wait_for(lambda f: f.get("actionConversationId") == TEAM, after=mark)
    # Thursday 1 April 2027, 09:30 in London (BST): the first working day of April.
    await session.bot_post("/_test/clock", {"now": "2027-04-01T09:30:00+01:00"})
    mark = session.mark()
    ticked = await session.bot_post("/_test/tick", {})
    assert "report|coventry|2027-03" in ticked["sent"]
    frame = await session.wait_for(monthly, after=mark, within_s=60)
    [card] = [c for c in cards_of(frame) if "Monthly report" in json.dumps(c)]
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Referrals received"] == "4 (1 led by another council)"
    image = next(item for item in card["body"] if item["type"] == "Image")
    async with session.http.get(image["url"]) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert (await response.read())[:8] == b"\x89PNG\r\n\x1a\n"
    # Later the same day: not posted again.
    await session.bot_post("/_test/clock", {"now": "2027-04-01T15:00:00+01:00"})
    again = await session.bot_post("/_test/tick", {})
    assert "report|coventry|2027-03" not in again["sent"]
    assert len([f for f in session.frames if monthly(f)]) == 1
