"""What a typed word means to the bot, anywhere in a conversation: one vocabulary for every flow."""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    """A typed command the bot recognises before triage."""

    HELP = "help"
    CANCEL = "cancel"
    REFER = "refer"
    RESUME = "resume"
    STATUS = "status"


HELP_WORDS = frozenset({"help", "hi", "hello", "hey", "start", "menu", "?"})
CANCEL_WORDS = frozenset({"cancel", "stop", "quit", "exit", "abandon"})
# Start a referral, or, typed while one runs, "where was I?": not a new request to triage.
REFER_WORDS = frozenset(
    {"refer", "referral", "start a referral", "new referral", "start referral", "my draft"}
)
# Where are my referrals? (the acknowledgement's "Check status" sends STATUS_WORD)
STATUS_WORDS = frozenset({"status", "check status", "case status", "my referrals"})
STATUS_WORD = "status"
REFER_WORD = "refer"
# Only mean something while a referral runs.
RESUME_WORDS = frozenset({"continue", "resume"})


def intent_of(text: str | None) -> Intent | None:
    """The command a typed message is, if it is one (case, spaces and end punctuation aside)."""
    if not text:
        return None
    word = text.casefold().strip(" .!")
    if word in HELP_WORDS:
        return Intent.HELP
    if word in CANCEL_WORDS:
        return Intent.CANCEL
    if word in REFER_WORDS:
        return Intent.REFER
    if word in RESUME_WORDS:
        return Intent.RESUME
    if word in STATUS_WORDS:
        return Intent.STATUS
    return None
