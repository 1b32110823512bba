"""Lead decisions on a case: what may be decided when, by whom, and what each changes.

Pure functions: the moment of a decision is an argument, nothing is read from a clock or a
store. `apply_decision` returns a new case and the audit entry for the store to append; the
case keeps every decision it was given, so agreements and history are read back from it.
Refusals and the referrer's summary are codes with plain params: cards/wording.py words them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from safeguarding.cases import Actor, Case, CaseStatus, RecordedDecision
from safeguarding.clocks import london_time
from safeguarding.partnerships import Lead, Partner, Partnership, WebPage
from safeguarding.referral import AGENCIES, Criterion
from safeguarding.timeline import (
    ALL_PARTNERS,
    CaseDatesOrderError,
    Completion,
    MilestoneEvents,
    MilestoneKey,
    Slip,
    SlipKind,
    validate_case_dates,
)

__all__ = [
    "Actor",
    "AgencyName",
    "AgencySummary",
    "Agree",
    "Agreement",
    "AlreadyDecidedError",
    "AuditEntry",
    "CaseNote",
    "DatedDecision",
    "Decision",
    "DecisionError",
    "DecisionKind",
    "DecisionNotAllowedError",
    "DecisionProblem",
    "DecisionResult",
    "HaveRegard",
    "InvalidDecisionError",
    "LearningOutcome",
    "LearningReviewCompleted",
    "LearningShared",
    "LearningSharing",
    "NotALeadError",
    "NotAPartnerError",
    "NotTheLocalAuthorityError",
    "NoteCode",
    "Outcome",
    "PanelAnswer",
    "PanelReply",
    "Param",
    "PartnerView",
    "ProposeRecommendation",
    "Publication",
    "PublicationDecision",
    "PublicationPlanned",
    "Published",
    "ReasonedDecision",
    "RecommendationNotFinalError",
    "ReviewerAppointed",
    "SafetyAction",
    "SlipMilestone",
    "SummariesDecision",
    "SummariesStatus",
    "SummaryCode",
    "SummaryItem",
    "WrongPartnershipError",
    "agencies_to_ask",
    "agency_id",
    "agency_summaries",
    "agreement_status",
    "apply_decision",
    "available_decisions",
    "case_agencies",
    "case_notes",
    "decision_summary",
    "lead_authority_told",
    "panel_answers",
    "parse_decision",
    "recorded_decisions",
]


# --- errors ---------------------------------------------------------------------------------


class DecisionProblem(StrEnum):
    """Why a decision was refused; cards/wording.py words each one for the lead."""

    # The case is not at the point where this decision fits.
    RAPID_REVIEW_ALREADY_SENT = "rapid_review_already_sent"
    NOT_POSSIBLE_NOW = "not_possible_now"  # kind, status
    RECORD_FIRST = "record_first"  # first, then (decision kinds)
    RAPID_REVIEW_NOT_SENT = "rapid_review_not_sent"
    NO_RECOMMENDATION = "no_recommendation"
    SEND_WITHOUT_RECOMMENDATION = "send_without_recommendation"
    SEND_AFTER_DISAGREEMENT = "send_after_disagreement"  # partners
    SEND_BEFORE_AGREEMENT = "send_before_agreement"  # partners (still awaited)
    DEADLINE_MET = "deadline_met"  # milestone, on
    DEADLINE_NEEDS_CSPR = "deadline_needs_cspr"  # milestone
    DEADLINE_NATIONAL_REVIEW = "deadline_national_review"  # milestone
    NO_INFORMATION_REQUESTED = "no_information_requested"
    AGENCY_NOT_REQUESTED = "agency_not_requested"  # agency
    # Another local authority leads the case (CA 2004 s16C(1)): this partnership takes part.
    LEAD_ELSEWHERE = "lead_elsewhere"  # kind
    # This partnership leads the case: there is no other leading authority to tell.
    LEADS_HERE = "leads_here"  # kind
    # Already recorded.
    ALREADY_RECORDED = "already_recorded"  # kind, on
    SIN_ALREADY_MADE = "sin_already_made"  # on
    SUMMARIES_ALREADY_REQUESTED = "summaries_already_requested"  # on
    PARTNERS_ALREADY_TOLD = "partners_already_told"  # on
    SUMMARIES_ALREADY_IN = "summaries_already_in"  # on
    # No more agencies asked once the whole-case "summaries in" said every summary was in.
    SUMMARIES_IN_FOR_CASE = "summaries_in_for_case"  # on
    AGENCY_ALREADY_REQUESTED = "agency_already_requested"  # agency, on
    SUMMARY_ALREADY_RECEIVED = "summary_already_received"  # agency, on
    ALL_PARTNERS_ANSWERED = "all_partners_answered"
    PARTNER_ALREADY_ANSWERED = "partner_already_answered"  # partner, kind (agree or disagree)
    # Who may decide.
    OTHER_PARTNERSHIP = "other_partnership"  # partnership (its name)
    LEADS_ONLY = "leads_only"  # partnership (its name)
    PARTNERS_ONLY = "partners_only"  # kind (agree or disagree)
    LOCAL_AUTHORITY_ONLY = "local_authority_only"  # kind
    SAY_ON_BEHALF = "say_on_behalf"  # kind
    NOT_ON_BEHALF = "not_on_behalf"  # kind
    # The decision's own data.
    DATE_IN_FUTURE = "date_in_future"
    DATE_BEFORE_INCIDENT = "date_before_incident"  # earliest
    DATE_BEFORE_AGREEMENT = "date_before_agreement"  # earliest
    DATE_BEFORE_RAPID_REVIEW_SENT = "date_before_rapid_review_sent"  # earliest
    DATE_BEFORE_DECISION_TO_REVIEW = "date_before_decision_to_review"  # earliest
    DATE_BEFORE_DECISION = "date_before_decision"  # kind, earliest
    DATES_OUT_OF_ORDER = "dates_out_of_order"  # later, later_on, earlier, earlier_on
    MINIMUM_PERIOD = "minimum_period"  # milestone
    NEW_DUE_DATE_IN_PAST = "new_due_date_in_past"
    PLANNED_DATE_IN_PAST = "planned_date_in_past"
    # What a card submitted (parse_decision).
    REQUIRED = "required"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_DATE = "not_a_date"
    NOT_AN_OPTION = "not_an_option"
    UNKNOWN_DECISION = "unknown_decision"
    NO_DECISION_KIND = "no_decision_kind"
    UNEXPECTED_FIELD = "unexpected_field"
    LINK_NOT_HTTPS = "link_not_https"
    CRITERIA_NEEDED = "criteria_needed"
    PUBLISH_REASON_NEEDED = "publish_reason_needed"
    ACTIONS_NEEDED = "actions_needed"
    REQUEST_NEEDED = "request_needed"
    LEARNING_LINK_NEEDED = "learning_link_needed"
    AGENCIES_NEEDED = "agencies_needed"
    INVALID = "invalid"  # detail (the validator's own message, as pydantic gives it)


# Plain values only: dates, enum members (decision kinds, statuses, milestones, partners),
# names as given, and tuples of partners.
Param: TypeAlias = str | bool | date | tuple[str, ...]


class DecisionError(ValueError):
    """A decision that cannot be recorded: a stable `code` and its `params`, worded by the cards."""

    def __init__(self, code: DecisionProblem, **params: Param) -> None:
        self.code = code
        self.params: dict[str, Param] = params
        super().__init__(code.value)

    def __str__(self) -> str:
        # For logs and tracebacks; people are told cards.wording.decision_problem(error).
        return f"{self.code.value} {self.params}" if self.params else self.code.value


class DecisionNotAllowedError(DecisionError):
    """The decision does not fit where the case is now."""


class RecommendationNotFinalError(DecisionNotAllowedError):
    """The rapid review cannot be sent before the three partners have agreed its outcome."""


class NotALeadError(DecisionError):
    """The actor is not one of the partnership's leads."""


class WrongPartnershipError(NotALeadError):
    """The case belongs to another partnership than the one the actor leads."""


class NotAPartnerError(DecisionError):
    """Only a lead who represents a safeguarding partner may agree or disagree."""


class NotTheLocalAuthorityError(DecisionError):
    """The notification decision is the local authority's: its lead, or the business unit for it.

    Children Act 2004 s16C(1): the duty to notify the Panel is the local authority's; WT2023
    chapter 5 and the Panel's FAQ: the responsibility to notify rests with the local authority,
    the three partners agreeing which incidents are notified.
    """


class AlreadyDecidedError(DecisionError):
    """This decision, or this partner's view of the recommendation, is already recorded."""


class InvalidDecisionError(DecisionError):
    """A decision whose data does not hold together; `field` names the input to fix."""

    def __init__(self, field_name: str, code: DecisionProblem, **params: Param) -> None:
        self.field = field_name
        super().__init__(code, **params)

    def __str__(self) -> str:
        return f"{self.field}: {super().__str__()}"


# --- the decisions --------------------------------------------------------------------------


