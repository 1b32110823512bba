"""A referral for a serious case review: sections, validation, drafts and the screening."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safeguarding.calendar import add_years
from safeguarding.leading import LeadRule

_Date = date  # Incident has a field named `date`
ShortText = Annotated[str, Field(min_length=1, max_length=120)]
LongText = Annotated[str, Field(min_length=1, max_length=1500)]


# The most children one referral can carry (cards and forms read it from here).
MAX_CHILDREN = 12

# What an erased field holds once a case's personal data are erased (safeguarding/retention.py):
# a value every model still accepts, so an erased case loads and its clock runs as before.
# cards/wording.py shows it as ERASED_VALUE (tests/test_retention.py keeps the two alike).
ERASED = "(erased)"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ReferralError(ValueError):
    """A referral section that does not hold together; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class Step(StrEnum):
    """The steps of the referral, in order."""

    SAFETY = "safety"
    AREA = "area"
    REFERRER = "referrer"
    CHILD = "child"
    INCIDENT = "incident"
    AGENCIES = "agencies"
    CRITERIA = "criteria"
    ACTIONS = "actions"
    REVIEW = "review"


SECTION_STEPS: tuple[Step, ...] = (
    Step.AREA,
    Step.REFERRER,
    Step.CHILD,
    Step.INCIDENT,
    Step.AGENCIES,
    Step.CRITERIA,
    Step.ACTIONS,
)


class Area(_Section):
    """Where the child lives and where the child was harmed, which decide the partnership."""

    # Where the child lives: a configured area, or one of leading.PLACES_NOT_LISTED.
    area: ShortText
    # The partnership the case is filed with, as safeguarding.leading.route decided.
    partnership_id: ShortText
    # The name of the child's home area when it is not served here: that area is told too.
    other_area: Annotated[str, Field(max_length=120)] | None = None
    # Where the child died or was seriously harmed, chosen like `area`. None on referrals made
    # before the question was asked, when one area stood for both.
    harm_area: ShortText | None = None
    lead_rule: LeadRule | None = None
    # The child's home partnership on this deployment, told of a case another partnership leads.
    told_partnership_id: ShortText | None = None


class Referrer(_Section):
    """Who is referring, and whether their agency's safeguarding lead has agreed."""

    name: ShortText
    role: ShortText
    agency: ShortText
    contact: Annotated[str, Field(min_length=5, max_length=120)]
    lead_agreed: bool

    @model_validator(mode="after")
    def _contact_reachable(self) -> Referrer:
        if self.contact == ERASED:
            return self  # erased under the retention schedule: nothing left to reach
        digits = re.sub(r"\D", "", self.contact)
        if "@" not in self.contact and len(digits) < 10:
            raise ReferralError("contact", "give an email address or a phone number")
        return self


# The first question of every referral: is a child in danger now, a worry, or an incident?
SafetyAnswer = Literal["incident", "danger", "worry"]
Sex = Literal["female", "male", "other", "not_known"]
YesNoUnknown = Literal["yes", "no", "not_known"]
ChildStatus = Literal["looked_after", "child_protection_plan", "child_in_need", "care_leaver"]
# A child's age on the incident date, kept in place of the date of birth once a case's personal
# data are erased: the bands of DfE's serious incident notifications statistics (under 1, 1 to
# 5, 6 to 10, 11 to 15, 16 and over), with 16-17 and 18 and over apart as the screening has them.
AgeBand = Literal["unborn", "under_1", "1_to_5", "6_to_10", "11_to_15", "16_to_17", "18_plus"]


class Child(_Section):
    """One child the referral is about."""

    name: ShortText  # name or initials
    unborn: bool = False
    date_of_birth: date | None = None
    expected_date: date | None = None
    sex: Sex = "not_known"
    ethnicity: Annotated[str, Field(max_length=80)] | None = None
    disability: YesNoUnknown = "not_known"
    statuses: tuple[ChildStatus, ...] = ()
    # Set only when the case's personal data were erased: the dates of birth are gone.
    age_band: AgeBand | None = None

    @model_validator(mode="after")
    def _dates(self) -> Child:
        if self.age_band is not None:
            return self
        if self.unborn:
            if self.expected_date is None:
                raise ReferralError("expected_date", "give the expected date of birth")
        elif self.date_of_birth is None:
            raise ReferralError("date_of_birth", "give the date of birth (or mark unborn)")
        return self

    @property
    def initials(self) -> str:
        """Initials only, for channel posts and duplicate checks: 'Jane Doe' -> 'JD'."""
        return initials_of(self.name)

    def age_at(self, day: date) -> int | None:
        """Whole years of age on a day; None for an unborn child."""
        if self.unborn or self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# Letters of any script, so "Zoë Ñúñez" is "ZÑ", not "ZN".
