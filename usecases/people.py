"""Who is speaking: the person behind a turn, as the Teams edge describes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# Asks Teams for the person's UPN; the edge supplies it, and it is called only when needed.
UpnLookup = Callable[[], Awaitable[str | None]]


async def _no_upn() -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Person:
    """The Teams user behind an activity: ids as Teams gives them, the UPN only on request."""

    teams_id: str
    aad_object_id: str | None = None
    name: str | None = None
    upn: str | None = None
    lookup_upn: UpnLookup = _no_upn

    @property
    def key(self) -> str:
        """Who is referring: their Entra object id when Teams gives it, else their Teams id."""
        return self.aad_object_id or self.teams_id or "anonymous"

    @property
    def audit_id(self) -> str:
        """The id an audit entry names: the Entra object id, else the Teams id."""
        return self.aad_object_id or self.teams_id

    async def with_upn(self) -> Person:
        """This person with their UPN asked of Teams (kept as is when Teams cannot say)."""
        if self.upn is not None:
            return self
        upn = await self.lookup_upn()
        return Person(self.teams_id, self.aad_object_id, self.name, upn, self.lookup_upn)
