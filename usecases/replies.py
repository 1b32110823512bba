"""What a use case asks the edge to say: messages in order, then work to do once they are out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Card = dict[str, Any]
AfterSent = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A next step offered under a message: tapping it sends `value` as if the user typed it.

    `value` must be a word the bot already understands (usecases/vocabulary.py).
    """

    title: str
    value: str


@dataclass(frozen=True, slots=True)
class Say:
    """One message: plain text, or one Adaptive Card with an optional notification summary.

    `suggested` are the next steps offered under it (Teams shows them in a personal chat).
    """

    text: str | None = None
    card: Card | None = None
    summary: str | None = None
    suggested: tuple[Suggestion, ...] = ()

    @classmethod
    def card_of(
        cls, card: Card, summary: str | None = None, suggested: tuple[Suggestion, ...] = ()
    ) -> Say:
        """A message carrying one Adaptive Card."""
        return cls(card=card, summary=summary, suggested=suggested)


@dataclass(frozen=True, slots=True)
class Reply:
    """The messages to send, in order, and what to do once they have gone.

    `after` runs only once the messages are sent, so slow or failing work (counting a
    redirect, posting to a channel) can never delay or stop what the user must read first. The
    edge may run it after the turn has answered (a filing's: `dialogs/turns.py` `send`).
    """

    messages: tuple[Say, ...] = ()
    after: tuple[AfterSent, ...] = field(default=())

    @classmethod
    def of(cls, *messages: Say | str, after: tuple[AfterSent, ...] = ()) -> Reply:
        """A reply from messages, plain strings taken as text."""
        return cls(
            messages=tuple(Say(text=m) if isinstance(m, str) else m for m in messages),
            after=after,
        )

    def then(self, other: Reply) -> Reply:
        """This reply followed by another."""
        return Reply(self.messages + other.messages, self.after + other.after)