class DecisionKind(StrEnum):
    """Every decision a lead can record, in the order the lead card shows them."""

    # The local authority notified the Panel (a SIN); a rapid review begins.
    SIN_MADE = "sin_made"
    # The local authority decided the case is not a serious incident to notify.
    NOT_NOTIFIABLE = "not_notifiable"
    # A case that was not notifiable goes to a learning review all the same.
    LEARNING_REVIEW_OFFERED = "learning_review_offered"
    # A case the partnership only takes part in: it told the local authority where the child
    # was harmed, which notifies and leads (CA 2004 s16C(1)).
    LEAD_AUTHORITY_TOLD = "lead_authority_told"
    # The local authority told the safeguarding partners (and other areas' partners).
    PARTNERS_NOTIFIED = "partners_notified"
    # The agencies were asked for their Individual Agency Summaries (named, or for the whole
    # case); some agencies' summaries came in; then they are all in (the whole-case shortcut).
    SUMMARIES_REQUESTED = "summaries_requested"
    SUMMARIES_RECEIVED = "summaries_received"
    SUMMARIES_RETURNED = "summaries_returned"
    # The rapid review group met.
    MEETING_HELD = "meeting_held"
    # Whether immediate action is needed to keep children safe, and what was agreed.
    SAFETY_ACTION = "safety_action"
    PROPOSE_RECOMMENDATION = "propose_recommendation"
    # A partner's lead agrees the current recommendation, or disagrees and says why.
    AGREE = "agree"
    DISAGREE = "disagree"
    # The rapid review and the partners' agreed outcome went to the Panel.
    RAPID_REVIEW_SENT = "rapid_review_sent"
    PANEL_REPLY = "panel_reply"
    # The partners sent the Panel the further information it asked for.
    PANEL_INFORMATION_SENT = "panel_information_sent"
    REVIEWER_APPOINTED = "reviewer_appointed"
    # The local CSPR's terms of reference were agreed; the partners approved its final report.
    TERMS_OF_REFERENCE_AGREED = "terms_of_reference_agreed"
    REPORT_APPROVED = "report_approved"
    PUBLICATION_DECISION = "publication_decision"
    PUBLICATION_PLANNED = "publication_planned"
    # A copy of the final report went to the Panel and the Secretary of State.
    REPORT_SENT_TO_PANEL = "report_sent_to_panel"
    PUBLISHED = "published"
    # The learning review (or alternative learning review): commissioned, completed with its
    # outcome, and how its learning was shared.
    LEARNING_REVIEW_COMMISSIONED = "learning_review_commissioned"
    LEARNING_REVIEW_COMPLETED = "learning_review_completed"
    LEARNING_SHARED = "learning_shared"
    SLIP = "slip"
    # The partnership's work on the case is over; the case leaves the reminders and the digest.
    CLOSE_CASE = "close_case"


Outcome = Literal["local_cspr", "learning_review", "no_further_review"]
HaveRegard = Literal[
    "single_agency", "no_agency_involvement", "more_than_one_area", "institutional_setting"
]
# The Panel's reply to a rapid review: a national review; a local review agreed (a local CSPR,
# the partners' or one the Panel steers the case to); agreement with the partners' decision not
# to hold one (recorded before issue 14, still offered where the partners chose no local CSPR);
# or more information requested before it decides, which leaves the reply still to come.
PanelAnswer = Literal["national_review", "local_review", "agrees", "more_information"]
Publication = Literal["full", "improvements_only"]
LearningOutcome = Literal["learning_identified", "no_new_learning"]
# How a learning review's learning was shared: published, a briefing for practitioners (such as
# a 7-minute briefing), or within the partnership only.
LearningSharing = Literal["published", "briefing", "within_partnership"]

