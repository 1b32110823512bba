"""Cases: a filed referral with its reference, screening and what the partnership has done since."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from safeguarding.leading import LeadRule
from safeguarding.partnerships import Lead, Partner
from safeguarding.referral import Child, Referral, Screening
from safeguarding.timeline import CaseDates, MilestoneEvents

REFERENCE = re.compile(r"^(?P<prefix>[A-Z]{2,5})-(?P<year>\d{4})-(?P<number>\d{3,})$")
DUPLICATE_WINDOW_DAYS = 30


class CaseStatus(StrEnum):
    """Where a case is on the path of DOMAIN.md."""

    REFERRED = "referred"
    RAPID_REVIEW = "rapid_review"
    NO_SERIOUS_INCIDENT = "no_serious_incident"
    LOCAL_REVIEW = "local_review"
    LEARNING_REVIEW = "learning_review"
    NATIONAL_REVIEW = "national_review"
    NO_FURTHER_REVIEW = "no_further_review"
    PUBLISHED = "published"
    CLOSED = "closed"


# Nothing is pending on these: the report is out, or the case is closed. Reminders, the digest
# and a reminder's buttons all leave them alone.
FINISHED_STATUSES = frozenset({CaseStatus.PUBLISHED, CaseStatus.CLOSED})


class ReferrerIdentity(BaseModel):
    """Who filed the referral in Teams, so only they (and leads) see its progress."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    aad_object_id: str | None = None

    def is_user(self, teams_id: str, aad_object_id: str | None) -> bool:
        """Whether a Teams user (their Teams id, else their Entra object id) filed it."""
        if teams_id and self.user_id == teams_id:
            return True
        return aad_object_id is not None and self.aad_object_id == aad_object_id


class Actor(BaseModel):
    """A lead acting on a case: who they are, their role and the partner they represent."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    # The Entra object id where the lead has one configured, otherwise the Teams id.
    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=200)
    # Business managers and subgroup chairs represent no partner.
    partner: Partner | None = None
    # The partner whose decision a lead with no partner records for it, saying so (the business
    # unit recording the local authority's notification decision); None otherwise.
    on_behalf_of: Partner | None = None
    # A configured business-unit lead (Lead.business_unit): only they act for the LA.
    business_unit: bool = False

    @model_validator(mode="after")
    def _on_behalf_only_without_a_partner(self) -> Actor:
        # A partner's own lead speaks for that partner; only the business unit records for one.
        if self.on_behalf_of is not None and self.partner is not None:
            raise ValueError("only a lead who represents no partner acts on a partner's behalf")
        return self

    @classmethod
    def from_lead(cls, lead: Lead, actor_id: str, *, on_behalf_of: Partner | None = None) -> Actor:
        """The actor for a configured lead, identified by their Entra object id or Teams id."""
        return cls(
            id=actor_id,
            name=lead.name,
            role=lead.role,
            partner=lead.partner,
            on_behalf_of=on_behalf_of,
            business_unit=lead.business_unit,
        )


class RecordedDecision(BaseModel):
    """One decision as recorded on a case; appended, never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    # The decision's own fields as JSON (without `kind`); safeguarding.decisions reads them back.
    data: dict[str, JsonValue] = Field(default_factory=dict)
    actor: Actor
    at: datetime
    # The case version this decision produced.
    version: int