_WORDS = re.compile(r"[^\W\d_]+")
# A name always has a vowel (y counts); "JMS" or "jms" has none, so it can only be initials.
_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ")
# Typed initials are kept up to this many letters; a channel shows no more than this.
MAX_INITIALS = 4
# Up to this many capitals in one word are taken as typed initials ("JMS"), even with a vowel
# ("AJS"); a longer word in capitals ("EVIE") is a name, so only its first letter is used.


def initials_of(name: str) -> str:
    """The initials a channel shows and the duplicate check compares, the same both ways.

    A child's name must never reach a channel, so a word is kept whole only when it cannot be
    a name: letters typed one by one ("J.M.S.", "J M S") or a short word of plain Latin
    letters with no vowel ("JMS", "jms"). Anything else is cut to first letters: "Jane Mary
    Smith", "MIA", "Mia" and "王伟" are "JMS", "M", "M" and "王". Initials with a vowel are kept
    when typed with stops ("A.J.S.").
    """
    words: list[str] = _WORDS.findall(name)
    if len(words) == 1:
        word = words[0]
        plain = word.isascii() and word.isalpha()
        no_vowel = not any(letter in _VOWELS for letter in word.casefold())
        if plain and no_vowel and len(word) <= MAX_INITIALS:
            return word.upper()
    return "".join(w[0].upper() for w in words)[:MAX_INITIALS] or "?"


IncidentKind = Literal["death", "serious_harm", "other"]


class Incident(_Section):
    """What happened, and when."""

    date: _Date
    la_aware: _Date | None = None
    kind: IncidentKind
    location: Annotated[str, Field(max_length=200)] | None = None
    description: LongText


Agency = Literal[
    "childrens_social_care",
    "police",
    "health_visiting",
    "gp",
    "hospital",
    "mental_health",
    "school",
    "early_years",
    "early_help",
    "youth_justice",
    "probation",
    "housing",
    "substance_misuse",
    "domestic_abuse",
]
# The agencies a referral can name (the card words them: cards/wording.py).
AGENCIES: tuple[str, ...] = get_args(Agency)


class Agencies(_Section):
    """The agencies involved with the child and family."""

    involved: tuple[str, ...] = ()
    other: Annotated[str, Field(max_length=300)] | None = None
    still_involved: YesNoUnknown = "not_known"

    @model_validator(mode="after")
    def _some(self) -> Agencies:
        unknown = [a for a in self.involved if a not in AGENCIES]
        if unknown:
            raise ReferralError("involved", "choose agencies from the list")
        if not self.involved and not self.other:
            raise ReferralError("involved", "choose at least one agency, or name it under other")
        return self


AbuseOrNeglect = Literal["known", "suspected", "not_suspected"]
Criterion = Literal["improvements", "recurrent_themes", "agencies_working_together", "panel_view"]

CRITERIA: tuple[str, ...] = get_args(Criterion)


class Criteria(_Section):
    """The referrer's view against the serious-case test and the statutory criteria."""

    abuse_or_neglect: AbuseOrNeglect
    about_a_professional: bool = False
    criteria: tuple[Criterion, ...] = ()
    reasons: LongText


ParallelProcess = Literal["police", "coroner", "cdop", "domestic_homicide_review"]
PARALLEL_PROCESSES: tuple[str, ...] = get_args(ParallelProcess)


class Actions(_Section):
    """What has been done to keep children safe, other processes running, and media interest."""

    safety_actions: LongText
    parallel: tuple[ParallelProcess, ...] = ()
    media_interest: YesNoUnknown = "not_known"


def born_after(children: tuple[Child, ...], incident: date) -> list[int]:
    """The children (by index) whose date of birth is after the incident date."""
    return [
        index
        for index, child in enumerate(children)
        if child.date_of_birth is not None and child.date_of_birth > incident
    ]


def adults_at(children: tuple[Child, ...], incident: date) -> list[int]:
    """The children (by index) who were 18 or over on the incident date: to be confirmed."""
    return [
        index
        for index, child in enumerate(children)
        if (age := child.age_at(incident)) is not None and age >= ADULT_AGE
    ]


# Referrals come soon after an incident (the notification is due within 5 working days of
# the LA becoming aware), so an incident date within this many days of today is likely right.
RECENT_INCIDENT_DAYS = 365