Text = Annotated[str, Field(min_length=1, max_length=1500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _custom(problem: DecisionProblem) -> PydanticCustomError:
    # The error's type is the problem's code, so parse_decision can pass it on unworded.
    return PydanticCustomError(problem.value, problem.value)


class _Dated(_Data):
    """A decision about something that happened on a day, which cannot be in the future."""

    on: date


class DatedDecision(_Dated):
    """A decision whose only data is the day it happened."""

    kind: Literal[
        DecisionKind.SIN_MADE,
        DecisionKind.LEAD_AUTHORITY_TOLD,
        DecisionKind.PARTNERS_NOTIFIED,
        DecisionKind.SUMMARIES_RETURNED,
        DecisionKind.MEETING_HELD,
        DecisionKind.RAPID_REVIEW_SENT,
        DecisionKind.PANEL_INFORMATION_SENT,
        DecisionKind.TERMS_OF_REFERENCE_AGREED,
        DecisionKind.REPORT_APPROVED,
        DecisionKind.REPORT_SENT_TO_PANEL,
        DecisionKind.LEARNING_REVIEW_COMMISSIONED,
    ]


class ReasonedDecision(_Data):
    """A decision whose only data is the lead's reason for it."""

    kind: Literal[
        DecisionKind.NOT_NOTIFIABLE,
        DecisionKind.LEARNING_REVIEW_OFFERED,
        DecisionKind.DISAGREE,
        DecisionKind.CLOSE_CASE,
    ]
    reason: Text


# An agency asked for a summary: a key of the referral's agencies (safeguarding.referral's
# AGENCIES) or a name as a lead gave it (the referral's "other" agency, or one added by name).
AgencyName = Annotated[str, Field(min_length=1, max_length=300)]
# More than any rapid review asks; it keeps one decision, and the card, a sensible size.
MAX_AGENCIES = 40


def agency_id(name: str) -> str:
    """An agency as the case records it: the referral's key for a listed one, else the name."""
    cleaned = " ".join(name.split())
    folded = cleaned.casefold()
    return folded if folded in AGENCIES else cleaned


def _agency_match(agency: str) -> str:
    # Names are compared as a lead would read them: "Oak Housing" and "oak  housing" are one.
    return agency_id(agency).casefold()


class SummariesDecision(_Dated):
    """Agencies asked for their Individual Agency Summaries on `on`, or whose summaries came in.

    WT2023 chapter 5: the rapid review gathers the facts from the agencies involved with the
    child and family. Asking each agency for a summary on day 1 and having them in by day 10 is
    local practice within the rapid review's 15 working days (DOMAIN.md, milestone 4): the
    business unit chases each agency whose summary is not in. A request naming no agency is for
    the case as a whole, as every request recorded before agencies were named is.
    """

    kind: Literal[DecisionKind.SUMMARIES_REQUESTED, DecisionKind.SUMMARIES_RECEIVED]
    agencies: tuple[AgencyName, ...] | None = Field(
        default=None, max_length=MAX_AGENCIES, validate_default=True
    )

    @field_validator("agencies")
    @classmethod
    def _named_once_each(
        cls, value: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        # A summary comes in from a named agency; an empty list names nobody, which is a slip.
        if value is None and info.data.get("kind") != DecisionKind.SUMMARIES_RECEIVED:
            return None
        if not value:
            raise _custom(DecisionProblem.AGENCIES_NEEDED)
        unique: dict[str, str] = {}
        for agency in value:
            unique.setdefault(_agency_match(agency), agency_id(agency))
        return tuple(unique.values())


class ProposeRecommendation(_Data):
    """A proposed outcome of the rapid review, weighed against the statutory criteria."""

    kind: Literal[DecisionKind.PROPOSE_RECOMMENDATION] = DecisionKind.PROPOSE_RECOMMENDATION
    outcome: Outcome
    reasons: Text
    criteria: tuple[Criterion, ...] = Field(default=(), validate_default=True)
    have_regard: tuple[HaveRegard, ...] = ()

    @field_validator("criteria")
    @classmethod
    def _criteria_for_cspr(
        cls, value: tuple[Criterion, ...], info: ValidationInfo
    ) -> tuple[Criterion, ...]:
        # A local CSPR is decided against the statutory criteria, so one must be named.
        if info.data.get("outcome") == "local_cspr" and not value:
            raise _custom(DecisionProblem.CRITERIA_NEEDED)
        return tuple(dict.fromkeys(value))

    @field_validator("have_regard")
    @classmethod
    def _once_each(cls, value: tuple[HaveRegard, ...]) -> tuple[HaveRegard, ...]:
        return tuple(dict.fromkeys(value))


class Agree(_Data):
    """A partner's lead agrees the current recommendation."""

    kind: Literal[DecisionKind.AGREE] = DecisionKind.AGREE


class SafetyAction(_Dated):
    """Whether immediate action is needed to keep children safe and, if so, what was agreed.

    WT2023 chapter 5 (rapid reviews): the partners discuss whether any immediate action is
    needed to ensure children's safety; DOMAIN.md: the rapid review must ask it explicitly.
    """

    kind: Literal[DecisionKind.SAFETY_ACTION] = DecisionKind.SAFETY_ACTION
    needed: bool
    actions: Text | None = Field(default=None, validate_default=True)

    @field_validator("actions")
    @classmethod
    def _actions_when_needed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("needed") and value is None:
            raise _custom(DecisionProblem.ACTIONS_NEEDED)
        return value


class PanelReply(_Dated):
    """The Panel's reply to the rapid review, received on `on`.

    Children Act 2004 s16B(1): the Panel identifies the cases that raise complex or nationally
    important issues and arranges for them to be reviewed under its supervision; the Panel's
    guidance: it replies to each rapid review (in about 10 working days, not a statutory limit)
    and may ask the partners for more information before deciding.
    """

    kind: Literal[DecisionKind.PANEL_REPLY] = DecisionKind.PANEL_REPLY
    reply: PanelAnswer
    # What the Panel asked for, when it asked for more information.
    requested: Text | None = Field(default=None, validate_default=True)

    @field_validator("requested")
    @classmethod
    def _request_when_asked(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("reply") == "more_information" and value is None:
            raise _custom(DecisionProblem.REQUEST_NEEDED)
        return value


class ReviewerAppointed(_Dated):
    """The local CSPR's reviewer was appointed."""

    kind: Literal[DecisionKind.REVIEWER_APPOINTED] = DecisionKind.REVIEWER_APPOINTED
    reviewer: Name


class PublicationDecision(_Data):
    """Publish the report in full or, exceptionally, only the improvements (with a reason)."""

    kind: Literal[DecisionKind.PUBLICATION_DECISION] = DecisionKind.PUBLICATION_DECISION
    publish: Publication
    reason: Text | None = Field(default=None, validate_default=True)

    @field_validator("reason")
    @classmethod
    def _reason_when_exceptional(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("publish") == "improvements_only" and value is None:
            raise _custom(DecisionProblem.PUBLISH_REASON_NEEDED)
        return value


class PublicationPlanned(_Data):
    """The day the report is planned to be published (a future day)."""

    kind: Literal[DecisionKind.PUBLICATION_PLANNED] = DecisionKind.PUBLICATION_PLANNED
    planned_for: date


class Published(_Dated):
    """The final report was published at a public https address."""

    kind: Literal[DecisionKind.PUBLISHED] = DecisionKind.PUBLISHED
    link: Annotated[WebPage, Field(max_length=500)]


class LearningReviewCompleted(_Dated):
    """The learning review was completed: its outcome, and its learning in brief for the leads."""

    kind: Literal[DecisionKind.LEARNING_REVIEW_COMPLETED] = DecisionKind.LEARNING_REVIEW_COMPLETED
    outcome: LearningOutcome
    summary: Text


class LearningShared(_Dated):
    """How the learning review's learning was shared; a published one at a public https address."""

    kind: Literal[DecisionKind.LEARNING_SHARED] = DecisionKind.LEARNING_SHARED
    how: LearningSharing
    link: Annotated[WebPage, Field(max_length=500)] | None = Field(
        default=None, validate_default=True
    )

    @field_validator("link")
    @classmethod
    def _link_when_published(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("how") == "published" and value is None:
            raise _custom(DecisionProblem.LEARNING_LINK_NEEDED)
        return value


class SlipMilestone(_Data):
    """A milestone's deadline moves, for a reason; the original and earlier slips are kept."""

    kind: Literal[DecisionKind.SLIP] = DecisionKind.SLIP
    milestone: MilestoneKey
    to: date
    reason: Text
    # Why, as a kind the report counts by; None on slips recorded before it was asked.
    reason_kind: SlipKind | None = None

    @field_validator("reason_kind", mode="before")
    @classmethod
    def _unchosen(cls, value: Any) -> Any:
        # A choice left empty arrives as an empty string.
        return None if value == "" else value


# A model per payload, not per kind: kinds that carry the same data share a model.
Decision: TypeAlias = Annotated[
    DatedDecision
    | ReasonedDecision
    | SummariesDecision
    | ProposeRecommendation
    | Agree
    | SafetyAction
    | PanelReply
    | ReviewerAppointed
    | PublicationDecision
    | PublicationPlanned
    | Published
    | LearningReviewCompleted
    | LearningShared
    | SlipMilestone,
    Field(discriminator="kind"),
]

_DECISION: TypeAdapter[Decision] = TypeAdapter(Decision)


# Pydantic's error types, and the problems they are to the lead.
_PYDANTIC_PROBLEMS = {
    "missing": DecisionProblem.REQUIRED,
    "string_too_short": DecisionProblem.EMPTY,
    "string_too_long": DecisionProblem.TOO_LONG,
    "too_long": DecisionProblem.TOO_LONG,
    "date_from_datetime_parsing": DecisionProblem.NOT_A_DATE,
    "date_parsing": DecisionProblem.NOT_A_DATE,
    "date_type": DecisionProblem.NOT_A_DATE,
    "literal_error": DecisionProblem.NOT_AN_OPTION,
    "enum": DecisionProblem.NOT_AN_OPTION,
    "union_tag_invalid": DecisionProblem.UNKNOWN_DECISION,
    "union_tag_not_found": DecisionProblem.NO_DECISION_KIND,
    "extra_forbidden": DecisionProblem.UNEXPECTED_FIELD,
    # Raised by the models' own validators (see _custom).
    DecisionProblem.CRITERIA_NEEDED.value: DecisionProblem.CRITERIA_NEEDED,
    DecisionProblem.PUBLISH_REASON_NEEDED.value: DecisionProblem.PUBLISH_REASON_NEEDED,
    DecisionProblem.ACTIONS_NEEDED.value: DecisionProblem.ACTIONS_NEEDED,
    DecisionProblem.REQUEST_NEEDED.value: DecisionProblem.REQUEST_NEEDED,
    DecisionProblem.LEARNING_LINK_NEEDED.value: DecisionProblem.LEARNING_LINK_NEEDED,
    DecisionProblem.AGENCIES_NEEDED.value: DecisionProblem.AGENCIES_NEEDED,
}


def parse_decision(data: Mapping[str, Any]) -> Decision:
    """A decision from submitted data (with its `kind`); InvalidDecisionError names the field."""
    try:
        return _DECISION.validate_python(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        # The location is the kind (the union's tag), the field, then any index within it.
        field_name = loc[1] if len(loc) > 1 else "kind"
        if field_name == "link" and first["type"] == "string_pattern_mismatch":
            raise InvalidDecisionError(field_name, DecisionProblem.LINK_NOT_HTTPS) from None
        problem = _PYDANTIC_PROBLEMS.get(first["type"])
        if problem is None:
            raise InvalidDecisionError(
                field_name, DecisionProblem.INVALID, detail=first["msg"]
            ) from None
        raise InvalidDecisionError(field_name, problem) from None


# --- results and views ----------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditEntry(_Frozen):
    """Who decided what and when, for the store to append to the case's audit trail."""

    reference: str
    kind: DecisionKind
    version_before: int
    # The decision as the case records it (actor, moment, data, the version it made): the audit
    # says what the case says, so the two cannot disagree.
    record: RecordedDecision

    def detail(self) -> dict[str, JsonValue]:
        """What the store's audit() takes beyond reference, at, and the actor's id and role."""
        actor = self.record.actor
        detail: dict[str, JsonValue] = {
            "kind": self.kind.value,
            "actor_name": actor.name,
            "partner": actor.partner.value if actor.partner else None,
            "version_before": self.version_before,
            "version_after": self.record.version,
            "data": self.record.data,
        }
        if actor.on_behalf_of is not None:
            # Beside the data, not in it: `case show` prints this, and hides what leads typed.
            detail["on_behalf_of"] = actor.on_behalf_of.value
        return detail


class DecisionResult(_Frozen):
    """The case after a decision and its audit entry; `changed` is False for a repeated click."""

    case: Case
    audit: AuditEntry | None
    changed: bool


class PartnerView(_Frozen):
    """One partner's answer to the current recommendation."""

    partner: Partner
    agreed: bool
    actor: Actor
    at: datetime
    reason: str | None = None


class Agreement(_Frozen):
    """Where the three partners stand on the current recommendation."""

    proposal: ProposeRecommendation | None = None
    proposed_by: Actor | None = None
    proposed_at: datetime | None = None
    views: tuple[PartnerView, ...] = ()
    agreed: tuple[Partner, ...] = ()
    awaited: tuple[Partner, ...] = ALL_PARTNERS
    disagreements: tuple[PartnerView, ...] = ()
    final: bool = False

    def view_of(self, partner: Partner) -> PartnerView | None:
        """The partner's answer, if they have given one."""
        return next((view for view in self.views if view.partner is partner), None)


# --- reading the record ---------------------------------------------------------------------


def recorded_decisions(case: Case) -> list[tuple[RecordedDecision, Decision]]:
    """Every decision on the case, oldest first, with its record (actor, moment, version)."""
    return [
        (record, _DECISION.validate_python({**record.data, "kind": record.kind}))
        for record in case.decisions
    ]


def agreement_status(case: Case) -> Agreement:
    """The current recommendation: who proposed it, who agreed, who is awaited, who disagrees."""
    history = recorded_decisions(case)
    start = next(
        (
            i
            for i in range(len(history) - 1, -1, -1)
            if isinstance(history[i][1], ProposeRecommendation)
        ),
        None,
    )
    if start is None:
        return Agreement()
    record, proposal = history[start]
    assert isinstance(proposal, ProposeRecommendation)  # found above; for the type checker
    views: dict[Partner, PartnerView] = {}
    if record.actor.partner is not None:
        # Proposing counts as the proposer's partner agreeing.
        views[record.actor.partner] = PartnerView(
            partner=record.actor.partner, agreed=True, actor=record.actor, at=record.at
        )
    for later, decision in history[start + 1 :]:
        partner = later.actor.partner
        if partner is None or partner in views:
            continue
        match decision:
            case Agree():
                views[partner] = PartnerView(
                    partner=partner, agreed=True, actor=later.actor, at=later.at
                )
            case ReasonedDecision(kind=DecisionKind.DISAGREE, reason=reason):
                views[partner] = PartnerView(
                    partner=partner, agreed=False, actor=later.actor, at=later.at, reason=reason
                )
    ordered = tuple(views[p] for p in ALL_PARTNERS if p in views)
    agreed = tuple(v.partner for v in ordered if v.agreed)
    return Agreement(
        proposal=proposal,
        proposed_by=record.actor,
        proposed_at=record.at,
        views=ordered,
        agreed=agreed,
        awaited=tuple(p for p in ALL_PARTNERS if p not in views),
        disagreements=tuple(v for v in ordered if not v.agreed),
        final=len(agreed) == len(ALL_PARTNERS),
    )


# --- the agencies' summaries ------------------------------------------------------------------


@dataclass(frozen=True)
class AgencySummary:
    """One agency asked for its summary: the day it was asked, and the day its summary came in."""

    agency: str
    requested_on: date
    # None while the summary is outstanding.
    returned_on: date | None = None
    # In by the whole-case "summaries in" decision: no day was recorded for this agency itself.
    by_whole_case: bool = False


@dataclass(frozen=True)
class SummariesStatus:
    """Which agencies were asked for a summary and when, whose are in, and whether all are."""

    agencies: tuple[AgencySummary, ...] = ()
    # The first request, naming agencies or for the whole case.
    requested_on: date | None = None
    # The day the last summary came in, or the whole-case decision said they all had.
    all_in_on: date | None = None

    @property
    def returned(self) -> tuple[AgencySummary, ...]:
        """The agencies whose summaries are in, in the order they were asked."""
        return tuple(entry for entry in self.agencies if entry.returned_on is not None)

    @property
    def outstanding(self) -> tuple[str, ...]:
        """The agencies asked whose summaries are not in yet, in the order they were asked."""
        return tuple(entry.agency for entry in self.agencies if entry.returned_on is None)

    def find(self, agency: str) -> AgencySummary | None:
        """The entry of an agency that was asked (names compared as a lead reads them)."""
        wanted = _agency_match(agency)
        return next((e for e in self.agencies if _agency_match(e.agency) == wanted), None)


@dataclass(frozen=True)
class _Step:
    """What one decision did to the summaries: the first request, all in, or open again."""

    first: bool = False
    all_in: bool = False
    # An agency was asked after every summary asked for was in: the milestone waits for it.
    reopened: bool = False


class _Ledger:
    """The summaries as the case's decisions have them, taken in one at a time, oldest first.

    "All in" is read from the agencies' own records: every agency asked is in, on the day the
    last of them came in. Asking another agency after that opens the summaries again until its
    summary is in. Only the whole-case "summaries in" says they are all in for the case as a
    whole, and that stands (the guards refuse further requests after it).
    """

    def __init__(self) -> None:
        self.entries: dict[str, AgencySummary] = {}
        self.requested_on: date | None = None
        # The whole-case "summaries in": its day.
        self.whole_case_on: date | None = None

    @property
    def all_in_on(self) -> date | None:
        """The day every summary asked for was in, or the whole-case decision said so; or None."""
        if self.whole_case_on is not None:
            return self.whole_case_on
        days = [e.returned_on for e in self.entries.values() if e.returned_on is not None]
        if not self.entries or len(days) < len(self.entries):
            return None
        # The milestone is met the day the last summary came in.
        return max(days)

    def add(self, decision: Decision) -> _Step:
        """Take in one decision; what it did to the summaries."""
        was_in = self.all_in_on is not None
        first = False
        match decision:
            case SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED, on=on):
                first = self.requested_on is None
                if first:
                    self.requested_on = on
                for agency in decision.agencies or ():
                    self.entries.setdefault(_agency_match(agency), AgencySummary(agency, on))
            case SummariesDecision(kind=DecisionKind.SUMMARIES_RECEIVED, on=on):
                for agency in decision.agencies or ():
                    key = _agency_match(agency)
                    entry = self.entries.get(key)
                    if entry is not None and entry.returned_on is None:
                        self.entries[key] = replace(entry, returned_on=on)
            case DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=on):
                # The whole-case shortcut: whatever was still outstanding is in by that day.
                self.entries = {
                    key: entry
                    if entry.returned_on is not None
                    else replace(entry, returned_on=on, by_whole_case=True)
                    for key, entry in self.entries.items()
                }
                if not was_in:
                    self.whole_case_on = on
        now_in = self.all_in_on is not None
        return _Step(first=first, all_in=now_in and not was_in, reopened=was_in and not now_in)

    def status(self) -> SummariesStatus:
        """What the ledger holds now."""
        return SummariesStatus(
            agencies=tuple(self.entries.values()),
            requested_on=self.requested_on,
            all_in_on=self.all_in_on,
        )


def _ledger(case: Case) -> _Ledger:
    ledger = _Ledger()
    for _, decision in recorded_decisions(case):
        ledger.add(decision)
    return ledger


def agency_summaries(case: Case) -> SummariesStatus:
    """Who was asked for a summary and when, whose summaries are in and when, who is outstanding."""
    return _ledger(case).status()


def case_agencies(case: Case) -> tuple[str, ...]:
    """The agencies the referral names: its listed agencies' keys, then its "other" agency."""
    agencies = case.referral.agencies
    named = [agency_id(agencies.other)] if agencies.other and agencies.other.strip() else []
    return tuple(dict.fromkeys([*agencies.involved, *named]))


def agencies_to_ask(case: Case) -> tuple[str, ...]:
    """The referral's agencies not yet asked for a summary, as a lead's card offers them."""
    status = agency_summaries(case)
    return tuple(agency for agency in case_agencies(case) if status.find(agency) is None)


def _latest(case: Case, kind: DecisionKind) -> RecordedDecision | None:
    return next((r for r in reversed(case.decisions) if r.kind == kind.value), None)


def lead_authority_told(case: Case) -> date | None:
    """The day the partnership told the local authority that leads its case, if recorded.

    Children Act 2004 s16C(1): for a child harmed in an area not served here, that area's
    local authority notifies the Panel and leads the rapid review; the child's home
    partnership, which has the case, tells it and takes part (`Case.collaborator`).
    """
    return _recorded_on(_latest(case, DecisionKind.LEAD_AUTHORITY_TOLD))


# --- when each decision is allowed ----------------------------------------------------------

_OPEN = frozenset(CaseStatus) - {CaseStatus.PUBLISHED, CaseStatus.CLOSED}
_AFTER_RAPID_REVIEW = frozenset(
    {CaseStatus.LOCAL_REVIEW, CaseStatus.LEARNING_REVIEW, CaseStatus.NO_FURTHER_REVIEW}
)
# The rapid review asks whether immediate action is needed; the local authority may agree some
# before the rapid review begins. Afterwards a child's safety is for case work, not the review.
# Immediate safety action can be agreed at any time while the case is open (DOMAIN.md: "at any
# time; the rapid review must ask it explicitly").
_SAFETY_QUESTION = frozenset(CaseStatus) - {CaseStatus.CLOSED, CaseStatus.PUBLISHED}
# No statutory milestone is left here; a learning review may close once it is completed.
_CLOSABLE = frozenset(
    {
        CaseStatus.NO_SERIOUS_INCIDENT,
        CaseStatus.NO_FURTHER_REVIEW,
        CaseStatus.NATIONAL_REVIEW,
        CaseStatus.PUBLISHED,
    }
)
# The local authority's own decisions: whether to notify the Panel (CA 2004 s16C(1)).
_LOCAL_AUTHORITY_DECISIONS = frozenset({DecisionKind.SIN_MADE, DecisionKind.NOT_NOTIFIABLE})
_MORE_INFORMATION = "more_information"


def _need_status(case: Case, allowed: frozenset[CaseStatus], kind: DecisionKind) -> None:
    if case.status in allowed:
        return
    if allowed == {CaseStatus.RAPID_REVIEW} and case.dates.rapid_review_sent is not None:
        raise DecisionNotAllowedError(DecisionProblem.RAPID_REVIEW_ALREADY_SENT)
    raise DecisionNotAllowedError(DecisionProblem.NOT_POSSIBLE_NOW, kind=kind, status=case.status)


def _once(case: Case, kind: DecisionKind) -> None:
    earlier = _latest(case, kind)
    if earlier is not None:
        on = london_time(earlier.at).date()
        raise AlreadyDecidedError(DecisionProblem.ALREADY_RECORDED, kind=kind, on=on)


def _need(case: Case, kind: DecisionKind, before: DecisionKind) -> None:
    if _latest(case, kind) is None:
        raise DecisionNotAllowedError(DecisionProblem.RECORD_FIRST, first=kind, then=before)


def _completion(case: Case, key: MilestoneKey) -> Completion | None:
    events = case.milestone_events.get(key.value)
    return events.completion if events else None


def _guard_sin(case: Case, _: Agreement) -> None:
    if case.dates.sin_made is not None:
        raise AlreadyDecidedError(DecisionProblem.SIN_ALREADY_MADE, on=case.dates.sin_made)
    # New information can make a case notifiable after it was judged not to be.
    allowed = {CaseStatus.REFERRED, CaseStatus.NO_SERIOUS_INCIDENT, CaseStatus.LEARNING_REVIEW}
    if case.status not in allowed or case.dates.rapid_review_sent is not None:
        _need_status(case, frozenset({CaseStatus.REFERRED}), DecisionKind.SIN_MADE)


def _guard_status(allowed: frozenset[CaseStatus], kind: DecisionKind) -> _Guard:
    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, allowed, kind)

    return guard


def _guard_once(
    kind: DecisionKind,
    allowed: frozenset[CaseStatus],
    milestone: MilestoneKey,
    already: DecisionProblem,
) -> _Guard:
    """A decision that completes one milestone, allowed once, in some statuses."""

    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, allowed, kind)
        done = _completion(case, milestone)
        if done is not None:
            raise AlreadyDecidedError(already, on=done.on)

    return guard


def _guard_requests(case: Case, _: Agreement) -> None:
    """Agencies are asked in the rapid review, each once, until the summaries are in.

    Open after the first request, and after every agency asked is in: an agency found to be
    involved later is asked then, and the summaries-in milestone waits for its summary. Only
    the whole-case "summaries in" ends the asking: it said every summary was in for the case
    as a whole, without saying whose, so a later request could not tell an agency it covered
    from a new one (a case asked as a whole names none), and no decision takes it back.
    """
    _need_status(case, frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.SUMMARIES_REQUESTED)
    done = _completion(case, MilestoneKey.RR_IAS_RETURNS)
    if done is not None and _ledger(case).whole_case_on is not None:
        raise AlreadyDecidedError(DecisionProblem.SUMMARIES_IN_FOR_CASE, on=done.on)


def _guard_received(case: Case, _: Agreement) -> None:
    """Summaries come in while an agency asked is outstanding."""
    _need_status(case, frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.SUMMARIES_RECEIVED)
    done = _completion(case, MilestoneKey.RR_IAS_RETURNS)
    if done is not None:
        raise AlreadyDecidedError(DecisionProblem.SUMMARIES_ALREADY_IN, on=done.on)
    if not agency_summaries(case).outstanding:
        raise DecisionNotAllowedError(
            DecisionProblem.RECORD_FIRST,
            first=DecisionKind.SUMMARIES_REQUESTED,
            then=DecisionKind.SUMMARIES_RECEIVED,
        )


def _guard_view(kind: DecisionKind) -> _Guard:
    def guard(case: Case, agreement: Agreement) -> None:
        _need_status(case, frozenset({CaseStatus.RAPID_REVIEW}), kind)
        if agreement.proposal is None:
            raise DecisionNotAllowedError(DecisionProblem.NO_RECOMMENDATION)
        if not agreement.awaited:
            raise AlreadyDecidedError(DecisionProblem.ALL_PARTNERS_ANSWERED)

    return guard


def _guard_send(case: Case, agreement: Agreement) -> None:
    _need_status(case, frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.RAPID_REVIEW_SENT)
    if agreement.proposal is None:
        raise RecommendationNotFinalError(DecisionProblem.SEND_WITHOUT_RECOMMENDATION)
    if agreement.disagreements:
        who = tuple(v.partner for v in agreement.disagreements)
        raise RecommendationNotFinalError(DecisionProblem.SEND_AFTER_DISAGREEMENT, partners=who)
    if not agreement.final:
        raise RecommendationNotFinalError(
            DecisionProblem.SEND_BEFORE_AGREEMENT, partners=agreement.awaited
        )


def _final_panel_reply(case: Case) -> RecordedDecision | None:
    """The Panel's decision on the rapid review, if it made one (a request for more is not)."""
    return next(
        (
            r
            for r in reversed(case.decisions)
            if r.kind == DecisionKind.PANEL_REPLY.value and r.data.get("reply") != _MORE_INFORMATION
        ),
        None,
    )


def _open_request(case: Case) -> RecordedDecision | None:
    """The Panel's latest request for more information, while its answer is not recorded."""
    for record in reversed(case.decisions):
        if record.kind == DecisionKind.PANEL_INFORMATION_SENT.value:
            return None
        if record.kind == DecisionKind.PANEL_REPLY.value:
            return record if record.data.get("reply") == _MORE_INFORMATION else None
    return None


def _guard_panel_reply(case: Case, _: Agreement) -> None:
    if case.dates.rapid_review_sent is None:
        raise DecisionNotAllowedError(DecisionProblem.RAPID_REVIEW_NOT_SENT)
    # The Panel decides once; asking for more information first leaves its reply to come.
    final = _final_panel_reply(case)
    if final is not None:
        on = london_time(final.at).date()
        raise AlreadyDecidedError(
            DecisionProblem.ALREADY_RECORDED, kind=DecisionKind.PANEL_REPLY, on=on
        )
    _need_status(case, _AFTER_RAPID_REVIEW, DecisionKind.PANEL_REPLY)


def _guard_information_sent(case: Case, _: Agreement) -> None:
    _need_status(case, _AFTER_RAPID_REVIEW, DecisionKind.PANEL_INFORMATION_SENT)
    if _open_request(case) is None:
        raise DecisionNotAllowedError(DecisionProblem.NO_INFORMATION_REQUESTED)


def _guard_cspr(kind: DecisionKind, *, once: bool, needs: DecisionKind | None = None) -> _Guard:
    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, frozenset({CaseStatus.LOCAL_REVIEW}), kind)
        if once:
            _once(case, kind)
        if needs is not None:
            _need(case, needs, kind)

    return guard


def _guard_learning(kind: DecisionKind, *, needs: DecisionKind | None = None) -> _Guard:
    """A step of a learning review, once, in order.

    WT2023 chapter 5: cases that do not meet the criteria for a local CSPR may still be
    reviewed for local learning (partnerships call it a learning review, practice learning
    review or alternative learning review); the steps are the partnerships' own practice.
    """

    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, frozenset({CaseStatus.LEARNING_REVIEW}), kind)
        _once(case, kind)
        if needs is not None:
            _need(case, needs, kind)

    return guard


def _guard_close(case: Case, _: Agreement) -> None:
    """Where a lead may close a case: where no statutory milestone is left for the partnership.

    No statute closes a case; it ends where WT2023 chapter 5 leaves the partners nothing to
    do: not notified, no further review after the rapid review, the Panel reviewing it
    nationally (Children Act 2004 s16B), the local report published, a learning review done.
    A case another local authority leads (Children Act 2004 s16C(1)) leaves the partnership
    nothing once that authority has been told: it is closed from any open status then.
    """
    if case.collaborator:
        _need_status(case, _OPEN, DecisionKind.CLOSE_CASE)
        _need(case, DecisionKind.LEAD_AUTHORITY_TOLD, DecisionKind.CLOSE_CASE)
        return
    if case.status is CaseStatus.LEARNING_REVIEW:
        _need(case, DecisionKind.LEARNING_REVIEW_COMPLETED, DecisionKind.CLOSE_CASE)
        return
    _need_status(case, _CLOSABLE, DecisionKind.CLOSE_CASE)


def _guard_lead_told(case: Case, _: Agreement) -> None:
    """The leading local authority was told: once, on a case another authority leads."""
    _need_status(case, _OPEN, DecisionKind.LEAD_AUTHORITY_TOLD)
    told = lead_authority_told(case)
    if told is not None:
        raise AlreadyDecidedError(
            DecisionProblem.ALREADY_RECORDED, kind=DecisionKind.LEAD_AUTHORITY_TOLD, on=told
        )


def _guard_report_sent(case: Case, _: Agreement) -> None:
    allowed = frozenset({CaseStatus.LOCAL_REVIEW, CaseStatus.PUBLISHED})
    _need_status(case, allowed, DecisionKind.REPORT_SENT_TO_PANEL)
    _once(case, DecisionKind.REPORT_SENT_TO_PANEL)
    _need(case, DecisionKind.REPORT_APPROVED, DecisionKind.REPORT_SENT_TO_PANEL)


def _guard_published(case: Case, _: Agreement) -> None:
    _need_status(case, frozenset({CaseStatus.LOCAL_REVIEW}), DecisionKind.PUBLISHED)
    _need(case, DecisionKind.REPORT_APPROVED, DecisionKind.PUBLISHED)
    _need(case, DecisionKind.PUBLICATION_DECISION, DecisionKind.PUBLISHED)


_Guard: TypeAlias = Callable[[Case, Agreement], None]

_GUARDS: dict[DecisionKind, _Guard] = {
    DecisionKind.SIN_MADE: _guard_sin,
    DecisionKind.NOT_NOTIFIABLE: _guard_status(
        frozenset({CaseStatus.REFERRED}), DecisionKind.NOT_NOTIFIABLE
    ),
    DecisionKind.LEARNING_REVIEW_OFFERED: _guard_status(
        frozenset({CaseStatus.NO_SERIOUS_INCIDENT}), DecisionKind.LEARNING_REVIEW_OFFERED
    ),
    DecisionKind.LEAD_AUTHORITY_TOLD: _guard_lead_told,
    DecisionKind.SUMMARIES_REQUESTED: _guard_requests,
    DecisionKind.SUMMARIES_RECEIVED: _guard_received,
    DecisionKind.PARTNERS_NOTIFIED: _guard_once(
        DecisionKind.PARTNERS_NOTIFIED,
        frozenset({CaseStatus.REFERRED, CaseStatus.RAPID_REVIEW}),
        MilestoneKey.NOTIFY_PARTNERS,
        DecisionProblem.PARTNERS_ALREADY_TOLD,
    ),
    DecisionKind.SUMMARIES_RETURNED: _guard_once(
        DecisionKind.SUMMARIES_RETURNED,
        frozenset({CaseStatus.RAPID_REVIEW}),
        MilestoneKey.RR_IAS_RETURNS,
        DecisionProblem.SUMMARIES_ALREADY_IN,
    ),
    DecisionKind.MEETING_HELD: _guard_status(
        frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.MEETING_HELD
    ),
    # Each action agreed is recorded as it is agreed, so there may be several.
    DecisionKind.SAFETY_ACTION: _guard_status(_SAFETY_QUESTION, DecisionKind.SAFETY_ACTION),
    DecisionKind.PROPOSE_RECOMMENDATION: _guard_status(
        frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.PROPOSE_RECOMMENDATION
    ),
    DecisionKind.AGREE: _guard_view(DecisionKind.AGREE),
    DecisionKind.DISAGREE: _guard_view(DecisionKind.DISAGREE),
    DecisionKind.RAPID_REVIEW_SENT: _guard_send,
    DecisionKind.PANEL_REPLY: _guard_panel_reply,
    DecisionKind.PANEL_INFORMATION_SENT: _guard_information_sent,
    DecisionKind.REVIEWER_APPOINTED: _guard_cspr(DecisionKind.REVIEWER_APPOINTED, once=True),
    DecisionKind.TERMS_OF_REFERENCE_AGREED: _guard_cspr(
        DecisionKind.TERMS_OF_REFERENCE_AGREED, once=True
    ),
    DecisionKind.REPORT_APPROVED: _guard_cspr(
        DecisionKind.REPORT_APPROVED, once=True, needs=DecisionKind.REVIEWER_APPOINTED
    ),
    DecisionKind.PUBLICATION_DECISION: _guard_cspr(DecisionKind.PUBLICATION_DECISION, once=True),
    # Publication can be re-planned (a trial moves it); each plan stays in the record.
    DecisionKind.PUBLICATION_PLANNED: _guard_cspr(DecisionKind.PUBLICATION_PLANNED, once=False),
    DecisionKind.REPORT_SENT_TO_PANEL: _guard_report_sent,
    DecisionKind.PUBLISHED: _guard_published,
    DecisionKind.LEARNING_REVIEW_COMMISSIONED: _guard_learning(
        DecisionKind.LEARNING_REVIEW_COMMISSIONED
    ),
    DecisionKind.LEARNING_REVIEW_COMPLETED: _guard_learning(
        DecisionKind.LEARNING_REVIEW_COMPLETED, needs=DecisionKind.LEARNING_REVIEW_COMMISSIONED
    ),
    DecisionKind.LEARNING_SHARED: _guard_learning(
        DecisionKind.LEARNING_SHARED, needs=DecisionKind.LEARNING_REVIEW_COMPLETED
    ),
    DecisionKind.SLIP: _guard_status(_OPEN, DecisionKind.SLIP),
    DecisionKind.CLOSE_CASE: _guard_close,
}

# All a partnership records on a case another local authority leads (CA 2004 s16C(1)).
_COLLABORATOR_DECISIONS = frozenset({DecisionKind.LEAD_AUTHORITY_TOLD, DecisionKind.CLOSE_CASE})


def _guard(kind: DecisionKind, case: Case, agreement: Agreement) -> None:
    """Whether the decision fits the case now; raises the DecisionError that says why not.

    Children Act 2004 s16C(1): the local authority where the child died or was seriously
    harmed notifies the Panel, and (the Panel's FAQ) undertakes the rapid review. On a case the
    partnership only takes part in (`Case.collaborator`) the notification decision, telling
    the partners, the rapid review and every review after it are that authority's: the
    partnership records only that it told that authority, and then closes the case.
    """
    if case.collaborator:
        if kind not in _COLLABORATOR_DECISIONS:
            raise DecisionNotAllowedError(DecisionProblem.LEAD_ELSEWHERE, kind=kind)
    elif kind is DecisionKind.LEAD_AUTHORITY_TOLD:
        raise DecisionNotAllowedError(DecisionProblem.LEADS_HERE, kind=kind)
    _GUARDS[kind](case, agreement)


def _check_capacity(kind: DecisionKind, actor: Actor) -> None:
    """Refuse a decision the actor may not record in the capacity they act in.

    The notification decision (SIN made, not notifiable) is the local authority's: Children Act
    2004 s16C(1) puts the duty to notify the Panel on the local authority, and WT2023 chapter 5
    and the Panel's FAQ say the responsibility to notify rests with it, the three partners
    agreeing which incidents are notified. So its lead records it, or a lead configured as the
    business unit records it for the local authority and says so; the police and health leads,
    a chair and the members of a leads group do not. Acting on a partner's behalf means nothing
    for any other decision.
    """
    if kind not in _LOCAL_AUTHORITY_DECISIONS:
        if actor.on_behalf_of is not None:
            raise DecisionNotAllowedError(DecisionProblem.NOT_ON_BEHALF, kind=kind)
        return
    if actor.partner is Partner.LOCAL_AUTHORITY:
        return
    if actor.partner is not None or not actor.business_unit:
        # A chair or a leads-group member with no partner is not the business unit either.
        raise NotTheLocalAuthorityError(DecisionProblem.LOCAL_AUTHORITY_ONLY, kind=kind)
    if actor.on_behalf_of is not Partner.LOCAL_AUTHORITY:
        raise NotTheLocalAuthorityError(DecisionProblem.SAY_ON_BEHALF, kind=kind)


def _may_record(kind: DecisionKind, lead: Lead, agreement: Agreement) -> bool:
    """Whether this lead's card offers the decision (apply_decision still checks it)."""
    if kind in _LOCAL_AUTHORITY_DECISIONS:
        # A business-unit lead records it for the local authority: the card asks them to say so.
        return lead.partner is Partner.LOCAL_AUTHORITY or lead.business_unit
    if kind in (DecisionKind.AGREE, DecisionKind.DISAGREE):
        return lead.partner is not None and agreement.view_of(lead.partner) is None
    return True


def available_decisions(case: Case, lead: Lead | None = None) -> list[DecisionKind]:
    """The decisions that make sense for the case now (for `lead`, those they may record)."""
    agreement = agreement_status(case)
    available: list[DecisionKind] = []
    for kind in DecisionKind:
        try:
            _guard(kind, case, agreement)
        except DecisionError:
            continue
        if lead is None or _may_record(kind, lead, agreement):
            available.append(kind)
    return available


def panel_answers(case: Case) -> tuple[PanelAnswer, ...]:
    """The replies the Panel can give: agreeing with no local CSPR only where there is none."""
    if case.status is CaseStatus.LOCAL_REVIEW:
        return ("national_review", "local_review", "more_information")
    return ("national_review", "agrees", "local_review", "more_information")


# --- applying a decision --------------------------------------------------------------------


@dataclass
class _Change:
    """What a decision changes on the case, besides recording it."""

    status: CaseStatus | None = None
    dates: dict[str, date] = field(default_factory=dict)
    completions: dict[MilestoneKey, date] = field(default_factory=dict)
    # Milestones met before that are open again (their slips stay).
    reopened: tuple[MilestoneKey, ...] = ()
    slip: tuple[MilestoneKey, Slip] | None = None


def _is_lead(lead: Lead, actor: Actor) -> bool:
    if (lead.name, lead.role, lead.partner) != (actor.name, actor.role, actor.partner):
        return False
    return lead.aad_object_id is None or lead.aad_object_id.lower() == actor.id.lower()


def _check_lead(case: Case, actor: Actor, partnership: Partnership) -> None:
    if case.partnership_id != partnership.id:
        raise WrongPartnershipError(DecisionProblem.OTHER_PARTNERSHIP, partnership=partnership.name)
    if not any(_is_lead(lead, actor) for lead in partnership.leads):
        raise NotALeadError(DecisionProblem.LEADS_ONLY, partnership=partnership.name)


def _data_of(decision: Decision) -> dict[str, JsonValue]:
    return decision.model_dump(mode="json", exclude={"kind"})


def _is_repeat(case: Case, decision: Decision, actor: Actor, agreement: Agreement) -> bool:
    """Whether this is the same actor recording the same thing again (a double click)."""
    if case.decisions:
        last = case.decisions[-1]
        if (last.kind, last.actor.id, last.data) == (
            decision.kind.value,
            actor.id,
            _data_of(decision),
        ):
            return True
    if decision.kind in {DecisionKind.AGREE, DecisionKind.DISAGREE} and actor.partner is not None:
        view = agreement.view_of(actor.partner)
        reason = decision.reason if isinstance(decision, ReasonedDecision) else None
        return (
            view is not None
            and view.actor.id == actor.id
            and view.agreed == (decision.kind is DecisionKind.AGREE)
            and view.reason == reason
        )
    return False


def _check_day(on: date, case: Case, today: date, field_name: str = "on") -> None:
    if on > today:
        raise InvalidDecisionError(field_name, DecisionProblem.DATE_IN_FUTURE)
    incident = case.referral.incident.date
    if on < incident:
        raise InvalidDecisionError(
            field_name, DecisionProblem.DATE_BEFORE_INCIDENT, earliest=incident
        )


def _not_before(on: date, earliest: date | None, problem: DecisionProblem) -> None:
    if earliest is not None and on < earliest:
        raise InvalidDecisionError("on", problem, earliest=earliest)


def _recorded_on(record: RecordedDecision | None) -> date | None:
    """The day a dated decision says it happened."""
    return date.fromisoformat(str(record.data["on"])) if record is not None else None


def _not_before_decision(on: date, record: RecordedDecision | None, kind: DecisionKind) -> None:
    earliest = _recorded_on(record)
    if earliest is not None and on < earliest:
        raise InvalidDecisionError(
            "on", DecisionProblem.DATE_BEFORE_DECISION, kind=kind, earliest=earliest
        )


def _check_view(case: Case, actor: Actor, agreement: Agreement, agreeing: bool) -> Partner:
    if actor.partner is None:
        kind = DecisionKind.AGREE if agreeing else DecisionKind.DISAGREE
        raise NotAPartnerError(DecisionProblem.PARTNERS_ONLY, kind=kind)
    view = agreement.view_of(actor.partner)
    if view is not None:
        answered = DecisionKind.AGREE if view.agreed else DecisionKind.DISAGREE
        raise AlreadyDecidedError(
            DecisionProblem.PARTNER_ALREADY_ANSWERED, partner=actor.partner, kind=answered
        )
    return actor.partner


def _slip(case: Case, decision: SlipMilestone, today: date) -> _Change:
    key = decision.milestone
    if key is MilestoneKey.REPORT_AVAILABLE_UNTIL:
        raise InvalidDecisionError("milestone", DecisionProblem.MINIMUM_PERIOD, milestone=key)
    if decision.to < today:
        raise InvalidDecisionError("to", DecisionProblem.NEW_DUE_DATE_IN_PAST)
    by_date = {
        MilestoneKey.SIN: case.dates.sin_made,
        MilestoneKey.RAPID_REVIEW: case.dates.rapid_review_sent,
        MilestoneKey.CSPR_FINAL_REPORT: case.dates.published,
    }.get(key)
    completion = _completion(case, key)
    met = by_date or (completion.on if completion else None)
    if met is not None:
        raise DecisionNotAllowedError(DecisionProblem.DEADLINE_MET, milestone=key, on=met)
    local_report = {MilestoneKey.CSPR_FINAL_REPORT, MilestoneKey.REPORT_COPY_TO_PANEL}
    if key in local_report and case.dates.national_review is not None:
        raise DecisionNotAllowedError(DecisionProblem.DEADLINE_NATIONAL_REVIEW, milestone=key)
    rr_steps = {
        MilestoneKey.RR_IAS_REQUESTS,
        MilestoneKey.RR_IAS_RETURNS,
        MilestoneKey.RR_DRAFT,
        MilestoneKey.RR_SIGN_OFF,
    }
    if key in rr_steps and case.dates.rapid_review_sent is not None:
        raise DecisionNotAllowedError(DecisionProblem.RAPID_REVIEW_ALREADY_SENT)
    cspr_decided = any(
        (case.dates.decision_to_review, case.dates.planned_publication, case.dates.published)
    )
    if key in {MilestoneKey.CSPR_FINAL_REPORT, MilestoneKey.REPORT_COPY_TO_PANEL} and not (
        cspr_decided
    ):
        raise DecisionNotAllowedError(DecisionProblem.DEADLINE_NEEDS_CSPR, milestone=key)
    slip = Slip(
        to=decision.to, reason=decision.reason, recorded_on=today, kind=decision.reason_kind
    )
    return _Change(slip=(key, slip))


def _request_summaries(case: Case, decision: SummariesDecision) -> _Change:
    """Ask agencies for their summaries: each agency once; the first request meets day 1.

    An agency asked after every summary was in opens the summaries-in milestone again: its
    completion is cleared, so the timeline, the day-10 chase and the case card all wait for
    the new agency, and the milestone is met again when its summary is in.
    """
    requested = _completion(case, MilestoneKey.RR_IAS_REQUESTS)
    if decision.agencies is None:
        # For the whole case, as before agencies were named: once.
        if requested is not None:
            raise AlreadyDecidedError(DecisionProblem.SUMMARIES_ALREADY_REQUESTED, on=requested.on)
    else:
        status = agency_summaries(case)
        for agency in decision.agencies:
            asked = status.find(agency)
            if asked is not None:
                raise AlreadyDecidedError(
                    DecisionProblem.AGENCY_ALREADY_REQUESTED,
                    agency=asked.agency,
                    on=asked.requested_on,
                )
    change = _Change()
    if requested is None:
        change.completions[MilestoneKey.RR_IAS_REQUESTS] = decision.on
    if _ledger(case).add(decision).reopened:
        change.reopened = (MilestoneKey.RR_IAS_RETURNS,)
    return change


def _receive_summaries(case: Case, decision: SummariesDecision) -> _Change:
    """Agencies' summaries came in; the last one in meets the summaries-in milestone."""
    status = agency_summaries(case)
    for agency in decision.agencies or ():
        asked = status.find(agency)
        if asked is None:
            raise InvalidDecisionError(
                "agencies", DecisionProblem.AGENCY_NOT_REQUESTED, agency=agency
            )
        if asked.returned_on is not None:
            raise AlreadyDecidedError(
                DecisionProblem.SUMMARY_ALREADY_RECEIVED,
                agency=asked.agency,
                on=asked.returned_on,
            )
        if decision.on < asked.requested_on:
            raise InvalidDecisionError(
                "on",
                DecisionProblem.DATE_BEFORE_DECISION,
                kind=DecisionKind.SUMMARIES_REQUESTED,
                earliest=asked.requested_on,
            )
    ledger = _ledger(case)
    if ledger.add(decision).all_in and ledger.all_in_on is not None:
        return _Change(completions={MilestoneKey.RR_IAS_RETURNS: ledger.all_in_on})
    return _Change()


def _change(
    case: Case, decision: Decision, actor: Actor, agreement: Agreement, today: date
) -> _Change:
    if isinstance(decision, _Dated):
        _check_day(decision.on, case, today)
    dates = case.dates
    match decision:
        case DatedDecision(kind=DecisionKind.SIN_MADE, on=on):
            return _Change(status=CaseStatus.RAPID_REVIEW, dates={"sin_made": on})
        case ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE):
            return _Change(status=CaseStatus.NO_SERIOUS_INCIDENT)
        case ReasonedDecision(kind=DecisionKind.LEARNING_REVIEW_OFFERED):
            return _Change(status=CaseStatus.LEARNING_REVIEW)
        case ReasonedDecision(kind=DecisionKind.CLOSE_CASE):
            return _Change(status=CaseStatus.CLOSED)
        case SafetyAction():
            return _Change()
        case SummariesDecision(kind=DecisionKind.SUMMARIES_REQUESTED):
            return _request_summaries(case, decision)
        case SummariesDecision(kind=DecisionKind.SUMMARIES_RECEIVED):
            return _receive_summaries(case, decision)
        case DatedDecision(kind=DecisionKind.PARTNERS_NOTIFIED, on=on):
            return _Change(completions={MilestoneKey.NOTIFY_PARTNERS: on})
        case DatedDecision(kind=DecisionKind.SUMMARIES_RETURNED, on=on):
            return _Change(completions={MilestoneKey.RR_IAS_RETURNS: on})
        case DatedDecision(kind=DecisionKind.MEETING_HELD):
            return _Change()
        case DatedDecision(kind=DecisionKind.LEAD_AUTHORITY_TOLD):
            # Kept as a decision, not a milestone: no deadline for it is set anywhere.
            return _Change()
        case ProposeRecommendation():
            # The first proposal is the rapid review's draft outcome.
            if _completion(case, MilestoneKey.RR_DRAFT) is None:
                return _Change(completions={MilestoneKey.RR_DRAFT: today})
            return _Change()
        case Agree():
            partner = _check_view(case, actor, agreement, agreeing=True)
            final = {*agreement.agreed, partner} == set(ALL_PARTNERS)
            if final and _completion(case, MilestoneKey.RR_SIGN_OFF) is None:
                return _Change(completions={MilestoneKey.RR_SIGN_OFF: today})
            return _Change()
        case ReasonedDecision(kind=DecisionKind.DISAGREE):
            _check_view(case, actor, agreement, agreeing=False)
            return _Change()
        case DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=on):
            assert agreement.proposal is not None  # the guard requires a final recommendation
            agreed_on = max(london_time(view.at).date() for view in agreement.views)
            _not_before(on, agreed_on, DecisionProblem.DATE_BEFORE_AGREEMENT)
            outcome = agreement.proposal.outcome
            status = {
                "local_cspr": CaseStatus.LOCAL_REVIEW,
                "learning_review": CaseStatus.LEARNING_REVIEW,
                "no_further_review": CaseStatus.NO_FURTHER_REVIEW,
            }[outcome]
            new_dates = {"rapid_review_sent": on}
            if outcome == "local_cspr" and dates.decision_to_review is None:
                new_dates["decision_to_review"] = on
            return _Change(status=status, dates=new_dates)
        case PanelReply(on=on, reply=reply):
            _not_before(on, dates.rapid_review_sent, DecisionProblem.DATE_BEFORE_RAPID_REVIEW_SENT)
            if reply == _MORE_INFORMATION:
                # The Panel has not decided: its reply, and that milestone, are still to come.
                return _Change()
            change = _Change(completions={MilestoneKey.PANEL_REPLY: on})
            if reply == "national_review":
                change.status = CaseStatus.NATIONAL_REVIEW
                change.dates["national_review"] = on
            elif reply == "local_review":
                change.status = CaseStatus.LOCAL_REVIEW
                if dates.decision_to_review is None:
                    change.dates["decision_to_review"] = on
            return change
        case (
            ReviewerAppointed(on=on)
            | DatedDecision(
                kind=DecisionKind.TERMS_OF_REFERENCE_AGREED | DecisionKind.REPORT_APPROVED, on=on
            )
        ):
            _not_before(
                on, dates.decision_to_review, DecisionProblem.DATE_BEFORE_DECISION_TO_REVIEW
            )
            return _Change()
        case DatedDecision(kind=DecisionKind.PANEL_INFORMATION_SENT, on=on):
            _not_before_decision(on, _open_request(case), DecisionKind.PANEL_REPLY)
            return _Change()
        case DatedDecision(kind=DecisionKind.LEARNING_REVIEW_COMMISSIONED):
            return _Change()
        case LearningReviewCompleted(on=on):
            commissioned = _latest(case, DecisionKind.LEARNING_REVIEW_COMMISSIONED)
            _not_before_decision(on, commissioned, DecisionKind.LEARNING_REVIEW_COMMISSIONED)
            return _Change()
        case LearningShared(on=on):
            completed = _latest(case, DecisionKind.LEARNING_REVIEW_COMPLETED)
            _not_before_decision(on, completed, DecisionKind.LEARNING_REVIEW_COMPLETED)
            return _Change()
        case PublicationDecision():
            return _Change()
        case PublicationPlanned(planned_for=planned_for):
            if planned_for < today:
                raise InvalidDecisionError("planned_for", DecisionProblem.PLANNED_DATE_IN_PAST)
            return _Change(dates={"planned_publication": planned_for})
        case DatedDecision(kind=DecisionKind.REPORT_SENT_TO_PANEL, on=on):
            _not_before(
                on, dates.decision_to_review, DecisionProblem.DATE_BEFORE_DECISION_TO_REVIEW
            )
            return _Change(completions={MilestoneKey.REPORT_COPY_TO_PANEL: on})
        case Published(on=on):
            return _Change(status=CaseStatus.PUBLISHED, dates={"published": on})
        case SlipMilestone():
            return _slip(case, decision, today)
        case _:
            # Unreachable: mypy cannot see that the kinds above cover each shared model's Literal.
            raise AssertionError(decision.kind)


