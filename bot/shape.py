"""What a body must be before the SDK sees it: JSON a Teams client sends, with each field we read
of the type Teams sends it.

msrest coerces wrong types silently (a numeric `type` becomes "5", a list id its repr) and the
SDK then fails deep in a turn, so every field the bot or the SDK reads is checked here, where it
enters, and anything else is a 400. Fields that Teams may leave out (`from`, `recipient`,
`entities`, a mention's `mentioned`) may be missing: the turn copes with that, and a safety text
with one of them missing still gets its signpost.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

# A Teams activity is a few levels deep (a card's data inside an action inside the value); an
# attached card's body may nest containers. Deeper is not Teams, and would reach the SDK's and
# the stores' recursive code.
MAX_DEPTH = 64


class BadBodyError(ValueError):
    """A body that is not an activity the bot can read; `reason` says which part, never a value."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _Shape(BaseModel):
    # Fields nobody reads are left as they came; those we read must have Teams' types.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Account(_Shape):
    id: StrictStr | None = None
    name: StrictStr | None = None
    aadObjectId: StrictStr | None = None  # Teams spells the fields in camelCase
    role: StrictStr | None = None


# Ids go into the connector's URLs: Teams' are short and printable ASCII.
_ConversationId = Annotated[StrictStr, Field(pattern=r"^[\x21-\x7e]{1,512}$")]
_ActivityId = Annotated[StrictStr, Field(pattern=r"^[\x21-\x7e]{0,256}$")]


class _Conversation(_Shape):
    id: _ConversationId
    tenantId: StrictStr | None = None
    tenantID: StrictStr | None = None  # the SDK's spelling
    conversationType: StrictStr | None = None
    isGroup: StrictBool | None = None
    name: StrictStr | None = None


class _Ref(_Shape):
    id: StrictStr | None = None
    name: StrictStr | None = None


class _ChannelData(_Shape):
    tenant: _Ref | None = None
    team: _Ref | None = None
    channel: _Ref | None = None
    eventType: StrictStr | None = None


class _Entity(_Shape):
    type: StrictStr
    mentioned: _Account | None = None
    text: StrictStr | None = None


class _Attachment(_Shape):
    contentType: StrictStr | None = None
    name: StrictStr | None = None


_HttpUrl = Annotated[StrictStr, Field(pattern=r"^https?://[^\s]+$", max_length=2048)]


class ActivityShape(_Shape):
    """The fields of an incoming activity that the bot or the SDK reads, with Teams' types."""

    type: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    id: _ActivityId | None = None
    channelId: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    serviceUrl: _HttpUrl
    conversation: _Conversation
    from_: _Account | None = Field(default=None, alias="from")
    recipient: _Account | None = None
    channelData: _ChannelData | None = None
    entities: list[_Entity] | None = None
    attachments: list[_Attachment] | None = None
    membersAdded: list[_Account] | None = None
    membersRemoved: list[_Account] | None = None
    name: StrictStr | None = None
    text: StrictStr | None = None
    textFormat: StrictStr | None = None
    action: StrictStr | None = None
    replyToId: StrictStr | None = None
    locale: StrictStr | None = None
    timestamp: StrictStr | None = None
    localTimestamp: StrictStr | None = None


def _no_constant(name: str) -> Any:
    raise BadBodyError("the body holds NaN or Infinity, which JSON does not allow")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBodyError("the body holds a number too large to keep")
    return value


def _check_values(body: Any) -> None:
    """Depth, and text every store can keep: no NUL and no half of a surrogate pair."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadBodyError(f"the body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, child in value.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
        elif isinstance(value, str):
            _check_text(value)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadBodyError("the body holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON's "\\ud800" on its own): no UTF-8 text, file or database holds it.
        raise BadBodyError("the body holds text that is not valid Unicode") from None


def parse_body(raw: bytes) -> dict[str, Any]:
    """The activity JSON in a request body, checked; BadBodyError says what is wrong."""
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise BadBodyError(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadBodyError("body is not valid JSON") from None
    except ValueError as exc:  # a number with more digits than Python will read, say
        if isinstance(exc, BadBodyError):
            raise
        raise BadBodyError("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadBodyError("body is not an activity")
    _check_values(body)
    check_shape(body)
    return body


def check_shape(body: dict[str, Any]) -> None:
    """Raise BadBodyError unless every field the bot reads has the type Teams sends."""
    try:
        ActivityShape.model_validate(body)
    except ValidationError as exc:
        # Where it failed, never what was there (the value may be a child's details).
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadBodyError(f"activity field {place} is missing or not valid") from None
