"""Safeguarding Children Partnerships: areas, front doors, review channels, leads, clock options."""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

PARTNERSHIP_ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# UK numbers as partnerships publish them: digits, spaces, an optional leading +.
_PHONE = re.compile(r"^\+?[0-9][0-9 ]{5,18}[0-9]$")


class PartnershipsFileError(ValueError):
    """A partnerships file that cannot be read or fails validation; one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class Partner(StrEnum):
    """The three statutory safeguarding partners."""

    LOCAL_AUTHORITY = "local_authority"
    HEALTH = "health"
    POLICE = "police"


class Weekday(StrEnum):
    """Days of the week as they are written in the partnerships file."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @classmethod
    def of(cls, day: date) -> Weekday:
        """The weekday of a date."""
        return list(cls)[day.weekday()]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


PhoneNumber = Annotated[str, Field(pattern=_PHONE.pattern, description="a dialable phone number")]
NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
WebPage = Annotated[str, Field(pattern=r"^https://\S+$")]


class OpeningHours(_Model):
    """The hours a line is staffed on one day, e.g. 08:30-17:30."""

    opens: time
    closes: time

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _HOURS.match(value.strip())
            if not match:
                raise ValueError(f"'{value}' is not of the form HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            try:
                return {"opens": time(h1, m1), "closes": time(h2, m2)}
            except ValueError as exc:
                raise ValueError(f"'{value}' is not a valid time range") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> OpeningHours:
        if self.closes <= self.opens:
            raise ValueError("closing time must be after opening time")
        return self

    def covers(self, moment: time) -> bool:
        """Whether a local time of day falls inside these hours (closing time excluded)."""
        return self.opens <= moment < self.closes


class FrontDoor(_Model):
    """The LA's children's front door (MASH, EHaSH, iART...) and its out-of-hours line."""

    name: NonEmpty
    office_hours_number: PhoneNumber
    office_hours: dict[Weekday, OpeningHours] = Field(min_length=1)
    out_of_hours_name: NonEmpty = "Emergency Duty Team"
    out_of_hours_number: PhoneNumber
    web_page: WebPage | None = None
    # Whether the partnership has confirmed office_hours. Until it has, every signpost shows
    # both numbers: an unconfirmed guess at the hours must never send a caller to a line that
    # is shut, and an extra number on the card is the only cost of the safe default.
    hours_confirmed: bool = False


class ReviewChannel(_Model):
    """The review subgroup's Teams channel, where case cards and reminders are posted."""

    name: NonEmpty = "Review subgroup"
    team_id: str | None = None
    channel_id: str | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> ReviewChannel:
        if bool(self.team_id) != bool(self.channel_id):
            raise ValueError("give both team_id and channel_id, or neither")
        return self


class Lead(_Model):
    """A person who may confirm decisions for the partnership."""

    name: NonEmpty
    role: NonEmpty
    partner: Partner | None = None
    # Entra object ids are GUIDs; the Agents Playground's mock users have a longer last group.
    aad_object_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{32,40}$")] | None = None
    upn: Email | None = None
    # The business unit: may record the local authority's notification decision on its behalf,
    # saying so (Children Act 2004 s16C(1) makes it the LA's). Set by hand, never assumed: a
    # chair or a leads-group member with no partner is not the business unit.
    business_unit: bool = False

    @model_validator(mode="after")
    def _identified(self) -> Lead:
        if not self.aad_object_id and not self.upn:
            raise ValueError("a lead needs aad_object_id or upn so the bot can recognise them")
        if self.business_unit and self.partner is not None:
            raise ValueError("a business-unit lead represents no partner")
        return self


class RapidReviewSteps(_Model):
    """Internal rapid-review steps, in working days from the rapid review's start."""

    ias_requests: int = Field(default=1, ge=0, le=15)
    ias_returns: int = Field(default=10, ge=0, le=15)
    draft: int = Field(default=12, ge=0, le=15)
    sign_off: int = Field(default=14, ge=0, le=15)

    @model_validator(mode="after")
    def _ordered(self) -> RapidReviewSteps:
        steps = [self.ias_requests, self.ias_returns, self.draft, self.sign_off]
        if steps != sorted(steps):
            raise ValueError(
                "steps must be in order: ias_requests <= ias_returns <= draft <= sign_off"
            )
        return self


class ClockOptions(_Model):
    """Where this partnership's statutory clocks start, and its local additions to the calendar."""

    sin_counts_from: Literal["aware", "incident"] = "aware"
    rapid_review_counts_from: Literal["sin", "aware"] = "sin"
    rapid_review_steps: RapidReviewSteps = RapidReviewSteps()
    extra_closure_days: tuple[date, ...] = ()
    publication_available_years: int = Field(default=1, ge=1, le=5)


# The milestone keys of safeguarding.timeline.MilestoneKey that can be reminded of. They are
# spelled out because timeline imports this module; tests/test_plan.py checks they match.
# report_available_until is a minimum period, never due, so it cannot be chosen.
ReminderMilestone = Literal[
    "sin",
    "notify_partners",
    "rr_ias_requests",
    "rr_ias_returns",
    "rr_draft",
    "rr_sign_off",
    "rapid_review",
    "panel_reply",
    "report_copy_to_panel",
    "cspr_final_report",
]
DigestWeekday = Literal["mon", "tue", "wed", "thu", "fri"]
_CLOCK_TIME = re.compile(r"^(\d{2}):(\d{2})$")
MAX_LEAD_WORKING_DAYS = 130


class ReminderPolicy(_Model):
    """When the review channel is reminded of a partnership's deadlines, and its weekly digest."""

    # Working days before the due date; 0 is the last working day on or before it.
    lead_times_working_days: tuple[Annotated[int, Field(ge=0, le=MAX_LEAD_WORKING_DAYS)], ...] = (
        2,
        0,
    )
    escalate_overdue: bool = True
    # Europe/London wall-clock hours on the partnership's working days.
    working_hours: str = "09:00-17:00"
    digest_weekday: DigestWeekday = "mon"
    digest_time: str = "09:00"
    # None: every statutory milestone and the rapid review's internal steps.
    milestones: tuple[ReminderMilestone, ...] | None = None

    @field_validator("lead_times_working_days")
    @classmethod
    def _distinct_lead_times(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each lead time may be given once")
        # Furthest first, which is also the order the reminders fall in.
        return tuple(sorted(value, reverse=True))

    @field_validator("working_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        OpeningHours.model_validate(value)
        return value

    @field_validator("digest_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        _clock_time(value)
        return value

    @field_validator("milestones")
    @classmethod
    def _distinct_milestones(
        cls, value: tuple[ReminderMilestone, ...] | None
    ) -> tuple[ReminderMilestone, ...] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each milestone may be given once")
        return value

    @model_validator(mode="after")
    def _digest_in_hours(self) -> ReminderPolicy:
        if not self.hours().covers(self.digest_clock()):
            raise ValueError(
                f"digest_time {self.digest_time} is outside working_hours {self.working_hours}"
            )
        return self

    def hours(self) -> OpeningHours:
        """The working hours as opening and closing times."""
        return OpeningHours.model_validate(self.working_hours)

    def digest_clock(self) -> time:
        """The digest's time of day."""
        return _clock_time(self.digest_time)


def _clock_time(value: str) -> time:
    match = _CLOCK_TIME.match(value)
    if not match:
        raise ValueError(f"'{value}' is not of the form HH:MM")
    try:
        return time(int(match[1]), int(match[2]))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid time of day") from exc


_CASE_REFERENCE = r"^[A-Z]{2,5}-\d{4}-\d{3,}$"


class RetentionSchedule(_Model):
    """How long this partnership's records in the bot are kept (safeguarding/retention.py).

    UK GDPR Art 5(1)(e) (storage limitation): personal data are kept in a form that identifies
    people no longer than the purpose needs; the ICO's guidance on it asks for a schedule with
    standard periods, reviewed, after which data are erased or anonymised. DPA 2018 Sch 1 Part
    4 para 39 asks the controller's appropriate policy document for special category data to
    say how long it is likely to be kept. No statute or statutory guidance sets a period for a
    partnership's rapid review or CSPR records: Working Together 2023 ch.5 sets the reviews'
    timescales and that a published report stays available for at least a year, the Child
    Safeguarding Practice Review Panel's practice guidance sets none, and local authorities
    answer that there is none (Devon County Council, to an information request). The
    nearest local-government practice is children's social care's: child protection records
    kept 35 years after the case closes (found lawful in R (C) v Northumberland CC [2015]
    EWHC 2134 (Admin)); business records commonly 6 years, the Limitation Act 1980's
    general period. The bot is not the partnership's review file, and erasure here keeps
    the case's reference, dates and decisions (its statutory record), so the default is the
    6 years: a partnership that keeps the bot as its record of the review sets its own period.
    """

    # Years after a case finished (its last decision as published or closed) before its
    # personal data are erased. At least one: a published report stays available a year.
    closed_case_years: int = Field(default=6, ge=1, le=100)
    # Days after its last change before a delivery record of a finished case is deleted (it
    # holds no personal data: reference, milestone, state, the post's id).
    delivery_days: int = Field(default=90, ge=1, le=3650)
    # Cases never erased while listed (an inquest, an inquiry, a claim, a complaint).
    hold: tuple[Annotated[str, Field(pattern=_CASE_REFERENCE)], ...] = ()
    # False: the daily job leaves this partnership's cases alone; `review-bot retention
    # --apply` erases them, once someone has read the preview.
    automatic: bool = True


class ConversationRetention(_Model):
    """How long the bot keeps what it knows of a person who stopped using it (any partnership).

    UK GDPR Art 5(1)(e): a conversation record (Teams ids, for proactive messages), its dialog
    state, the user's filed-referral marker and the team roster cache are needed while the
    person uses the bot, or a case they referred is open. No guidance sets a period; 12 months
    without a message covers a year's review cycle, and the bot can reach anyone again as soon
    as they message it.
    """

    conversation_months: int = Field(default=12, ge=1, le=120)


class BusinessUnit(_Model):
    """How practitioners reach the partnership team about the review process (not about a child)."""

    email: Email | None = None
    phone: PhoneNumber | None = None
    web_page: WebPage | None = None


class ServiceContact(_Model):
    """Another service practitioners are sent to (LADO, CDOP, adult safeguarding)."""

    name: NonEmpty
    phone: PhoneNumber | None = None
    email: Email | None = None
    web_page: WebPage | None = None


class OtherServices(_Model):
    """Where messages that belong to another service are sent."""

    lado: ServiceContact | None = None
    cdop: ServiceContact | None = None
    adult_safeguarding: ServiceContact | None = None


class Partnership(_Model):
    """One Safeguarding Children Partnership as configured for this deployment."""

    id: Annotated[str, Field(pattern=PARTNERSHIP_ID.pattern)]
    name: NonEmpty
    reference_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]
    areas: tuple[NonEmpty, ...] = Field(min_length=1)
    front_door: FrontDoor
    business_unit: BusinessUnit = BusinessUnit()
    review_channel: ReviewChannel = ReviewChannel()
    leads: tuple[Lead, ...] = ()
    # Optional: members of this Entra ID group are leads too (checked through Graph).
    leads_group_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")] | None = None
    clock: ClockOptions = ClockOptions()
    reminders: ReminderPolicy = ReminderPolicy()
    other_services: OtherServices = OtherServices()
    # A TOML file of [[faq]] entries, relative to the partnerships file.
    faq_file: Annotated[str, Field(pattern=r"^[\w./-]+\.toml$")] | None = None
    retention: RetentionSchedule = RetentionSchedule()

    def leads_for(self, partner: Partner) -> tuple[Lead, ...]:
        """The leads who represent one of the three partners."""
        return tuple(lead for lead in self.leads if lead.partner is partner)


class Partnerships(_Model):
    """Every partnership this deployment serves, keyed by id."""

    partnerships: dict[str, Partnership] = Field(min_length=1)
    # The file's top-level [retention] table: what is kept of people, not of one partnership.
    retention: ConversationRetention = ConversationRetention()

    @model_validator(mode="before")
    @classmethod
    def _ids_from_keys(cls, value: Any) -> Any:
        # In the file each partnership is a table named by its id; the id is not repeated inside.
        if isinstance(value, dict) and isinstance(value.get("partnerships"), dict):
            tables = value["partnerships"]
            value = {
                **value,
                "partnerships": {
                    key: {"id": key, **table} if isinstance(table, dict) else table
                    for key, table in tables.items()
                },
            }
        return value

    @field_validator("partnerships")
    @classmethod
    def _unique(cls, value: dict[str, Partnership]) -> dict[str, Partnership]:
        prefixes: dict[str, str] = {}
        areas: dict[str, str] = {}
        for pid, partnership in value.items():
            other = prefixes.setdefault(partnership.reference_prefix, pid)
            if other != pid:
                raise ValueError(
                    f"{pid}: reference_prefix {partnership.reference_prefix} is already used"
                    f" by {other}"
                )
            for area in partnership.areas:
                other = areas.setdefault(area.casefold(), pid)
                if other != pid:
                    raise ValueError(f"{pid}: area '{area}' is already covered by {other}")
        return value

    def get(self, partnership_id: str) -> Partnership | None:
        """The partnership with this id, if configured."""
        return self.partnerships.get(partnership_id)

    def for_area(self, area: str) -> Partnership | None:
        """The partnership covering a local authority area (case-insensitive)."""
        wanted = area.strip().casefold()
        for partnership in self.partnerships.values():
            if any(a.casefold() == wanted for a in partnership.areas):
                return partnership
        return None

    def all_areas(self) -> list[tuple[str, Partnership]]:
        """Every configured local authority area with its partnership, sorted by area."""
        pairs = [(a, p) for p in self.partnerships.values() for a in p.areas]
        return sorted(pairs, key=lambda pair: pair[0].casefold())


def _describe(error_loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in error_loc]
    if len(parts) >= 2 and parts[0] == "partnerships":
        return f"{parts[1]}: " + (".".join(parts[2:]) or "(the partnership)")
    return ".".join(parts) or "(file)"


def parse_partnerships(data: dict[str, Any], *, source: str = "partnerships") -> Partnerships:
    """Validate parsed partnerships data; errors name the partnership and the field."""
    try:
        return Partnerships.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_describe(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise PartnershipsFileError(source, problems) from None


def load_partnerships(path: Path) -> Partnerships:
    """Read and validate a partnerships TOML file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PartnershipsFileError(str(path), [f"cannot read the file ({exc.strerror})"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PartnershipsFileError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_partnerships(data, source=str(path))
