"""botbuilder state kept in our Store as plain JSON, through a real dialog and TestAdapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt
from botbuilder.schema import Activity

from storage.base import Collection, ConflictError
from storage.botstate import StateEncodingError, StoreStorage, decode_state, encode_state
from storage.tinydb_store import TinyDBStore


def _bot(store: TinyDBStore) -> tuple[ConversationState, DialogSet]:
    state = ConversationState(StoreStorage(store))
    dialogs = DialogSet(state.create_property("dialog_state"))
    dialogs.add(TextPrompt("name"))

    async def ask(step: WaterfallStepContext) -> object:
        return await step.prompt("name", PromptOptions(prompt=MessageFactory.text("Which area?")))

    async def done(step: WaterfallStepContext) -> object:
        await step.context.send_activity(f"Area: {step.result}")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("flow", [ask, done]))
    return state, dialogs


async def _run_turn(store: TinyDBStore, adapter: TestAdapter, text: str) -> None:
    # A fresh state object per turn, as after a restart: everything must come from the store.
    state, dialogs = _bot(store)

    async def logic(context: TurnContext) -> None:
        dc = await dialogs.create_context(context)
        result = await dc.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dc.begin_dialog("flow")
        await state.save_changes(context)

    adapter.logic = logic
    await adapter.send(text)


async def test_a_dialog_resumes_from_the_store_after_a_restart(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    adapter = TestAdapter()
    await _run_turn(store, adapter, "start")
    assert adapter.get_next_activity().text == "Which area?"
    await store.close()

    # Plain JSON on disk (after the file's header line), never pickles.
    files = [p for p in (tmp_path / "state").glob("*.json")]
    assert files, "dialog state was not written to the store"
    raw = json.loads(files[0].read_bytes().split(b"\n", 1)[1])
    assert raw["documents"]["1"]["data"]["state"]

    reopened = TinyDBStore(tmp_path)
    await _run_turn(reopened, adapter, "Coventry")
    assert adapter.get_next_activity().text == "Area: Coventry"


async def test_stale_state_write_conflicts(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    storage = StoreStorage(store)
    await storage.write({"conv": {"n": 1}})
    first = (await storage.read(["conv"]))["conv"]
    second = (await storage.read(["conv"]))["conv"]
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    first["n"] = 2
    await storage.write({"conv": first})
    second["n"] = 3
    with pytest.raises(ConflictError):
        await storage.write({"conv": second})
    kept = (await storage.read(["conv"]))["conv"]
    assert isinstance(kept, dict)
    assert kept["n"] == 2
    assert await store.list(Collection.STATE)


def test_codec_round_trips_sdk_objects() -> None:
    value = {
        "when": datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        "options": PromptOptions(prompt=MessageFactory.text("Q?"), number_of_attempts=2),
        "plain": [1, "two", {"three": None}],
    }
    encoded = encode_state(value)
    json.dumps(encoded)  # JSON-safe
    decoded = decode_state(json.loads(json.dumps(encoded)))
    assert decoded["when"] == value["when"]
    assert decoded["options"].prompt.text == "Q?"
    assert decoded["options"].number_of_attempts == 2
    assert decoded["plain"] == [1, "two", {"three": None}]


def test_codec_refuses_live_objects() -> None:
    with pytest.raises(StateEncodingError, match="object"):
        encode_state({"x": object()})


async def test_two_replicas_starting_the_same_conversations_state_cannot_both_win(
    tmp_path: Path,
) -> None:
    store = TinyDBStore(tmp_path)
    first, second = StoreStorage(store), StoreStorage(store)  # one per replica, one store
    # Both turns read the conversation before either wrote: no state, so no e-tag.
    assert await first.read(["conv"]) == {}
    assert await second.read(["conv"]) == {}
    await first.write({"conv": {"dialog": "referral"}})
    with pytest.raises(ConflictError):
        await second.write({"conv": {"dialog": None}})
    kept = (await first.read(["conv"]))["conv"]
    assert isinstance(kept, dict)
    assert kept["dialog"] == "referral"
    await store.close()


async def test_a_star_etag_overwrites_as_botbuilder_documents(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    storage = StoreStorage(store)
    await storage.write({"conv": {"n": 1}})
    await storage.write({"conv": {"n": 2, "e_tag": "*"}})
    kept = (await storage.read(["conv"]))["conv"]
    assert isinstance(kept, dict)
    assert kept["n"] == 2
    await store.close()


async def test_concurrent_turns_of_one_conversation_on_two_replicas_conflict_not_overwrite(
    tmp_path: Path,
) -> None:
    store = TinyDBStore(tmp_path)
    adapter = TestAdapter()
    await _run_turn(store, adapter, "start")  # the dialog asks "Which area?"
    adapter.get_next_activity()
    # Two replicas load the same turn's state, each through its own ConversationState.
    replicas = [_bot(store)[0] for _ in range(2)]
    contexts = [
        TurnContext(adapter, _in_conversation(adapter, MessageFactory.text(t)))
        for t in ("Coventry", "Hull")
    ]
    for state, context in zip(replicas, contexts, strict=True):
        await state.load(context)
    for state, context in zip(replicas, contexts, strict=True):
        await state.create_property("area").set(context, context.activity.text)
    await replicas[0].save_changes(contexts[0])
    with pytest.raises(ConflictError):
        await replicas[1].save_changes(contexts[1])
    # The first turn's state stands; the second is told to send again (TURN_CONFLICT).
    [doc] = [d for d in await store.list(Collection.STATE) if "area" in d.data["state"]]
    assert doc.data["state"]["area"] == "Coventry"
    await store.close()


def _in_conversation(adapter: TestAdapter, activity: Activity) -> Activity:
    """An activity in the TestAdapter's one conversation, as it would stamp it."""
    template = adapter.template
    activity.channel_id = template.channel_id
    activity.conversation = template.conversation
    activity.from_property = template.from_property
    activity.recipient = template.recipient
    return activity