def _events_after(case: Case, change: _Change) -> dict[str, MilestoneEvents]:
    events = dict(case.milestone_events)
    for key in change.reopened:
        if key.value in events:
            events[key.value] = events[key.value].model_copy(update={"completion": None})
    for key, on in change.completions.items():
        current = events.get(key.value, MilestoneEvents())
        events[key.value] = current.model_copy(update={"completion": Completion(on=on)})
    if change.slip is not None:
        key, slip = change.slip
        current = events.get(key.value, MilestoneEvents())
        events[key.value] = current.model_copy(update={"slips": (*current.slips, slip)})
    return events


def apply_decision(
    case: Case, decision: Decision, *, actor: Actor, partnership: Partnership, at: datetime
) -> DecisionResult:
    """The case after a lead's decision, with its audit entry; raises a DecisionError if refused."""
    # Deadlines are days in England, so "today" is the London date of the moment.
    today = london_time(at).date()
    _check_lead(case, actor, partnership)
    agreement = agreement_status(case)
    if _is_repeat(case, decision, actor, agreement):
        return DecisionResult(case=case, audit=None, changed=False)
    _guard(decision.kind, case, agreement)
    _check_capacity(decision.kind, actor)
    change = _change(case, decision, actor, agreement, today)

    dates = case.dates.model_copy(update=change.dates)
    try:
        validate_case_dates(dates)
    except CaseDatesOrderError as exc:
        raise InvalidDecisionError(
            "on",
            DecisionProblem.DATES_OUT_OF_ORDER,
            later=exc.later,
            later_on=exc.later_on,
            earlier=exc.earlier,
            earlier_on=exc.earlier_on,
        ) from None

    version = case.version + 1
    record = RecordedDecision(
        kind=decision.kind.value, data=_data_of(decision), actor=actor, at=at, version=version
    )
    updated = case.model_copy(
        update={
            "status": change.status or case.status,
            "dates": dates,
            "milestone_events": _events_after(case, change),
            "decisions": [*case.decisions, record],
            "version": version,
        }
    )
    audit = AuditEntry(
        reference=case.reference, kind=decision.kind, version_before=case.version, record=record
    )
    return DecisionResult(case=updated, audit=audit, changed=True)


