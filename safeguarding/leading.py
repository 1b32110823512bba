"""Which partnership leads a case: where the child was harmed, or where the child lives.

Pure: it takes the two places a referral names and the partnerships configured here, and
returns codes (`LeadRule`, `NoLead`); `cards/wording.py` words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeguarding.partnerships import Partnership, Partnerships

# The two answers to "where" that no partnership here covers. They are choices on the card,
# not free text, so the rule below always knows which case it is in.
ELSEWHERE_IN_ENGLAND = "elsewhere_in_england"
OUTSIDE_ENGLAND = "outside_england"
PLACES_NOT_LISTED: tuple[str, ...] = (ELSEWHERE_IN_ENGLAND, OUTSIDE_ENGLAND)


class LeadRule(StrEnum):
    """Why the case goes to the partnership it goes to."""

    # Harmed in the area where the child lives.
    SAME_AREA = "same_area"
    # Harmed in a served area, the child living in another: the place of harm leads.
    WHERE_HARMED = "where_harmed"
    # Harmed outside England: the area where the child normally lives leads.
    HOME_HARMED_OUTSIDE_ENGLAND = "home_harmed_outside_england"
    # Harmed in an area of England not served here: that area's local authority leads and must
    # be told; the case is filed with the child's home partnership, which takes part.
    LEAD_NOT_SERVED = "lead_not_served"


class NoLead(StrEnum):
    """Why no partnership here can take the case."""

    # The child lives outside England and was harmed outside England.
    NOT_IN_ENGLAND = "not_in_england"
    # Harmed outside England, living in an area of England not served here.
    HOME_NOT_SERVED = "home_not_served"
    # Harmed in an area not served here, and the child does not live in one served here.
    NEITHER_SERVED = "neither_served"


@dataclass(frozen=True, slots=True)
class Routing:
    """Where a case goes: the partnership it is filed with, whether it leads, who else is told."""

    rule: LeadRule
    # Gets the case, its reference prefix and its review channel.
    filed_with: Partnership
    # Another partnership on this deployment that takes part and is told: the child's home.
    told: Partnership | None = None

    @property
    def leads(self) -> bool:
        """Whether the partnership the case is filed with leads the rapid review."""
        return self.rule is not LeadRule.LEAD_NOT_SERVED


def route(home: str, harmed: str, partnerships: Partnerships) -> Routing | NoLead:
    """The partnership that leads, from where the child was harmed and where the child lives.

    Children Act 2004 s16C(1) (https://www.legislation.gov.uk/ukpga/2004/31/section/16C; its
    text as quoted at https://wirralsafeguarding.co.uk/?p=2119 and by the DfE at
    https://explore-education-statistics.service.gov.uk/find-statistics/serious-incident-notifications/2021-22):
    a local authority in England must notify the Panel if "(a) the child dies or is seriously
    harmed in the local authority's area, or (b) while normally resident in the local
    authority's area, the child dies or is seriously harmed outside England". The Panel's FAQ
    (https://childsafeguarding.independent-panel.uk/about/faqs/): "the responsibility to
    undertake the rapid review rests with the local authority of where the serious incident
    took place", which is expected to collaborate with the one where the child lives.
    `home` and `harmed` are configured area names or one of PLACES_NOT_LISTED.
    """
    home_partnership = None if home in PLACES_NOT_LISTED else partnerships.for_area(home)
    if harmed == OUTSIDE_ENGLAND:
        if home_partnership is not None:
            return Routing(LeadRule.HOME_HARMED_OUTSIDE_ENGLAND, home_partnership)
        return NoLead.NOT_IN_ENGLAND if home == OUTSIDE_ENGLAND else NoLead.HOME_NOT_SERVED
    harm_partnership = None if harmed == ELSEWHERE_IN_ENGLAND else partnerships.for_area(harmed)
    if harm_partnership is None:
        if home_partnership is None:
            return NoLead.NEITHER_SERVED
        return Routing(LeadRule.LEAD_NOT_SERVED, home_partnership)
    if home.casefold() == harmed.casefold():
        return Routing(LeadRule.SAME_AREA, harm_partnership)
    other_partnership = home_partnership is not None and home_partnership.id != harm_partnership.id
    told = home_partnership if other_partnership else None
    return Routing(LeadRule.WHERE_HARMED, harm_partnership, told)
