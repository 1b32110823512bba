"""Lead decisions on a case: what may be decided when, by whom, and what each changes.

Pure functions: the moment of a decision is an argument, nothing is read from a clock or a
store. `apply_decision` returns a new case and the audit entry for the store to append; the
case keeps every decision it was given, so agreements and history are read back from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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

from safeguarding.calendar import day_month_year
from safeguarding.cases import Actor, Case, CaseStatus, RecordedDecision
from safeguarding.clocks import london_time
from safeguarding.partnerships import Lead, Partner, Partnership, WebPage
from safeguarding.referral import Criterion
from safeguarding.timeline import (
    ALL_PARTNERS,
    Completion,
    MilestoneEvents,
    MilestoneKey,
    Slip,
    TimelineInputError,
    validate_case_dates,
)

__all__ = [
    "DECISION_LABELS",
    "HAVE_REGARD",
    "OUTCOMES",
    "Actor",
    "Agree",
    "Agreement",
    "AlreadyDecidedError",
    "AuditEntry",
    "Decision",
    "DecisionError",
    "DecisionKind",
    "DecisionNotAllowedError",
    "DecisionResult",
    "Disagree",
    "InvalidDecisionError",
    "LearningReviewOffered",
    "MeetingHeld",
    "NotALeadError",
    "NotAPartnerError",
    "NotNotifiable",
    "PanelReply",
    "PartnerView",
    "PartnersNotified",
    "ProposeRecommendation",
    "PublicationDecision",
    "PublicationPlanned",
    "Published",
    "RapidReviewSent",
    "RecommendationNotFinalError",
    "ReportApproved",
    "ReportSentToPanel",
    "ReviewerAppointed",
    "SinMade",
    "SlipMilestone",
    "SummariesRequested",
    "SummariesReturned",
    "TermsOfReferenceAgreed",
    "WrongPartnershipError",
    "agreement_status",
    "apply_decision",
    "available_decisions",
    "decision_summary",
    "parse_decision",
    "recorded_decisions",
]


# --- errors ---------------------------------------------------------------------------------


class DecisionError(ValueError):
    """A decision that cannot be recorded; `message` is plain English for the lead."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


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


class AlreadyDecidedError(DecisionError):
    """This decision, or this partner's view of the recommendation, is already recorded."""