# --- what the referrer is told --------------------------------------------------------------


class SummaryCode(StrEnum):
    """One line of what the referrer is told; cards/wording.py words each one."""

    SIN_MADE = "sin_made"  # on
    RAPID_REVIEW_BEGAN = "rapid_review_began"
    NOT_NOTIFIABLE = "not_notifiable"
    LEARNING_REVIEW_OFFERED = "learning_review_offered"
    LEAD_AUTHORITY_TOLD = "lead_authority_told"  # on
    SUMMARIES_REQUESTED = "summaries_requested"  # on
    PARTNERS_NOTIFIED = "partners_notified"  # on
    SUMMARIES_RETURNED = "summaries_returned"  # on
    MEETING_HELD = "meeting_held"  # on
    SAFETY_ACTIONS_AGREED = "safety_actions_agreed"  # on
    NO_SAFETY_ACTION_NEEDED = "no_safety_action_needed"  # on
    RAPID_REVIEW_SENT = "rapid_review_sent"  # on
    OUTCOME = "outcome"  # outcome (an Outcome)
    PANEL_REPLY = "panel_reply"  # reply (a PanelAnswer)
    PANEL_INFORMATION_SENT = "panel_information_sent"  # on
    REVIEWER_APPOINTED = "reviewer_appointed"  # on
    TERMS_OF_REFERENCE_AGREED = "terms_of_reference_agreed"  # on
    REPORT_APPROVED = "report_approved"  # on
    PUBLICATION_DECISION = "publication_decision"  # publish (a Publication)
    PUBLICATION_PLANNED = "publication_planned"  # on
    REPORT_SENT_TO_PANEL = "report_sent_to_panel"  # on
    PUBLISHED = "published"  # on, link
    LEARNING_REVIEW_COMMISSIONED = "learning_review_commissioned"  # on
    LEARNING_REVIEW_COMPLETED = "learning_review_completed"  # on
    LEARNING_OUTCOME = "learning_outcome"  # outcome (a LearningOutcome)
    LEARNING_SHARED = "learning_shared"  # how (a LearningSharing)
    DATE_MOVED = "date_moved"  # milestone, to
    CASE_CLOSED = "case_closed"


