"""Card submissions parsed where they enter: one pydantic model per kind of Action.Submit.

Teams sends an Action.Submit as a message whose `value` holds the card's inputs plus the
button's `data`. Everything the bot routes on is read here, once, into a typed model; the
inputs of a referral section ride along untouched for `parse_section` to validate field by field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from safeguarding.referral import SafetyAnswer, Step

_EDITABLE = frozenset(s.value for s in Step) - {Step.SAFETY.value, Step.REVIEW.value}


class _Submit(BaseModel):
    # Section inputs ride along as extra keys; nothing here is ever echoed back or logged.
    model_config = ConfigDict(extra="allow", frozen=True)

    @property
    def inputs(self) -> dict[str, Any]:
        """Every key the card sent, for the section parser (it validates each input)."""
        return {**(self.model_extra or {}), **self.model_dump(exclude_none=True)}


class HelpSubmit(_Submit):
    """The welcome card's Help button."""

    action: Literal["help"]


class StartReferralSubmit(_Submit):
    """ "Start a referral" from the welcome card or the referral offer."""

    action: Literal["start_referral"]


def _text(raw: Any) -> str | None:
    # A value of another type than the card sends is no answer, not an unknown card.
    return raw if isinstance(raw, str) else None


class StatusSubmit(_Submit):
    """ "Check status" on the acknowledgement: the same as typing `status`."""

    action: Literal["status"]


class ResumeSubmit(_Submit):
    """The resume card: carry on with the saved draft, or start again."""

    action: Literal["referral_resume"]
    choice: str | None = None

    _choice = field_validator("choice", mode="before")(_text)

    @property
    def restart(self) -> bool:
        """Whether the user chose to start again."""
        return self.choice == "restart"


class CancelSubmit(_Submit):
    """The cancel confirmation: Yes deletes the draft."""

    action: Literal["referral_cancel"]
    choice: str | None = None

    _choice = field_validator("choice", mode="before")(_text)

    @property
    def confirmed(self) -> bool:
        """Whether the user confirmed the cancel."""
        return self.choice == "yes"


def _index(raw: Any) -> int | None:
    # A card sends numbers as strings; anything else (a bool, "abc", -1) means no child.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


class ReferralSubmit(_Submit):
    """A button on a referral step's card."""

    action: Literal["referral"]
    step: str | None = None
    answer: SafetyAnswer | None = None
    choice: str | None = None
    edit: str | None = None
    child_index: int | None = None
    submit: bool = False
    next: str | None = None
    # Back to the step before; or to another card, to change an answer that clashes there.
    back: bool = False
    go_to: str | None = None
    go_to_child: int | None = None

    @field_validator("answer", mode="before")
    @classmethod
    def _known_answer(cls, raw: Any) -> Any:
        return raw if raw in get_args(SafetyAnswer) else None

    @field_validator("child_index", "go_to_child", mode="before")
    @classmethod
    def _child_index(cls, raw: Any) -> int | None:
        return _index(raw)

    @field_validator("submit", "back", mode="before")
    @classmethod
    def _pressed(cls, raw: Any) -> bool:
        return raw is True or raw == "true"

    _texts = field_validator("step", "choice", "edit", "next", "go_to", mode="before")(_text)

    @property
    def go_to_step(self) -> Step | None:
        """The section a button to another card names, if it names one."""
        return Step(self.go_to) if self.go_to in _EDITABLE else None

    @property
    def edit_step(self) -> Step | None:
        """The section the review card's Edit button names, if it names one."""
        return Step(self.edit) if self.edit in _EDITABLE else None


Submit = Annotated[
    HelpSubmit | StartReferralSubmit | StatusSubmit | ResumeSubmit | CancelSubmit | ReferralSubmit,
    Field(discriminator="action"),
]
_SUBMIT: TypeAdapter[Submit] = TypeAdapter(Submit)


def parse_submit(value: object) -> Submit | None:
    """The submission a card sent, or None for a value no card of ours sends."""
    if not isinstance(value, dict):
        return None
    try:
        return _SUBMIT.validate_python(value)
    except ValidationError:
        return None