class Erasure(BaseModel):
    """That a case's personal data were erased: when, by which rule or by whom, and why.

    Never what was erased (UK GDPR Art 5(1)(e), storage limitation: the rest of the case is
    the partnership's statutory record; safeguarding/retention.py says what stays).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    # "retention" for the partnership's schedule, else who erased it (`review-bot erase --by`).
    by: str = Field(min_length=1, max_length=200)
    # The schedule's rule, e.g. "closed_case_years=6"; None for an erasure by hand.
    rule: str | None = None
    reason: str = Field(min_length=1, max_length=500)
    # Whether the cards already posted (the case card, the home partnership's card) were
    # replaced by their erased versions; the bot's daily job does it, and sets this.
    cards_updated: bool = False


class Case(BaseModel):
    """A filed referral and its progress."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(pattern=REFERENCE.pattern)
    partnership_id: str
    status: CaseStatus = CaseStatus.REFERRED
    referral: Referral
    screening: Screening
    submitted_by: ReferrerIdentity
    submitted_at: datetime
    dates: CaseDates
    channel_activity_id: str | None = None
    # The id of the filing that made this case (made when Submit was pressed): an interrupted
    # filing confirms a case only when this is its own. None on cases filed before it existed.
    filing_id: str | None = None
    # The card that told the child's home partnership, when another partnership leads.
    told_activity_id: str | None = None
    # Existing cases this referral looked like when it was filed (`looks_like`): the leads are
    # told on the case card, by reference only.
    possible_duplicates: list[str] = Field(default_factory=list)
    version: int = 1
    # Added with lead decisions; the defaults let cases stored before them load unchanged.
    milestone_events: dict[str, MilestoneEvents] = Field(default_factory=dict)
    decisions: list[RecordedDecision] = Field(default_factory=list)
    # Set once the case's personal data are erased (safeguarding/retention.py).
    erasure: Erasure | None = None

    @model_validator(mode="after")
    def _national_review_dated(self) -> Case:
        # Cases stored before CaseDates.national_review existed keep the day in the Panel's
        # reply; without it their local CSPR deadlines would still be reminded as due.
        if self.status is CaseStatus.NATIONAL_REVIEW and self.dates.national_review is None:
            for record in self.decisions:
                if record.kind == "panel_reply" and record.data.get("reply") == "national_review":
                    on = date.fromisoformat(str(record.data["on"]))
                    self.dates = self.dates.model_copy(update={"national_review": on})
                    break
        return self

    @property
    def collaborator(self) -> bool:
        """Whether the partnership only takes part: the child was harmed in an area not served here.

        Children Act 2004 s16C(1): the local authority where the child died or was seriously
        harmed notifies the Panel, and (the Panel's FAQ) undertakes the rapid review, expected
        to collaborate with the authority where the child lives. The case is filed with the
        child's home partnership (`LeadRule.LEAD_NOT_SERVED`), which counts none of those
        deadlines and records no notification decision: it tells the leading authority and
        takes part.
        """
        return self.referral.area.lead_rule is LeadRule.LEAD_NOT_SERVED

    @property
    def year(self) -> int:
        """The year in the reference."""
        match = REFERENCE.match(self.reference)
        assert match is not None
        return int(match["year"])


def is_reference(value: str) -> bool:
    """Whether a string is a case reference as the bot writes them ("COV-2026-001"), exactly."""
    return value.isascii() and REFERENCE.fullmatch(value) is not None


def format_reference(prefix: str, year: int, number: int) -> str:
    """A case reference like COV-2026-001 (per partnership, per year)."""
    return f"{prefix}-{year:04d}-{number:03d}"


def same_child(a: Child, b: Child) -> bool:
    """Same initials and the same date of birth (or expected date)."""
    born_a = a.date_of_birth or a.expected_date
    born_b = b.date_of_birth or b.expected_date
    return a.initials == b.initials and born_a is not None and born_a == born_b


def looks_like(case: Case, referral: Referral) -> bool:
    """Whether a new referral looks like an existing case: same child, incident within 30 days."""
    if case.partnership_id != referral.area.partnership_id:
        return False
    gap = abs((case.referral.incident.date - referral.incident.date).days)
    if gap > DUPLICATE_WINDOW_DAYS:
        return False
    return any(same_child(old, new) for old in case.referral.children for new in referral.children)


def initial_dates(referral: Referral) -> CaseDates:
    """The clock's dates known when a referral is filed."""
    return CaseDates(incident=referral.incident.date, la_aware=referral.incident.la_aware)


# How an erased child's age band reads where its initials and age were (age_label).
AGE_BAND_LABELS = {
    "unborn": "unborn",
    "under_1": "under 1 year",
    "1_to_5": "1 to 5 years",
    "6_to_10": "6 to 10 years",
    "11_to_15": "11 to 15 years",
    "16_to_17": "16 or 17 years",
    "18_plus": "18 years or over",
}


def age_label(child: Child, on: date) -> str:
    """Initials and age for places where a name must not appear: 'JD, 3 years', 'unborn'.

    A child whose details were erased has neither: only the age band kept in their place.
    """
    if child.age_band is not None:
        return AGE_BAND_LABELS[child.age_band]
    if child.unborn:
        return f"{child.initials}, unborn"
    age = child.age_at(on)
    if age is None:
        return child.initials
    if age == 0 and child.date_of_birth is not None:
        months = (on.year - child.date_of_birth.year) * 12 + on.month - child.date_of_birth.month
        if on.day < child.date_of_birth.day:
            months -= 1
        if months <= 0:
            return f"{child.initials}, under 1 month"
        return f"{child.initials}, {months} {'month' if months == 1 else 'months'}"
    return f"{child.initials}, {age} {'year' if age == 1 else 'years'}"