@dataclass(frozen=True)
class SummaryItem:
    """One line of the referrer's summary: a code and its plain-valued params."""

    code: SummaryCode
    params: Mapping[str, Param] = field(default_factory=dict)


def _summary_items(decision: Decision, outcome: Outcome | None) -> list[SummaryItem]:
    match decision:
        case DatedDecision(kind=DecisionKind.SIN_MADE, on=on):
            return [
                SummaryItem(SummaryCode.SIN_MADE, {"on": on}),
                SummaryItem(SummaryCode.RAPID_REVIEW_BEGAN),
            ]
        case ReasonedDecision(kind=DecisionKind.NOT_NOTIFIABLE):
            return [SummaryItem(SummaryCode.NOT_NOTIFIABLE)]
        case ReasonedDecision(kind=DecisionKind.LEARNING_REVIEW_OFFERED):
            return [SummaryItem(SummaryCode.LEARNING_REVIEW_OFFERED)]
        case DatedDecision(kind=DecisionKind.LEAD_AUTHORITY_TOLD, on=on):
            return [SummaryItem(SummaryCode.LEAD_AUTHORITY_TOLD, {"on": on})]
        case DatedDecision(kind=DecisionKind.PARTNERS_NOTIFIED, on=on):
            return [SummaryItem(SummaryCode.PARTNERS_NOTIFIED, {"on": on})]
        case DatedDecision(kind=DecisionKind.MEETING_HELD, on=on):
            return [SummaryItem(SummaryCode.MEETING_HELD, {"on": on})]
        case SafetyAction(on=on, needed=needed):
            # That actions were agreed, never what they are: they may name people.
            code = (
                SummaryCode.SAFETY_ACTIONS_AGREED if needed else SummaryCode.NO_SAFETY_ACTION_NEEDED
            )
            return [SummaryItem(code, {"on": on})]
        case DatedDecision(kind=DecisionKind.RAPID_REVIEW_SENT, on=on):
            items = [SummaryItem(SummaryCode.RAPID_REVIEW_SENT, {"on": on})]
            if outcome:
                items.append(SummaryItem(SummaryCode.OUTCOME, {"outcome": outcome}))
            return items
        case PanelReply(reply=reply):
            # What the Panel asked for stays with the leads.
            return [SummaryItem(SummaryCode.PANEL_REPLY, {"reply": reply})]
        case DatedDecision(kind=DecisionKind.PANEL_INFORMATION_SENT, on=on):
            return [SummaryItem(SummaryCode.PANEL_INFORMATION_SENT, {"on": on})]
        case ReviewerAppointed(on=on):
            return [SummaryItem(SummaryCode.REVIEWER_APPOINTED, {"on": on})]
        case DatedDecision(kind=DecisionKind.TERMS_OF_REFERENCE_AGREED, on=on):
            return [SummaryItem(SummaryCode.TERMS_OF_REFERENCE_AGREED, {"on": on})]
        case DatedDecision(kind=DecisionKind.REPORT_APPROVED, on=on):
            return [SummaryItem(SummaryCode.REPORT_APPROVED, {"on": on})]
        case PublicationDecision(publish=publish):
            return [SummaryItem(SummaryCode.PUBLICATION_DECISION, {"publish": publish})]
        case PublicationPlanned(planned_for=planned_for):
            return [SummaryItem(SummaryCode.PUBLICATION_PLANNED, {"on": planned_for})]
        case DatedDecision(kind=DecisionKind.REPORT_SENT_TO_PANEL, on=on):
            return [SummaryItem(SummaryCode.REPORT_SENT_TO_PANEL, {"on": on})]
        case Published(on=on, link=link):
            return [SummaryItem(SummaryCode.PUBLISHED, {"on": on, "link": link})]
        case DatedDecision(kind=DecisionKind.LEARNING_REVIEW_COMMISSIONED, on=on):
            return [SummaryItem(SummaryCode.LEARNING_REVIEW_COMMISSIONED, {"on": on})]
        case LearningReviewCompleted(on=on, outcome=learning):
            return [
                SummaryItem(SummaryCode.LEARNING_REVIEW_COMPLETED, {"on": on}),
                SummaryItem(SummaryCode.LEARNING_OUTCOME, {"outcome": learning}),
            ]
        case LearningShared(how=how):
            return [SummaryItem(SummaryCode.LEARNING_SHARED, {"how": how})]
        case SlipMilestone(milestone=milestone, to=to):
            return [SummaryItem(SummaryCode.DATE_MOVED, {"milestone": milestone, "to": to})]
        case ReasonedDecision(kind=DecisionKind.CLOSE_CASE):
            # That the work ended, not why.
            return [SummaryItem(SummaryCode.CASE_CLOSED)]
        case _:
            # Proposals and the partners' views are their deliberation, not news for referrers.
            return []