def birth_likely_wrong(incident: date, today: date) -> bool:
    """For a date of birth after the incident date: whether the date of birth is the slip.

    A recent incident date is what a referral expects, so the date of birth is the odd one out;
    an incident date long ago is itself more likely a slip of the keyboard or the picker.
    """
    return (today - incident).days <= RECENT_INCIDENT_DAYS


class DateProblem(StrEnum):
    """A date that cannot be right; cards/wording.py words each one."""

    BIRTH_IN_FUTURE = "birth_in_future"
    EXPECTED_TOO_FAR = "expected_too_far"
    INCIDENT_IN_FUTURE = "incident_in_future"
    AWARE_IN_FUTURE = "aware_in_future"
    AWARE_BEFORE_INCIDENT = "aware_before_incident"


def date_problems(
    today: date,
    *,
    date_of_birth: date | None = None,
    expected_date: date | None = None,
    incident: date | None = None,
    la_aware: date | None = None,
) -> dict[str, DateProblem]:
    """Every date that cannot be right, by input: all of them at once, one per input.

    Dates are real and not in the future (an expected date at most a year away); the LA
    cannot have become aware before the incident.
    """
    found: dict[str, DateProblem] = {}
    if date_of_birth is not None and date_of_birth > today:
        found["date_of_birth"] = DateProblem.BIRTH_IN_FUTURE
    if expected_date is not None and expected_date > add_years(today, 1):
        found["expected_date"] = DateProblem.EXPECTED_TOO_FAR
    if incident is not None and incident > today:
        found["date"] = DateProblem.INCIDENT_IN_FUTURE
    if la_aware is not None:
        if la_aware > today:
            found["la_aware"] = DateProblem.AWARE_IN_FUTURE
        elif incident is not None and la_aware < incident:
            found["la_aware"] = DateProblem.AWARE_BEFORE_INCIDENT
    return found


class Outcome(StrEnum):
    """A route the screening suggests for the case; cards/wording.py words each one."""

    RAPID_REVIEW = "rapid_review"
    LEARNING_REVIEW = "learning_review"
    CDOP = "cdop"
    LADO = "lado"
    ADULT_REVIEW = "adult_review"
    LOOKED_AFTER_DEATH = "looked_after_death"
    CARE_LEAVER_DEATH = "care_leaver_death"


