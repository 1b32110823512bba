"""Wording in one place: the domain returns codes and params, cards/wording.py words them all."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from typing import get_args

import pytest

import safeguarding.decisions
from cards import wording
from safeguarding.cases import CaseStatus
from safeguarding.decisions import (
    DecisionError,
    DecisionKind,
    DecisionProblem,
    HaveRegard,
    InvalidDecisionError,
    LearningOutcome,
    LearningSharing,
    NoteCode,
    Outcome,
    PanelAnswer,
    Param,
    Publication,
    SummaryCode,
    SummaryItem,
)
from safeguarding.partnerships import Partner
from safeguarding.timeline import (
    CaseDateField,
    CaseDates,
    CaseDatesOrderError,
    MilestoneKey,
    TimelineInputError,
)

# --- no English in the domain ---------------------------------------------------------------

_LOGGERS = {"logger", "logging", "log", "_logger", "_log"}
_LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _LOG_METHODS
        and isinstance(func.value, ast.Name)
        and func.value.id in _LOGGERS
    )


def _reads_as_english(text: str) -> bool:
    # Words next to a space ("this is required", "{} and {}") or a capitalised word ("Agree").
    return bool(re.search(r"[A-Za-z]\s|\s[A-Za-z]", text) or re.match(r"[A-Z][a-z]", text))


def english_literals(source: str) -> list[tuple[int, str]]:
    """String literals that read as English, outside docstrings, log calls and `__all__`."""
    tree = ast.parse(source)
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                exempt.add(id(first.value))
        elif (isinstance(node, ast.Call) and _is_log_call(node)) or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        ):
            exempt.update(id(inner) for inner in ast.walk(node))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.JoinedStr):
            # An f-string is read whole, its replacement fields as {}; its parts are not re-read.
            exempt.update(id(part) for part in node.values)
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if _reads_as_english(text):
            found.append((node.lineno, text))
    return found


def test_the_finder_finds_sentences_and_leaves_docstrings_and_logs() -> None:
    source = '''
"""A module docstring with Words."""
__all__ = ["Agree"]
def f(x):
    """A docstring, Capitalised."""
    logger.info("Logged for Operators %s", x)
    a = "The date cannot be in the future"
    b = f"Record '{x}' before '{x}'"
    c = f"{x} and {x}"
    d = "this is required"
    e = "Agree"
    return "sin_made", "local_cspr", f"{x} {x}", f"{x}: {x}", "on"
'''
    assert [text for _, text in english_literals(source)] == [
        "The date cannot be in the future",
        "Record '{}' before '{}'",
        "{} and {}",
        "this is required",
        "Agree",
    ]


def test_the_decisions_domain_holds_no_english_sentences() -> None:
    source = Path(safeguarding.decisions.__file__).read_text(encoding="utf-8")
    found = english_literals(source)
    assert not found, "words for people belong in cards/wording.py: " + "; ".join(
        f"line {line}: {text!r}" for line, text in found
    )


# --- everything has wording -----------------------------------------------------------------


def test_every_decision_kind_milestone_partner_and_status_has_wording() -> None:
    assert set(wording.DECISION_LABELS) == set(DecisionKind)
    assert set(wording.MILESTONES) == set(MilestoneKey)
    assert set(wording.PARTNERS) == set(Partner)
    assert set(wording.CASE_NOW) == set(CaseStatus)
    names = [*wording.MILESTONES.values(), *wording.PARTNERS.values()]
    assert all(name.title and name.in_sentence for name in names)
    assert all(wording.DECISION_LABELS.values())


def test_every_case_date_and_choice_has_wording() -> None:
    assert set(get_args(CaseDateField)) == set(CaseDates.model_fields) == set(wording.CASE_DATES)
    assert set(wording.RECOMMENDATION_OUTCOMES) == set(get_args(Outcome))
    assert set(wording.HAVE_REGARD_CHOICES) == set(get_args(HaveRegard))
    assert set(wording.SUMMARY_OUTCOMES) == set(get_args(Outcome))
    assert set(wording.SUMMARY_PANEL_REPLIES) == set(get_args(PanelAnswer))
    assert set(wording.PANEL_REPLIES) == set(get_args(PanelAnswer))
    assert set(wording.LEARNING_OUTCOMES) == set(get_args(LearningOutcome))
    assert set(wording.SUMMARY_LEARNING_OUTCOMES) == set(get_args(LearningOutcome))
    assert set(wording.LEARNING_SHARING_CHOICES) == set(get_args(LearningSharing))
    assert set(wording.SUMMARY_LEARNING_SHARING) == set(get_args(LearningSharing))
    assert set(wording.NOTE_TITLES) == set(NoteCode)
    assert set(wording.SUMMARY_PUBLICATION) == set(get_args(Publication))


def test_every_error_code_and_summary_code_has_wording() -> None:
    assert set(wording.DECISION_PROBLEMS) == set(DecisionProblem)
    assert set(PROBLEMS) == set(DecisionProblem)
    assert not set(wording.SUMMARY_LINES) & set(wording.SUMMARY_CHOICES)
    assert set(wording.SUMMARY_LINES) | set(wording.SUMMARY_CHOICES) == set(SummaryCode)
    assert {code for code, _, _ in SUMMARIES} == set(SummaryCode)


def test_unknown_milestone_keys_are_shown_as_they_are() -> None:
    assert wording.milestone_name(MilestoneKey.SIN) == "Serious incident notification"
    assert wording.milestone_name("rapid_review") == "Rapid review sent to the Panel"
    assert wording.milestone_name("retired_key") == "retired_key"
    assert wording.milestone_name("") == ""


# --- every sentence, as the lead and the referrer read it ---------------------------------

DAY = date(2026, 11, 25)
NAME = "Coventry Safeguarding Children Partnership"
P = DecisionProblem
PROBLEMS: dict[DecisionProblem, tuple[dict[str, Param], str]] = {
    P.RAPID_REVIEW_ALREADY_SENT: ({}, "The rapid review has already been sent to the Panel"),
    P.NOT_POSSIBLE_NOW: (
        {"kind": DecisionKind.MEETING_HELD, "status": CaseStatus.NO_SERIOUS_INCIDENT},
        "'Rapid review meeting held' is not possible now: the case was found not to be a serious"
        " incident to notify",
    ),
    P.RECORD_FIRST: (
        {"first": DecisionKind.REPORT_APPROVED, "then": DecisionKind.REPORT_SENT_TO_PANEL},
        "Record 'Report approved' before 'Report sent to the Panel and Secretary of State'",
    ),
    P.RAPID_REVIEW_NOT_SENT: ({}, "The rapid review has not been sent to the Panel yet"),
    P.NO_RECOMMENDATION: ({}, "No recommendation has been proposed yet"),
    P.SEND_WITHOUT_RECOMMENDATION: (
        {},
        "The rapid review cannot be sent yet: no one has put forward a recommendation",
    ),
    P.SEND_AFTER_DISAGREEMENT: (
        {"partners": (Partner.LOCAL_AUTHORITY, Partner.POLICE)},
        "The rapid review cannot be sent: the local authority and the police did not agree with"
        " the recommendation. Propose a new recommendation for the partners to agree",
    ),
    P.SEND_BEFORE_AGREEMENT: (
        {"partners": (Partner.LOCAL_AUTHORITY, Partner.HEALTH, Partner.POLICE)},
        "All three partners must agree the recommendation before the rapid review is sent."
        " Still waiting for: the local authority, health and the police",
    ),
    P.DEADLINE_MET: (
        {"milestone": MilestoneKey.RR_IAS_RETURNS, "on": DAY},
        "The deadline for agencies returning their summaries was met on 25 November 2026",
    ),
    P.DEADLINE_NEEDS_CSPR: (
        {"milestone": MilestoneKey.REPORT_COPY_TO_PANEL},
        "The deadline for sending the report to the national Panel applies once a local CSPR is"
        " decided",
    ),
    P.DEADLINE_NATIONAL_REVIEW: (
        {"milestone": MilestoneKey.CSPR_FINAL_REPORT},
        "The deadline for publishing the review's report does not apply: the national Panel is"
        " reviewing the case",
    ),
    P.NO_INFORMATION_REQUESTED: (
        {},
        "The national Panel has not asked for more information (or it was already sent)",
    ),
    P.ALREADY_RECORDED: (
        {"kind": DecisionKind.PANEL_REPLY, "on": DAY},
        "'Panel replied' was already recorded on 25 November 2026",
    ),
    P.SIN_ALREADY_MADE: ({"on": DAY}, "The SIN was already recorded as made on 25 November 2026"),
    P.SUMMARIES_ALREADY_REQUESTED: (
        {"on": DAY},
        "The summaries were already requested on 25 November 2026",
    ),
    P.PARTNERS_ALREADY_TOLD: ({"on": DAY}, "The partners were already told on 25 November 2026"),
    P.SUMMARIES_ALREADY_IN: ({"on": DAY}, "The summaries were already in on 25 November 2026"),
    P.SUMMARIES_IN_FOR_CASE: (
        {"on": DAY},
        "The summaries for the whole case were marked as in on 25 November 2026"
        " ('Agency summaries in'). So no more agencies can be asked for one",
    ),
    # A listed agency reads by its label; a named one as the lead gave it, with a capital.
    P.AGENCY_ALREADY_REQUESTED: (
        {"agency": "gp", "on": DAY},
        "GP was already asked for a summary on 25 November 2026",
    ),
    P.SUMMARY_ALREADY_RECEIVED: (
        {"agency": "police", "on": DAY},
        "The summary from Police was already recorded as in on 25 November 2026",
    ),
    P.LEAD_ELSEWHERE: (
        {"kind": DecisionKind.SIN_MADE},
        "'SIN made' is not for this partnership to record. The local authority where the child"
        " was harmed tells the national Panel and leads the rapid review (Children Act 2004"
        " s16C(1)). This partnership takes part",
    ),
    P.LEADS_HERE: (
        {"kind": DecisionKind.LEAD_AUTHORITY_TOLD},
        "'Leading local authority told' is only for a case led by a local authority not served"
        " here: this partnership leads this case",
    ),
    P.AGENCY_NOT_REQUESTED: (
        {"agency": "oak Housing Trust"},
        "Oak Housing Trust has not been asked for a summary: record the request first",
    ),
    P.ALL_PARTNERS_ANSWERED: (
        {},
        "All three partners have already said what they think of this recommendation",
    ),
    P.PARTNER_ALREADY_ANSWERED: (
        {"partner": Partner.POLICE, "kind": DecisionKind.DISAGREE},
        "The police has already disagreed with this recommendation. To change it, propose a new"
        " recommendation",
    ),
    P.OTHER_PARTNERSHIP: (
        {"partnership": NAME},
        f"This case belongs to another partnership than {NAME}",
    ),
    P.LEADS_ONLY: (
        {"partnership": NAME},
        f"Only the leads of {NAME} can record decisions on a case",
    ),
    P.PARTNERS_ONLY: (
        {"kind": DecisionKind.AGREE},
        "Only the lead for the local authority, health or the police can agree the recommendation",
    ),
    P.LOCAL_AUTHORITY_ONLY: (
        {"kind": DecisionKind.NOT_NOTIFIABLE},
        "'Not notifiable' is for the local authority to decide. Only its lead can record it, or"
        " the business unit for them",
    ),
    P.SAY_ON_BEHALF: (
        {"kind": DecisionKind.SIN_MADE},
        "'SIN made' is for the local authority to decide. To record it for them, tick"
        " 'I am recording this for the local authority (business unit)'",
    ),
    P.NOT_ON_BEHALF: (
        {"kind": DecisionKind.SLIP},
        "'Move a deadline' is not recorded on behalf of the local authority",
    ),
    P.DATE_IN_FUTURE: ({}, "The date cannot be in the future"),
    P.DATE_BEFORE_INCIDENT: (
        {"earliest": DAY},
        "The date cannot be before the incident (25 November 2026)",
    ),
    P.DATE_BEFORE_AGREEMENT: (
        {"earliest": DAY},
        "The date cannot be before the day the partners agreed (25 November 2026)",
    ),
    P.DATE_BEFORE_RAPID_REVIEW_SENT: (
        {"earliest": DAY},
        "The date cannot be before the rapid review was sent (25 November 2026)",
    ),
    P.DATE_BEFORE_DECISION_TO_REVIEW: (
        {"earliest": DAY},
        "The date cannot be before the decision to hold the review (25 November 2026)",
    ),
    P.DATE_BEFORE_DECISION: (
        {"kind": DecisionKind.LEARNING_REVIEW_COMMISSIONED, "earliest": DAY},
        "The date cannot be before 'Learning review commissioned' (25 November 2026)",
    ),
    P.DATES_OUT_OF_ORDER: (
        {
            "later": "published",
            "later_on": date(2026, 12, 9),
            "earlier": "decision_to_review",
            "earlier_on": date(2026, 12, 10),
        },
        "Publication (2026-12-09) cannot be before the decision to hold a CSPR (2026-12-10)",
    ),
    P.MINIMUM_PERIOD: (
        {"milestone": MilestoneKey.REPORT_AVAILABLE_UNTIL},
        "Keeping the report public is a minimum period, not a deadline",
    ),
    P.NEW_DUE_DATE_IN_PAST: ({}, "The new due date cannot be in the past"),
    P.PLANNED_DATE_IN_PAST: ({}, "The planned date cannot be in the past"),
    P.REQUIRED: ({}, "this is required"),
    P.EMPTY: ({}, "this cannot be empty"),
    P.TOO_LONG: ({}, "this is too long"),
    P.NOT_A_DATE: ({}, "this is not a real date"),
    P.NOT_AN_OPTION: ({}, "choose one of the options"),
    P.UNKNOWN_DECISION: ({}, "this is not a decision the bot knows"),
    P.NO_DECISION_KIND: ({}, "say which decision this is"),
    P.UNEXPECTED_FIELD: ({}, "this decision does not take this field"),
    P.LINK_NOT_HTTPS: ({}, "give the report's address, starting https://"),
    P.CRITERIA_NEEDED: ({}, "choose at least one criterion the case meets for a local CSPR"),
    P.PUBLISH_REASON_NEEDED: ({}, "say why only the improvements will be published"),
    P.ACTIONS_NEEDED: ({}, "say what immediate safety actions were agreed"),
    P.REQUEST_NEEDED: ({}, "say what the Panel asked for"),
    P.LEARNING_LINK_NEEDED: (
        {},
        "give the address where the learning is published, starting https://",
    ),
    P.AGENCIES_NEEDED: ({}, "choose or name at least one agency"),
    P.INVALID: ({"detail": "Input should be a valid string"}, "Input should be a valid string"),
}


@pytest.mark.parametrize("code", list(DecisionProblem))
def test_every_refusal_reads_as_it_always_has(code: DecisionProblem) -> None:
    params, sentence = PROBLEMS[code]
    assert wording.decision_problem(DecisionError(code, **params)) == sentence
    assert wording.decision_problem(InvalidDecisionError("on", code, **params)) == sentence


def test_every_partner_reads_in_a_refusal() -> None:
    starts = {
        (Partner.LOCAL_AUTHORITY, DecisionKind.AGREE): "The local authority has already agreed to",
        (Partner.HEALTH, DecisionKind.DISAGREE): "Health has already disagreed with",
    }
    for (partner, kind), start in starts.items():
        error = DecisionError(P.PARTNER_ALREADY_ANSWERED, partner=partner, kind=kind)
        assert wording.decision_problem(error).startswith(start)
    only = DecisionError(P.PARTNERS_ONLY, kind=DecisionKind.DISAGREE)
    assert wording.decision_problem(only).endswith("can disagree with the recommendation")


def test_errors_carry_codes_and_plain_params_not_sentences() -> None:
    error = InvalidDecisionError("on", P.DATE_BEFORE_INCIDENT, earliest=DAY)
    assert (error.field, error.code, error.params) == (
        "on",
        P.DATE_BEFORE_INCIDENT,
        {"earliest": DAY},
    )
    assert "November" not in str(error)


def test_the_timeline_names_case_dates_by_key_and_wording_says_them() -> None:
    error = CaseDatesOrderError("sin_made", date(2026, 12, 22), "la_aware", date(2026, 12, 23))
    assert (error.later, error.earlier) == ("sin_made", "la_aware")
    assert "SIN was made" not in str(error)
    assert wording.timeline_problem(error) == (
        "the SIN was made (2026-12-22) cannot be before the LA became aware (2026-12-23)"
    )
    # The timeline's other errors are about the program's own inputs and read as raised.
    assert wording.timeline_problem(TimelineInputError("no milestone is called 'sn'")) == (
        "no milestone is called 'sn'"
    )


S = SummaryCode
SUMMARIES: list[tuple[SummaryCode, dict[str, Param], str]] = [
    (
        S.SIN_MADE,
        {"on": DAY},
        "The local authority notified the national Panel on 25 November 2026",
    ),
    (S.RAPID_REVIEW_BEGAN, {}, "A rapid review began"),
    (
        S.NOT_NOTIFIABLE,
        {},
        "The local authority decided the case did not need to be notified to the national Panel",
    ),
    (S.LEARNING_REVIEW_OFFERED, {}, "The partnership decided to hold a learning review"),
    (
        S.LEAD_AUTHORITY_TOLD,
        {"on": DAY},
        "The partnership told the local authority where the child was harmed, which leads, on"
        " 25 November 2026",
    ),
    (
        S.SUMMARIES_REQUESTED,
        {"on": DAY},
        "Agencies were asked for their summaries on 25 November 2026",
    ),
    (S.PARTNERS_NOTIFIED, {"on": DAY}, "The safeguarding partners were told on 25 November 2026"),
    (S.SUMMARIES_RETURNED, {"on": DAY}, "The agencies' summaries were in by 25 November 2026"),
    (S.MEETING_HELD, {"on": DAY}, "The rapid review group met on 25 November 2026"),
    (
        S.SAFETY_ACTIONS_AGREED,
        {"on": DAY},
        "Immediate actions to keep children safe were agreed on 25 November 2026",
    ),
    (
        S.NO_SAFETY_ACTION_NEEDED,
        {"on": DAY},
        "On 25 November 2026 the partners found that no immediate action was needed to keep"
        " children safe",
    ),
    (
        S.RAPID_REVIEW_SENT,
        {"on": DAY},
        "The partners sent the rapid review to the national Panel on 25 November 2026",
    ),
    (
        S.OUTCOME,
        {"outcome": "local_cspr"},
        "The partners decided on a local Child Safeguarding Practice Review",
    ),
    (S.OUTCOME, {"outcome": "learning_review"}, "The partners decided on a learning review"),
    (
        S.OUTCOME,
        {"outcome": "no_further_review"},
        "The partners decided that no further review is needed",
    ),
    (
        S.PANEL_REPLY,
        {"reply": "national_review"},
        "The national Panel decided to carry out a national review",
    ),
    (
        S.PANEL_REPLY,
        {"reply": "local_review"},
        "The national Panel agreed a local Child Safeguarding Practice Review",
    ),
    (S.PANEL_REPLY, {"reply": "agrees"}, "The national Panel agreed with the partners' decision"),
    (
        S.PANEL_REPLY,
        {"reply": "more_information"},
        "The national Panel asked for more details before it decides",
    ),
    (
        S.PANEL_INFORMATION_SENT,
        {"on": DAY},
        "The partnership sent the national Panel the information it asked for on 25 November 2026",
    ),
    (S.REVIEWER_APPOINTED, {"on": DAY}, "A reviewer was appointed on 25 November 2026"),
    (
        S.TERMS_OF_REFERENCE_AGREED,
        {"on": DAY},
        "The review's terms of reference were agreed on 25 November 2026",
    ),
    (
        S.REPORT_APPROVED,
        {"on": DAY},
        "The partners approved the review's report on 25 November 2026",
    ),
    (
        S.PUBLICATION_DECISION,
        {"publish": "full"},
        "The partners decided to publish the report in full",
    ),
    (
        S.PUBLICATION_DECISION,
        {"publish": "improvements_only"},
        "The partners will publish only the improvements the review found",
    ),
    (S.PUBLICATION_PLANNED, {"on": DAY}, "Publication is planned for 25 November 2026"),
    (
        S.REPORT_SENT_TO_PANEL,
        {"on": DAY},
        "The report was sent to the national Panel and the Secretary of State on 25 November 2026",
    ),
    (
        S.PUBLISHED,
        {"on": DAY, "link": "https://x.example/r"},
        "The report was published on 25 November 2026: https://x.example/r",
    ),
    (
        S.LEARNING_REVIEW_COMMISSIONED,
        {"on": DAY},
        "A learning review was commissioned on 25 November 2026",
    ),
    (
        S.LEARNING_REVIEW_COMPLETED,
        {"on": DAY},
        "The learning review was completed on 25 November 2026",
    ),
    (
        S.LEARNING_OUTCOME,
        {"outcome": "learning_identified"},
        "The learning review found lessons for the partnership",
    ),
    (
        S.LEARNING_OUTCOME,
        {"outcome": "no_new_learning"},
        "The learning review found no new learning",
    ),
    (S.LEARNING_SHARED, {"how": "published"}, "The learning review's findings were published"),
    (
        S.LEARNING_SHARED,
        {"how": "briefing"},
        "The learning was shared with practitioners in a briefing",
    ),
    (
        S.LEARNING_SHARED,
        {"how": "within_partnership"},
        "The learning was shared within the partnership",
    ),
    (S.CASE_CLOSED, {}, "The partnership has closed its work on this referral"),
    (
        S.DATE_MOVED,
        {"milestone": MilestoneKey.RR_SIGN_OFF, "to": DAY},
        "The date for the partners signing off the rapid review moved to 25 November 2026",
    ),
]


@pytest.mark.parametrize(("code", "params", "line"), SUMMARIES)
def test_every_summary_line_reads_as_it_always_has(
    code: SummaryCode, params: dict[str, Param], line: str
) -> None:
    assert wording.summary_lines([SummaryItem(code, params)]) == [line]


def test_every_milestone_reads_in_a_sentence_and_as_a_title() -> None:
    for key in MilestoneKey:
        moved = wording.summary_line(SummaryItem(S.DATE_MOVED, {"milestone": key, "to": DAY}))
        assert (
            moved == f"The date for {wording.MILESTONES[key].in_sentence} moved to 25 November 2026"
        )
        assert wording.milestone_name(key) == wording.MILESTONES[key].title