def decision_summary(case: Case) -> tuple[SummaryItem, ...]:
    """What has been decided, for the referrer, as codes and params: no names, no reasons."""
    proposal = agreement_status(case).proposal
    outcome = proposal.outcome if proposal else None
    items: list[SummaryItem] = []
    ledger = _Ledger()
    for _, decision in recorded_decisions(case):
        step = ledger.add(decision)
        summaries = decision.kind in (
            DecisionKind.SUMMARIES_REQUESTED,
            DecisionKind.SUMMARIES_RECEIVED,
            DecisionKind.SUMMARIES_RETURNED,
        )
        if summaries:
            # That the agencies were asked, and that every summary is in; never which agencies,
            # nor each one as it comes in.
            if step.first and ledger.requested_on is not None:
                items.append(
                    SummaryItem(SummaryCode.SUMMARIES_REQUESTED, {"on": ledger.requested_on})
                )
            if step.reopened or step.all_in:
                # An agency asked after all were in: they are in when its summary is, not before.
                items = [item for item in items if item.code is not SummaryCode.SUMMARIES_RETURNED]
            if step.all_in and ledger.all_in_on is not None:
                items.append(SummaryItem(SummaryCode.SUMMARIES_RETURNED, {"on": ledger.all_in_on}))
            continue
        items.extend(_summary_items(decision, outcome))
    return tuple(items)