class Screening(BaseModel):
    """Every route the answers suggest, the main one first; it never blocks a referral."""

    model_config = ConfigDict(frozen=True)

    routes: tuple[Outcome, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _stored_with_one_outcome(cls, value: Any) -> Any:
        # Cases filed before screening could name several routes stored one outcome and its
        # sentence; the sentence now comes from cards/wording.py, so only the outcome is kept.
        if isinstance(value, dict) and "routes" not in value and "outcome" in value:
            return {"routes": (value["outcome"],)}
        return value

    @property
    def outcome(self) -> Outcome:
        """The main route: the first that applies."""
        return self.routes[0]


class Referral(_Section):
    """A complete referral, ready to be filed."""

    area: Area
    referrer: Referrer
    children: tuple[Child, ...] = Field(min_length=1, max_length=MAX_CHILDREN)
    incident: Incident
    agencies: Agencies
    criteria: Criteria
    actions: Actions


def pending_key(step: Step, child_index: int | None = None) -> str:
    """Where a card's unchecked answers are kept in `Draft.pending`: 'incident', 'child:0'."""
    if step is Step.CHILD:
        return f"child:{'new' if child_index is None else child_index}"
    return step.value


class Draft(BaseModel):
    """A referral being written: what has been answered so far, kept between turns and devices."""

    model_config = ConfigDict(extra="forbid")

    step: Step = Step.SAFETY
    safety_answer: SafetyAnswer | None = None
    area: Area | None = None
    referrer: Referrer | None = None
    children: tuple[Child, ...] = ()
    incident: Incident | None = None
    agencies: Agencies | None = None
    criteria: Criteria | None = None
    actions: Actions | None = None
    adult_confirmed: bool = False
    # Set when the practitioner chose Edit on the review card: after the edit, back to review.
    editing: bool = False
    # The child whose card is shown (an Edit from the review, or Back to a child).
    editing_child: int | None = None
    # What was on a card when Back (or a button to another card) was pressed, not yet checked:
    # shown again on that card, so nothing typed is lost. Keyed by `pending_key`.
    pending: dict[str, dict[str, str]] = Field(default_factory=dict)
    # The same user's filed referral whose referrer section filled this draft's "About you"
    # card (in `pending`, to be checked and saved like anything typed), if one did.
    referrer_from: str | None = None

    @model_validator(mode="after")
    def _ask_where_harmed(self) -> Draft:
        # A draft saved before the place of harm was asked goes back to the area step, its
        # answers kept: who leads turns on that place (Children Act 2004 s16C(1)).
        moved_on = self.step not in (Step.SAFETY, Step.AREA)
        if moved_on and self.area is not None and self.area.harm_area is None:
            self.editing = self.editing or self.step is Step.REVIEW
            self.step = Step.AREA
        return self

    def section_done(self, step: Step) -> bool:
        """Whether a section step has been answered."""
        if step is Step.CHILD:
            return bool(self.children)
        if step is Step.AREA:
            return self.area is not None and self.area.harm_area is not None
        value = {
            Step.AREA: self.area,
            Step.REFERRER: self.referrer,
            Step.INCIDENT: self.incident,
            Step.AGENCIES: self.agencies,
            Step.CRITERIA: self.criteria,
            Step.ACTIONS: self.actions,
        }.get(step)
        return value is not None

    def next_step(self) -> Step:
        """The first unanswered section, or the review once everything is answered."""
        if self.safety_answer is None:
            return Step.SAFETY
        for step in SECTION_STEPS:
            if not self.section_done(step):
                return step
        return Step.REVIEW

    def to_referral(self) -> Referral:
        """The complete referral; raises ReferralError naming the first missing section."""
        missing = [step for step in SECTION_STEPS if not self.section_done(step)]
        if missing:
            raise ReferralError(missing[0].value, "this section is not answered yet")
        # Every section is answered (section_done said so): the referral's fields are the draft's.
        return Referral.model_validate(self, from_attributes=True)


# A care leaver's death is notified up to and including this age (WT2023 ch.5, Dec 2023).
CARE_LEAVER_NOTIFIED_UP_TO_AGE = 24
ADULT_AGE = 18


def screen(referral: Referral) -> Screening:
    """Every route the answers suggest, as codes: a case may belong to more than one.

    - Rapid review: abuse or neglect known or suspected and a child died or was seriously
      harmed, whoever harmed them (WT2023 ch.5, serious child safeguarding cases; CA 2004
      s16C(1), the LA's duty to notify the Panel).
    - A looked-after child's death: the LA notifies the Secretary of State and Ofsted whether
      or not abuse or neglect is known or suspected (WT2023 ch.5).
    - A care leaver's death up to and including age 24: the LA notifies the Secretary of State
      for Education and Ofsted (WT2023 ch.5 as updated in December 2023), so an 18-24 care
      leaver is never sent to adult safeguarding alone.
    - LADO: an allegation that someone who works with children (a foster carer, a teacher)
      harmed a child, beside any of the above (WT2023 chapter 4, allegations against people who
      work with children).
    - CDOP: every child's death is reviewed, whatever its cause, beside any safeguarding review
      (CA 2004 s16M; WT2023 ch.6, child death reviews).
    - Adult safeguarding when everyone was 18 or over; otherwise, when nothing else applies,
      a learning review the partnership may still hold (WT2023 ch.5).
    """
    incident, criteria = referral.incident, referral.criteria
    died = incident.kind == "death"
    harmed = incident.kind in ("death", "serious_harm")
    suspected = criteria.abuse_or_neglect in ("known", "suspected")
    aged = [(child, child.age_at(incident.date)) for child in referral.children]
    # An unborn child has no age and is a child.
    children = [child for child, age in aged if age is None or age < ADULT_AGE]
    care_leavers = [
        child
        for child, age in aged
        if "care_leaver" in child.statuses
        and age is not None
        and age <= CARE_LEAVER_NOTIFIED_UP_TO_AGE
    ]
    routes: list[Outcome] = []
    if children and suspected and harmed:
        routes.append(Outcome.RAPID_REVIEW)
    if died and any("looked_after" in child.statuses for child in children):
        routes.append(Outcome.LOOKED_AFTER_DEATH)
    if died and care_leavers:
        routes.append(Outcome.CARE_LEAVER_DEATH)
    if children and criteria.about_a_professional:
        routes.append(Outcome.LADO)
    if children and died:
        routes.append(Outcome.CDOP)
    if not children:
        routes.append(Outcome.ADULT_REVIEW)
    if not routes:
        routes.append(Outcome.LEARNING_REVIEW)
    return Screening(routes=tuple(routes))
