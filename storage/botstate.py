"""botbuilder's `Storage` over our Store, so dialog state survives restarts as plain JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botbuilder.core import Storage, serializer_helper
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.schema import (
    Activity,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    SuggestedActions,
)
from msrest.serialization import Model

from storage.base import Collection, ConflictError, Store, StoreError, safe_key

_TYPE = "$type"
# SDK model classes that may appear inside dialog state (prompt options carry activities).
_MODELS: dict[str, type[Model]] = {
    cls.__name__: cls
    for cls in (
        Activity,
        Attachment,
        CardAction,
        SuggestedActions,
        ChannelAccount,
        ConversationAccount,
        ConversationReference,
    )
}


class StateEncodingError(StoreError):
    """Dialog state holding a value that cannot be kept as JSON."""

    def __init__(self, type_name: str) -> None:
        super().__init__(f"cannot keep a {type_name} in dialog state; keep JSON-safe dicts")


def encode_state(value: Any) -> Any:
    """Turn dialog state into JSON-safe data, tagging the SDK objects it may contain."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): encode_state(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_state(v) for v in value]
    if isinstance(value, datetime):
        return {_TYPE: "datetime", "value": value.isoformat()}
    if isinstance(value, DialogState):
        return {_TYPE: "DialogState", "stack": [encode_state(i) for i in value.dialog_stack]}
    if isinstance(value, DialogInstance):
        return {_TYPE: "DialogInstance", "id": value.id, "state": encode_state(value.state)}
    if isinstance(value, PromptOptions):
        return {
            _TYPE: "PromptOptions",
            "prompt": encode_state(value.prompt),
            "retry_prompt": encode_state(value.retry_prompt),
            "validations": encode_state(value.validations),
            "number_of_attempts": value.number_of_attempts,
        }
    name = type(value).__name__
    if isinstance(value, Model) and name in _MODELS:
        return {_TYPE: name, "value": serializer_helper(value)}
    raise StateEncodingError(name)


def decode_state(value: Any) -> Any:
    """Rebuild dialog state written by `encode_state`."""
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TYPE)
    if tag is None:
        return {k: decode_state(v) for k, v in value.items()}
    if tag == "datetime":
        return datetime.fromisoformat(value["value"])
    if tag == "DialogState":
        return DialogState([decode_state(i) for i in value["stack"]])
    if tag == "DialogInstance":
        return DialogInstance(value["id"], decode_state(value["state"]))
    if tag == "PromptOptions":
        return PromptOptions(
            prompt=decode_state(value["prompt"]),
            retry_prompt=decode_state(value["retry_prompt"]),
            validations=decode_state(value["validations"]),
            number_of_attempts=value["number_of_attempts"],
        )
    if tag in _MODELS:
        return _MODELS[tag]().deserialize(value["value"])  # type: ignore[no-untyped-call]
    raise StateEncodingError(str(tag))


def state_key(key: str) -> str:
    """A storage key for a botbuilder state key (Teams ids may hold characters we do not keep)."""
    return safe_key("bot", key)


class StoreStorage(Storage):  # type: ignore[misc]
    """Dialog and user state in the Store's hot collection, with e-tags for concurrent turns."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def read(self, keys: list[str]) -> dict[str, object]:
        """Read state documents; missing keys are left out, as botbuilder expects."""
        found: dict[str, object] = {}
        for key in keys:
            doc = await self._store.get(Collection.STATE, state_key(key))
            if doc is not None:
                state = decode_state(doc.data.get("state", {}))
                state["e_tag"] = doc.etag
                found[key] = state
        return found

    async def write(self, changes: dict[str, object]) -> None:
        """Write state; a write that would overwrite another turn's raises ConflictError.

        botbuilder's `e_tag`: the stored e-tag means "only over that version", and "*" means
        "overwrite whatever is there". State read as missing has no e-tag, and botbuilder's
        MemoryStorage would then overwrite; here it means "only if still missing", so two
        replicas starting the same conversation's state at once cannot silently lose a turn.
        """
        for key, value in changes.items():
            if not isinstance(value, dict):
                raise StateEncodingError(type(value).__name__)
            etag = value.get("e_tag")
            body = {k: v for k, v in value.items() if k != "e_tag"}
            document = {"key": key, "state": encode_state(body)}
            skey = state_key(key)
            if etag == "*":
                new_etag = await self._store.put(Collection.STATE, skey, document)
            elif etag:
                new_etag = await self._store.put(Collection.STATE, skey, document, if_match=etag)
            else:
                new_etag = await self._store.put(
                    Collection.STATE, skey, document, if_none_match=True
                )
            value["e_tag"] = new_etag

    async def delete(self, keys: list[str]) -> None:
        """Delete state documents."""
        for key in keys:
            await self._store.delete(Collection.STATE, state_key(key))


__all__ = ["ConflictError", "StateEncodingError", "StoreStorage", "decode_state", "encode_state"]
