"""The one error root of the use cases, and the errors their ports raise."""

from __future__ import annotations


class UseCaseError(Exception):
    """Root of every error a use case or one of its ports raises on purpose."""


class NotifierError(UseCaseError):
    """A proactive message that cannot be sent; the message says what is missing."""


class DeliveryFailedError(NotifierError):
    """The Bot Connector refused the message; it was not posted."""

    def __init__(self, what: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"could not post to {what}: {reason}")


class RateLimitedError(DeliveryFailedError):
    """HTTP 429: not posted; may be sent again after Retry-After."""

    def __init__(self, what: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(what, f"rate limited, retry after {retry_after:g} s")


class NotSentError(DeliveryFailedError):
    """The connector could not be reached: nothing was sent, so sending again is safe."""


class ConversationGoneError(DeliveryFailedError):
    """HTTP 403/404: the channel or chat no longer exists or refuses the bot."""


class ClaimTakenError(NotifierError):
    """A once-only delivery whose claim another sender took over while this one waited."""

    def __init__(self, key: str) -> None:
        super().__init__(f"delivery {key} was taken over by another sender")


class DeliveryUncertainError(NotifierError):
    """A 5xx or a timeout after the request went out: the message may have been posted."""

    def __init__(self, what: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"may or may not have posted to {what}: {reason}")


class ChannelNotConfiguredError(NotifierError):
    """The partnership has no review channel in the partnerships file."""

    def __init__(self, partnership_id: str) -> None:
        super().__init__(f"{partnership_id}: no review channel is configured")


class ConversationUnknownError(NotifierError):
    """The bot has never seen the team or chat it was asked to post to."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the bot has no conversation with {what}; is it installed there?")


class LeadCheckUnavailableError(UseCaseError):
    """Membership could not be checked (Graph unreachable): the click is refused, fail closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot check who is a lead right now ({reason})")
