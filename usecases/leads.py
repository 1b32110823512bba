"""Who may decide: leads from the partnerships file, and optionally an Entra ID group."""

from __future__ import annotations

from safeguarding.partnerships import Lead, Partnership
from usecases.errors import LeadCheckUnavailableError
from usecases.people import Person
from usecases.ports import GroupMembership


def _needs_upn(partnership: Partnership) -> bool:
    # Teams is asked for a UPN only when some lead is configured by UPN alone.
    return any(lead.upn and not lead.aad_object_id for lead in partnership.leads)


class LeadDirectory:
    """Answers "is this person a lead of this partnership, and which partner do they speak for"."""

    def __init__(self, *, groups: GroupMembership | None) -> None:
        self._groups = groups

    async def lead_for(self, partnership: Partnership, person: Person) -> Lead | None:
        """The partnership's Lead entry for this person, or None; may raise when Graph is down."""
        if _needs_upn(partnership):
            person = await person.with_upn()
        for lead in partnership.leads:
            if person.aad_object_id and lead.aad_object_id == person.aad_object_id:
                return lead
            if person.upn and lead.upn and lead.upn.casefold() == person.upn.casefold():
                return lead
        group = partnership.leads_group_id
        if group and person.aad_object_id:
            if self._groups is None:
                raise LeadCheckUnavailableError("Graph is not configured")
            if await self._groups.is_member(group, person.aad_object_id):
                return Lead(
                    name=person.name or "Lead",
                    role="Member of the leads group",
                    aad_object_id=person.aad_object_id,
                )
        return None

    async def is_lead(self, partnership: Partnership, person: Person) -> bool:
        """Whether the person leads the partnership; False when that cannot be checked."""
        try:
            return await self.lead_for(partnership, person) is not None
        except LeadCheckUnavailableError:
            return False  # fail closed