class InvalidDecisionError(DecisionError):
    """A decision whose data does not hold together; `field` names the input to fix."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(message)


# --- the decisions --------------------------------------------------------------------------


class DecisionKind(StrEnum):
    """Every decision a lead can record, in the order the lead card shows them."""

    SIN_MADE = "sin_made"
    NOT_NOTIFIABLE = "not_notifiable"
    LEARNING_REVIEW_OFFERED = "learning_review_offered"
    PARTNERS_NOTIFIED = "partners_notified"
    SUMMARIES_REQUESTED = "summaries_requested"
    SUMMARIES_RETURNED = "summaries_returned"
    MEETING_HELD = "meeting_held"
    PROPOSE_RECOMMENDATION = "propose_recommendation"
    AGREE = "agree"
    DISAGREE = "disagree"
    RAPID_REVIEW_SENT = "rapid_review_sent"
    PANEL_REPLY = "panel_reply"
    REVIEWER_APPOINTED = "reviewer_appointed"
    TERMS_OF_REFERENCE_AGREED = "terms_of_reference_agreed"
    REPORT_APPROVED = "report_approved"
    PUBLICATION_DECISION = "publication_decision"
    PUBLICATION_PLANNED = "publication_planned"
    REPORT_SENT_TO_PANEL = "report_sent_to_panel"
    PUBLISHED = "published"
    SLIP = "slip"


DECISION_LABELS: dict[DecisionKind, str] = {
    DecisionKind.SIN_MADE: "SIN made",
    DecisionKind.NOT_NOTIFIABLE: "Not notifiable",
    DecisionKind.LEARNING_REVIEW_OFFERED: "Learning review offered",
    DecisionKind.SUMMARIES_REQUESTED: "Summaries requested",
    DecisionKind.MEETING_HELD: "Rapid review meeting held",
    DecisionKind.PARTNERS_NOTIFIED: "Safeguarding partners told",
    DecisionKind.SUMMARIES_RETURNED: "Agency summaries in",
    DecisionKind.PROPOSE_RECOMMENDATION: "Propose the recommendation",
    DecisionKind.AGREE: "Agree",
    DecisionKind.DISAGREE: "Disagree",
    DecisionKind.RAPID_REVIEW_SENT: "Rapid review sent to the Panel",
    DecisionKind.PANEL_REPLY: "Panel replied",
    DecisionKind.REVIEWER_APPOINTED: "Reviewer appointed",
    DecisionKind.TERMS_OF_REFERENCE_AGREED: "Terms of reference agreed",
    DecisionKind.REPORT_APPROVED: "Report approved",
    DecisionKind.PUBLICATION_DECISION: "Publication decision",
    DecisionKind.PUBLICATION_PLANNED: "Publication planned",
    DecisionKind.REPORT_SENT_TO_PANEL: "Report sent to the Panel and Secretary of State",
    DecisionKind.PUBLISHED: "Report published",
    DecisionKind.SLIP: "Move a deadline",
}

Outcome = Literal["local_cspr", "learning_review", "no_further_review"]
OUTCOMES: dict[str, str] = {
    "local_cspr": "a local Child Safeguarding Practice Review",
    "learning_review": "a learning review",
    "no_further_review": "no further review",
}

HaveRegard = Literal[
    "single_agency", "no_agency_involvement", "more_than_one_area", "institutional_setting"
]
HAVE_REGARD: dict[str, str] = {
    "single_agency": "Concern about a single agency",
    "no_agency_involvement": "No agency involvement where there should have been",
    "more_than_one_area": "More than one local authority or police area involved",
    "institutional_setting": "A child in an institutional setting (children's home, custody)",
}

PanelAnswer = Literal["national_review", "local_review", "agrees"]
Publication = Literal["full", "improvements_only"]

Text = Annotated[str, Field(min_length=1, max_length=1500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Dated(_Data):
    """A decision about something that happened on a day, which cannot be in the future."""

    on: date


class SinMade(_Dated):
    """The local authority notified the Panel (a SIN); a rapid review begins."""

    kind: Literal[DecisionKind.SIN_MADE] = DecisionKind.SIN_MADE


class NotNotifiable(_Data):
    """The local authority decided the case is not a serious incident to notify."""

    kind: Literal[DecisionKind.NOT_NOTIFIABLE] = DecisionKind.NOT_NOTIFIABLE
    reason: Text


class LearningReviewOffered(_Data):
    """A case that was not notifiable goes to a learning review all the same."""

    kind: Literal[DecisionKind.LEARNING_REVIEW_OFFERED] = DecisionKind.LEARNING_REVIEW_OFFERED
    reason: Text


class SummariesRequested(_Dated):
    """The agencies were asked for their Individual Agency Summaries."""

    kind: Literal[DecisionKind.SUMMARIES_REQUESTED] = DecisionKind.SUMMARIES_REQUESTED


class PartnersNotified(_Dated):
    """The local authority told the safeguarding partners (and other areas' partners)."""

    kind: Literal[DecisionKind.PARTNERS_NOTIFIED] = DecisionKind.PARTNERS_NOTIFIED


class SummariesReturned(_Dated):
    """The agencies' Individual Agency Summaries are in."""

    kind: Literal[DecisionKind.SUMMARIES_RETURNED] = DecisionKind.SUMMARIES_RETURNED


class MeetingHeld(_Dated):
    """The rapid review group met."""

    kind: Literal[DecisionKind.MEETING_HELD] = DecisionKind.MEETING_HELD


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
            raise ValueError("choose at least one criterion the case meets for a local CSPR")
        return tuple(dict.fromkeys(value))

    @field_validator("have_regard")
    @classmethod
    def _once_each(cls, value: tuple[HaveRegard, ...]) -> tuple[HaveRegard, ...]:
        return tuple(dict.fromkeys(value))


class Agree(_Data):
    """A partner's lead agrees the current recommendation."""

    kind: Literal[DecisionKind.AGREE] = DecisionKind.AGREE


class Disagree(_Data):
    """A partner's lead disagrees with the current recommendation, and says why."""

    kind: Literal[DecisionKind.DISAGREE] = DecisionKind.DISAGREE
    reason: Text


class RapidReviewSent(_Dated):
    """The rapid review and the partners' agreed outcome went to the Panel."""

    kind: Literal[DecisionKind.RAPID_REVIEW_SENT] = DecisionKind.RAPID_REVIEW_SENT


class PanelReply(_Dated):
    """The Panel's reply to the rapid review, received on `on`."""

    kind: Literal[DecisionKind.PANEL_REPLY] = DecisionKind.PANEL_REPLY
    reply: PanelAnswer


class ReviewerAppointed(_Dated):
    """The local CSPR's reviewer was appointed."""

    kind: Literal[DecisionKind.REVIEWER_APPOINTED] = DecisionKind.REVIEWER_APPOINTED
    reviewer: Name


class TermsOfReferenceAgreed(_Dated):
    """The local CSPR's terms of reference were agreed."""

    kind: Literal[DecisionKind.TERMS_OF_REFERENCE_AGREED] = DecisionKind.TERMS_OF_REFERENCE_AGREED


class ReportApproved(_Dated):
    """The partners approved the final CSPR report."""

    kind: Literal[DecisionKind.REPORT_APPROVED] = DecisionKind.REPORT_APPROVED


class PublicationDecision(_Data):
    """Publish the report in full or, exceptionally, only the improvements (with a reason)."""

    kind: Literal[DecisionKind.PUBLICATION_DECISION] = DecisionKind.PUBLICATION_DECISION
    publish: Publication
    reason: Text | None = Field(default=None, validate_default=True)

    @field_validator("reason")
    @classmethod
    def _reason_when_exceptional(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("publish") == "improvements_only" and value is None:
            raise ValueError("give the reason for publishing only the improvements")
        return value


class PublicationPlanned(_Data):
    """The day the report is planned to be published (a future day)."""

    kind: Literal[DecisionKind.PUBLICATION_PLANNED] = DecisionKind.PUBLICATION_PLANNED
    planned_for: date


class ReportSentToPanel(_Dated):
    """A copy of the final report went to the Panel and the Secretary of State."""

    kind: Literal[DecisionKind.REPORT_SENT_TO_PANEL] = DecisionKind.REPORT_SENT_TO_PANEL


class Published(_Dated):
    """The final report was published at a public https address."""

    kind: Literal[DecisionKind.PUBLISHED] = DecisionKind.PUBLISHED
    link: Annotated[WebPage, Field(max_length=500)]


class SlipMilestone(_Data):
    """A milestone's deadline moves, for a reason; the original and earlier slips are kept."""

    kind: Literal[DecisionKind.SLIP] = DecisionKind.SLIP
    milestone: MilestoneKey
    to: date
    reason: Text


Decision: TypeAlias = Annotated[
    SinMade
    | NotNotifiable
    | LearningReviewOffered
    | PartnersNotified
    | SummariesRequested
    | SummariesReturned
    | MeetingHeld
    | ProposeRecommendation
    | Agree
    | Disagree
    | RapidReviewSent
    | PanelReply
    | ReviewerAppointed
    | TermsOfReferenceAgreed
    | ReportApproved
    | PublicationDecision
    | PublicationPlanned
    | ReportSentToPanel
    | Published
    | SlipMilestone,
    Field(discriminator="kind"),
]

_DECISION: TypeAdapter[Decision] = TypeAdapter(Decision)


_FRIENDLY = {
    "missing": "this is required",
    "string_too_short": "this cannot be empty",
    "string_too_long": "this is too long",
    "date_from_datetime_parsing": "this is not a real date",
    "date_parsing": "this is not a real date",
    "date_type": "this is not a real date",
    "literal_error": "choose one of the options",
    "enum": "choose one of the options",
    "union_tag_invalid": "this is not a decision the bot knows",
    "union_tag_not_found": "say which decision this is",
    "extra_forbidden": "this decision does not take this field",
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
            message = "give the report's address, starting https://"
        else:
            fallback = first["msg"].removeprefix("Value error, ")
            message = _FRIENDLY.get(first["type"], fallback)
        raise InvalidDecisionError(field_name, message) from None


# --- results and views ----------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditEntry(_Frozen):
    """Who decided what and when, for the store to append to the case's audit trail."""

    reference: str
    at: datetime
    actor_id: str
    actor_name: str
    role: str
    partner: Partner | None
    kind: DecisionKind
    what: str
    version_before: int
    version_after: int
    data: dict[str, JsonValue]

    def detail(self) -> dict[str, JsonValue]:
        """The fields beyond reference, at, actor and role, as the store's audit() takes them."""
        return {
            "kind": self.kind.value,
            "actor_name": self.actor_name,
            "partner": self.partner.value if self.partner else None,
            "version_before": self.version_before,
            "version_after": self.version_after,
            "data": self.data,
        }


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
        if isinstance(decision, Agree):
            views[partner] = PartnerView(
                partner=partner, agreed=True, actor=later.actor, at=later.at
            )
        elif isinstance(decision, Disagree):
            views[partner] = PartnerView(
                partner=partner,
                agreed=False,
                actor=later.actor,
                at=later.at,
                reason=decision.reason,
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


def _latest(case: Case, kind: DecisionKind) -> RecordedDecision | None:
    return next((r for r in reversed(case.decisions) if r.kind == kind.value), None)


# --- wording --------------------------------------------------------------------------------


def _long(day: date) -> str:
    # Month names from a table, so the server's locale cannot change the wording.
    return day_month_year(day)


_PARTNER_NAMES = {
    Partner.LOCAL_AUTHORITY: "the local authority",
    Partner.HEALTH: "health",
    Partner.POLICE: "the police",
}


def _partner_name(partner: Partner, *, start: bool = False) -> str:
    name = _PARTNER_NAMES[partner]
    return name[0].upper() + name[1:] if start else name


def _partner_list(partners: tuple[Partner, ...]) -> str:
    names = [_partner_name(p) for p in partners]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_STATUS_TEXT = {
    CaseStatus.REFERRED: "is a new referral",
    CaseStatus.RAPID_REVIEW: "is in rapid review",
    CaseStatus.NO_SERIOUS_INCIDENT: "was found not to be a serious incident to notify",
    CaseStatus.LOCAL_REVIEW: "is in a local Child Safeguarding Practice Review",
    CaseStatus.LEARNING_REVIEW: "is in a learning review",
    CaseStatus.NATIONAL_REVIEW: "is with the national Panel for a national review",
    CaseStatus.NO_FURTHER_REVIEW: "needs no further review",
    CaseStatus.PUBLISHED: "has a published report",
    CaseStatus.CLOSED: "is closed",
}

_MILESTONE_TEXT = {
    MilestoneKey.SIN: "the notification to the national Panel",
    MilestoneKey.NOTIFY_PARTNERS: "telling the safeguarding partners",
    MilestoneKey.RR_IAS_REQUESTS: "asking agencies for their summaries",
    MilestoneKey.RR_IAS_RETURNS: "agencies returning their summaries",
    MilestoneKey.RR_DRAFT: "the rapid review's draft outcome",
    MilestoneKey.RR_SIGN_OFF: "the partners signing off the rapid review",
    MilestoneKey.RAPID_REVIEW: "sending the rapid review to the national Panel",
    MilestoneKey.PANEL_REPLY: "the national Panel's reply",
    MilestoneKey.REPORT_COPY_TO_PANEL: "sending the report to the national Panel",
    MilestoneKey.CSPR_FINAL_REPORT: "publishing the review's report",
    MilestoneKey.REPORT_AVAILABLE_UNTIL: "keeping the report public",
}


# --- when each decision is allowed ----------------------------------------------------------

_OPEN = frozenset(CaseStatus) - {CaseStatus.PUBLISHED, CaseStatus.CLOSED}
_AFTER_RAPID_REVIEW = frozenset(
    {CaseStatus.LOCAL_REVIEW, CaseStatus.LEARNING_REVIEW, CaseStatus.NO_FURTHER_REVIEW}
)


def _need_status(case: Case, allowed: frozenset[CaseStatus], kind: DecisionKind) -> None:
    if case.status in allowed:
        return
    if allowed == {CaseStatus.RAPID_REVIEW} and case.dates.rapid_review_sent is not None:
        raise DecisionNotAllowedError("The rapid review has already been sent to the Panel")
    raise DecisionNotAllowedError(
        f"'{DECISION_LABELS[kind]}' is not possible now: the case {_STATUS_TEXT[case.status]}"
    )


def _once(case: Case, kind: DecisionKind) -> None:
    earlier = _latest(case, kind)
    if earlier is not None:
        day = _long(london_time(earlier.at).date())
        raise AlreadyDecidedError(f"'{DECISION_LABELS[kind]}' was already recorded on {day}")


def _need(case: Case, kind: DecisionKind, before: DecisionKind) -> None:
    if _latest(case, kind) is None:
        raise DecisionNotAllowedError(
            f"Record '{DECISION_LABELS[kind]}' before '{DECISION_LABELS[before]}'"
        )


def _completion(case: Case, key: MilestoneKey) -> Completion | None:
    events = case.milestone_events.get(key.value)
    return events.completion if events else None


def _guard_sin(case: Case, _: Agreement) -> None:
    if case.dates.sin_made is not None:
        raise AlreadyDecidedError(
            f"The SIN was already recorded as made on {_long(case.dates.sin_made)}"
        )
    # New information can make a case notifiable after it was judged not to be.
    allowed = {CaseStatus.REFERRED, CaseStatus.NO_SERIOUS_INCIDENT, CaseStatus.LEARNING_REVIEW}
    if case.status not in allowed or case.dates.rapid_review_sent is not None:
        _need_status(case, frozenset({CaseStatus.REFERRED}), DecisionKind.SIN_MADE)


def _guard_status(allowed: frozenset[CaseStatus], kind: DecisionKind) -> _Guard:
    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, allowed, kind)

    return guard


def _guard_once(
    kind: DecisionKind, allowed: frozenset[CaseStatus], milestone: MilestoneKey, already: str
) -> _Guard:
    """A decision that completes one milestone, allowed once, in some statuses."""

    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, allowed, kind)
        done = _completion(case, milestone)
        if done is not None:
            raise AlreadyDecidedError(f"{already} on {_long(done.on)}")

    return guard


_guard_summaries = _guard_once(
    DecisionKind.SUMMARIES_REQUESTED,
    frozenset({CaseStatus.RAPID_REVIEW}),
    MilestoneKey.RR_IAS_REQUESTS,
    "The summaries were already requested",
)


def _guard_view(kind: DecisionKind) -> _Guard:
    def guard(case: Case, agreement: Agreement) -> None:
        _need_status(case, frozenset({CaseStatus.RAPID_REVIEW}), kind)
        if agreement.proposal is None:
            raise DecisionNotAllowedError("No recommendation has been proposed yet")
        if not agreement.awaited:
            raise AlreadyDecidedError(
                "All three partners have already given their view of this recommendation"
            )

    return guard


def _guard_send(case: Case, agreement: Agreement) -> None:
    _need_status(case, frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.RAPID_REVIEW_SENT)
    if agreement.proposal is None:
        raise RecommendationNotFinalError(
            "The rapid review cannot be sent yet: no recommendation has been proposed"
        )
    if agreement.disagreements:
        who = _partner_list(tuple(v.partner for v in agreement.disagreements))
        raise RecommendationNotFinalError(
            f"The rapid review cannot be sent: {who} disagreed with the recommendation."
            " Propose a new recommendation for the partners to agree"
        )
    if not agreement.final:
        raise RecommendationNotFinalError(
            "The rapid review cannot be sent until all three partners agree the recommendation;"
            f" still awaited: {_partner_list(agreement.awaited)}"
        )


def _guard_panel_reply(case: Case, _: Agreement) -> None:
    if case.dates.rapid_review_sent is None:
        raise DecisionNotAllowedError("The rapid review has not been sent to the Panel yet")
    _once(case, DecisionKind.PANEL_REPLY)
    _need_status(case, _AFTER_RAPID_REVIEW, DecisionKind.PANEL_REPLY)


def _guard_cspr(kind: DecisionKind, *, once: bool, needs: DecisionKind | None = None) -> _Guard:
    def guard(case: Case, _: Agreement) -> None:
        _need_status(case, frozenset({CaseStatus.LOCAL_REVIEW}), kind)
        if once:
            _once(case, kind)
        if needs is not None:
            _need(case, needs, kind)

    return guard


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
    DecisionKind.SUMMARIES_REQUESTED: _guard_summaries,
    DecisionKind.PARTNERS_NOTIFIED: _guard_once(
        DecisionKind.PARTNERS_NOTIFIED,
        frozenset({CaseStatus.REFERRED, CaseStatus.RAPID_REVIEW}),
        MilestoneKey.NOTIFY_PARTNERS,
        "The partners were already told",
    ),
    DecisionKind.SUMMARIES_RETURNED: _guard_once(
        DecisionKind.SUMMARIES_RETURNED,
        frozenset({CaseStatus.RAPID_REVIEW}),
        MilestoneKey.RR_IAS_RETURNS,
        "The summaries were already in",
    ),
    DecisionKind.MEETING_HELD: _guard_status(
        frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.MEETING_HELD
    ),
    DecisionKind.PROPOSE_RECOMMENDATION: _guard_status(
        frozenset({CaseStatus.RAPID_REVIEW}), DecisionKind.PROPOSE_RECOMMENDATION
    ),
    DecisionKind.AGREE: _guard_view(DecisionKind.AGREE),
    DecisionKind.DISAGREE: _guard_view(DecisionKind.DISAGREE),
    DecisionKind.RAPID_REVIEW_SENT: _guard_send,
    DecisionKind.PANEL_REPLY: _guard_panel_reply,
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
    DecisionKind.SLIP: _guard_status(_OPEN, DecisionKind.SLIP),
}


def available_decisions(case: Case) -> list[DecisionKind]:
    """The decisions that make sense for the case now, in the order the lead card shows them."""
    agreement = agreement_status(case)
    available: list[DecisionKind] = []
    for kind in DecisionKind:
        try:
            _GUARDS[kind](case, agreement)
        except DecisionError:
            continue
        available.append(kind)
    return available


# --- applying a decision --------------------------------------------------------------------


@dataclass
class _Change:
    """What a decision changes on the case, besides recording it."""

    status: CaseStatus | None = None
    dates: dict[str, date] = field(default_factory=dict)
    completions: dict[MilestoneKey, date] = field(default_factory=dict)
    slip: tuple[MilestoneKey, Slip] | None = None


def _is_lead(lead: Lead, actor: Actor) -> bool:
    if (lead.name, lead.role, lead.partner) != (actor.name, actor.role, actor.partner):
        return False
    return lead.aad_object_id is None or lead.aad_object_id.lower() == actor.id.lower()


def _check_lead(case: Case, actor: Actor, partnership: Partnership) -> None:
    if case.partnership_id != partnership.id:
        raise WrongPartnershipError(
            f"This case belongs to another partnership than {partnership.name}"
        )
    if not any(_is_lead(lead, actor) for lead in partnership.leads):
        raise NotALeadError(f"Only the leads of {partnership.name} can record decisions on a case")


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
    if isinstance(decision, Agree | Disagree) and actor.partner is not None:
        view = agreement.view_of(actor.partner)
        reason = decision.reason if isinstance(decision, Disagree) else None
        return (
            view is not None
            and view.actor.id == actor.id
            and view.agreed == isinstance(decision, Agree)
            and view.reason == reason
        )
    return False


def _check_day(on: date, case: Case, today: date, field_name: str = "on") -> None:
    if on > today:
        raise InvalidDecisionError(field_name, "The date cannot be in the future")
    incident = case.referral.incident.date
    if on < incident:
        raise InvalidDecisionError(
            field_name, f"The date cannot be before the incident ({_long(incident)})"
        )


def _not_before(on: date, earliest: date | None, what: str) -> None:
    if earliest is not None and on < earliest:
        raise InvalidDecisionError("on", f"The date cannot be before {what} ({_long(earliest)})")


def _check_view(case: Case, actor: Actor, agreement: Agreement, agreeing: bool) -> Partner:
    if actor.partner is None:
        raise NotAPartnerError(
            "Only the lead for the local authority, health or the police can "
            + ("agree" if agreeing else "disagree with")
            + " the recommendation"
        )
    view = agreement.view_of(actor.partner)
    if view is not None:
        answer = "agreed to" if view.agreed else "disagreed with"
        raise AlreadyDecidedError(
            f"{_partner_name(actor.partner, start=True)} has already {answer} this"
            " recommendation. To change it, propose a new recommendation"
        )
    return actor.partner


def _slip(case: Case, decision: SlipMilestone, today: date) -> _Change:
    key = decision.milestone
    label = _MILESTONE_TEXT[key]
    if key is MilestoneKey.REPORT_AVAILABLE_UNTIL:
        raise InvalidDecisionError(
            "milestone", "Keeping the report public is a minimum period, not a deadline"
        )
    if decision.to < today:
        raise InvalidDecisionError("to", "The new due date cannot be in the past")
    by_date = {
        MilestoneKey.SIN: case.dates.sin_made,
        MilestoneKey.RAPID_REVIEW: case.dates.rapid_review_sent,
        MilestoneKey.CSPR_FINAL_REPORT: case.dates.published,
    }.get(key)
    completion = _completion(case, key)
    met = by_date or (completion.on if completion else None)
    if met is not None:
        raise DecisionNotAllowedError(f"The deadline for {label} was met on {_long(met)}")
    rr_steps = {
        MilestoneKey.RR_IAS_REQUESTS,
        MilestoneKey.RR_IAS_RETURNS,
        MilestoneKey.RR_DRAFT,
        MilestoneKey.RR_SIGN_OFF,
    }
    if key in rr_steps and case.dates.rapid_review_sent is not None:
        raise DecisionNotAllowedError("The rapid review has already been sent to the Panel")
    cspr_decided = any(
        (case.dates.decision_to_review, case.dates.planned_publication, case.dates.published)
    )
    if key in {MilestoneKey.CSPR_FINAL_REPORT, MilestoneKey.REPORT_COPY_TO_PANEL} and not (
        cspr_decided
    ):
        raise DecisionNotAllowedError(
            f"The deadline for {label} applies once a local CSPR is decided"
        )
    return _Change(slip=(key, Slip(to=decision.to, reason=decision.reason, recorded_on=today)))


def _change(
    case: Case, decision: Decision, actor: Actor, agreement: Agreement, today: date
) -> _Change:
    if isinstance(decision, _Dated):
        _check_day(decision.on, case, today)
    dates = case.dates
    match decision:
        case SinMade(on=on):
            return _Change(status=CaseStatus.RAPID_REVIEW, dates={"sin_made": on})
        case NotNotifiable():
            return _Change(status=CaseStatus.NO_SERIOUS_INCIDENT)
        case LearningReviewOffered():
            return _Change(status=CaseStatus.LEARNING_REVIEW)
        case SummariesRequested(on=on):
            return _Change(completions={MilestoneKey.RR_IAS_REQUESTS: on})
        case PartnersNotified(on=on):
            return _Change(completions={MilestoneKey.NOTIFY_PARTNERS: on})
        case SummariesReturned(on=on):
            return _Change(completions={MilestoneKey.RR_IAS_RETURNS: on})
        case MeetingHeld():
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
        case Disagree():
            _check_view(case, actor, agreement, agreeing=False)
            return _Change()
        case RapidReviewSent(on=on):
            assert agreement.proposal is not None  # the guard requires a final recommendation
            agreed_on = max(london_time(view.at).date() for view in agreement.views)
            _not_before(on, agreed_on, "the partners agreed the recommendation")
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
            _not_before(on, dates.rapid_review_sent, "the rapid review was sent")
            change = _Change(completions={MilestoneKey.PANEL_REPLY: on})
            if reply == "national_review":
                change.status = CaseStatus.NATIONAL_REVIEW
            elif reply == "local_review":
                change.status = CaseStatus.LOCAL_REVIEW
                if dates.decision_to_review is None:
                    change.dates["decision_to_review"] = on
            return change
        case ReviewerAppointed(on=on) | TermsOfReferenceAgreed(on=on) | ReportApproved(on=on):
            _not_before(on, dates.decision_to_review, "the decision to hold the review")
            return _Change()
        case PublicationDecision():
            return _Change()
        case PublicationPlanned(planned_for=planned_for):
            if planned_for < today:
                raise InvalidDecisionError("planned_for", "The planned date cannot be in the past")
            return _Change(dates={"planned_publication": planned_for})
        case ReportSentToPanel(on=on):
            _not_before(on, dates.decision_to_review, "the decision to hold the review")
            return _Change(completions={MilestoneKey.REPORT_COPY_TO_PANEL: on})
        case Published(on=on):
            return _Change(status=CaseStatus.PUBLISHED, dates={"published": on})
        case SlipMilestone():
            return _slip(case, decision, today)


def _events_after(case: Case, change: _Change) -> dict[str, MilestoneEvents]:
    events = dict(case.milestone_events)
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
    _GUARDS[decision.kind](case, agreement)
    change = _change(case, decision, actor, agreement, today)

    dates = case.dates.model_copy(update=change.dates)
    try:
        validate_case_dates(dates)
    except TimelineInputError as exc:
        message = str(exc)
        raise InvalidDecisionError("on", message[0].upper() + message[1:]) from None

    version = case.version + 1
    data = _data_of(decision)
    record = RecordedDecision(
        kind=decision.kind.value, data=data, actor=actor, at=at, version=version
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
        reference=case.reference,
        at=at,
        actor_id=actor.id,
        actor_name=actor.name,
        role=actor.role,
        partner=actor.partner,
        kind=decision.kind,
        what=DECISION_LABELS[decision.kind],
        version_before=case.version,
        version_after=version,
        data=data,
    )
    return DecisionResult(case=updated, audit=audit, changed=True)


# --- what the referrer is told --------------------------------------------------------------

_OUTCOME_LINES = {
    "local_cspr": "The partners decided on a local Child Safeguarding Practice Review",
    "learning_review": "The partners decided on a learning review",
    "no_further_review": "The partners decided that no further review is needed",
}

_PANEL_LINES = {
    "national_review": "The national Panel decided to carry out a national review",
    "local_review": "The national Panel asked for a local Child Safeguarding Practice Review",
    "agrees": "The national Panel agreed with the partners' decision",
}


def _summary_lines(decision: Decision, outcome: Outcome | None) -> list[str]:
    match decision:
        case SinMade(on=on):
            return [
                f"The local authority notified the national Panel on {_long(on)}",
                "A rapid review began",
            ]
        case NotNotifiable():
            return [
                "The local authority decided the case did not need to be notified to the"
                " national Panel"
            ]
        case LearningReviewOffered():
            return ["The partnership decided to hold a learning review"]
        case SummariesRequested(on=on):
            return [f"Agencies were asked for their summaries on {_long(on)}"]
        case PartnersNotified(on=on):
            return [f"The safeguarding partners were told on {_long(on)}"]
        case SummariesReturned(on=on):
            return [f"The agencies' summaries were in by {_long(on)}"]
        case MeetingHeld(on=on):
            return [f"The rapid review group met on {_long(on)}"]
        case RapidReviewSent(on=on):
            lines = [f"The partners sent the rapid review to the national Panel on {_long(on)}"]
            return lines + ([_OUTCOME_LINES[outcome]] if outcome else [])
        case PanelReply(reply=reply):
            return [_PANEL_LINES[reply]]
        case ReviewerAppointed(on=on):
            return [f"A reviewer was appointed on {_long(on)}"]
        case TermsOfReferenceAgreed(on=on):
            return [f"The review's terms of reference were agreed on {_long(on)}"]
        case ReportApproved(on=on):
            return [f"The partners approved the review's report on {_long(on)}"]
        case PublicationDecision(publish=publish):
            if publish == "full":
                return ["The partners decided to publish the report in full"]
            return ["The partners decided to publish the improvements the review identified"]
        case PublicationPlanned(planned_for=planned_for):
            return [f"Publication is planned for {_long(planned_for)}"]
        case ReportSentToPanel(on=on):
            return [
                "The report was sent to the national Panel and the Secretary of State"
                f" on {_long(on)}"
            ]
        case Published(on=on, link=link):
            return [f"The report was published on {_long(on)}: {link}"]
        case SlipMilestone(milestone=milestone, to=to):
            return [f"The date for {_MILESTONE_TEXT[milestone]} moved to {_long(to)}"]
        case _:
            # Proposals and the partners' views are their deliberation, not news for referrers.
            return []


def decision_summary(case: Case) -> list[str]:
    """What has been decided, in plain English for the referrer: no names, no reasons."""
    proposal = agreement_status(case).proposal
    outcome = proposal.outcome if proposal else None
    lines: list[str] = []
    for _, decision in recorded_decisions(case):
        lines.extend(_summary_lines(decision, outcome))
    return lines