# --- what the case card keeps on record -------------------------------------------------------


class NoteCode(StrEnum):
    """One entry of what the case card records beside its timeline; cards/wording.py words it."""

    SAFETY_ACTIONS = "safety_actions"  # on, text (the actions agreed)
    NO_SAFETY_ACTION = "no_safety_action"  # on
    PANEL_ASKED = "panel_asked"  # on, text (what the Panel asked for)
    PANEL_INFORMATION_SENT = "panel_information_sent"  # on
    LEARNING = "learning"  # on, text (the learning review's learning in brief)
    CLOSED = "closed"  # on, text (the reason)


@dataclass(frozen=True)
class CaseNote:
    """One entry of the case's record for the leads' channel: a code, its day, what was typed."""

    code: NoteCode
    on: date
    text: str | None = None


def case_notes(case: Case) -> tuple[CaseNote, ...]:
    """What the case card shows of the safety actions, the Panel's requests, learning, closure."""
    notes: list[CaseNote] = []
    for record, decision in recorded_decisions(case):
        match decision:
            case SafetyAction(on=on, needed=True, actions=actions):
                notes.append(CaseNote(NoteCode.SAFETY_ACTIONS, on, actions))
            case SafetyAction(on=on):
                notes.append(CaseNote(NoteCode.NO_SAFETY_ACTION, on, decision.actions))
            case PanelReply(on=on, reply="more_information", requested=requested):
                notes.append(CaseNote(NoteCode.PANEL_ASKED, on, requested))
            case DatedDecision(kind=DecisionKind.PANEL_INFORMATION_SENT, on=on):
                notes.append(CaseNote(NoteCode.PANEL_INFORMATION_SENT, on))
            case LearningReviewCompleted(on=on, summary=summary):
                notes.append(CaseNote(NoteCode.LEARNING, on, summary))
            case ReasonedDecision(kind=DecisionKind.CLOSE_CASE, reason=reason):
                notes.append(CaseNote(NoteCode.CLOSED, london_time(record.at).date(), reason))
    return tuple(notes)
