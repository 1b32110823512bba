"""Who may decide: leads from the partnerships file, and optionally an Entra ID group via Graph."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from msrest.exceptions import ClientRequestError, HttpOperationError

from safeguarding.clocks import Clock
from safeguarding.partnerships import Lead, Partnership

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com"
# How long a Graph answer is trusted: long enough to spare Graph on a burst of clicks,
# short enough that removing someone from the group takes effect within minutes.
GROUP_CACHE = timedelta(minutes=5)

TokenProvider = Callable[[], Awaitable[str]]


class LeadCheckUnavailableError(Exception):
    """Membership could not be checked (Graph unreachable): the click is refused, fail closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot check who is a lead right now ({reason})")


@dataclass(frozen=True, slots=True)
class Person:
    """The Teams user who clicked, as far as the activity and Teams tell us."""

    teams_id: str
    aad_object_id: str | None
    upn: str | None
    name: str | None


async def person_of(context: TurnContext, partnership: Partnership) -> Person:
    """The user behind an activity; their UPN is asked of Teams only when a lead needs it."""
    sender = context.activity.from_property
    upn: str | None = None
    if (
        sender is not None
        and sender.id
        and any(lead.upn and not lead.aad_object_id for lead in partnership.leads)
    ):
        try:
            member = await TeamsInfo.get_member(context, sender.id)
        except (HttpOperationError, ClientRequestError, TypeError, AttributeError):
            # Without the UPN the user is matched by object id only: fail closed.
            logger.warning("could not look up a member's UPN")
        else:
            found = getattr(member, "user_principal_name", None)
            upn = found if isinstance(found, str) and found else None
    return Person(
        teams_id=str(sender.id) if sender else "",
        aad_object_id=sender.aad_object_id if sender else None,
        upn=upn,
        name=sender.name if sender else None,
    )


class GraphGroups:
    """Checks Entra ID group membership through Microsoft Graph (client credentials)."""

    def __init__(
        self,
        *,
        token: TokenProvider,
        clock: Clock,
        base_url: str = GRAPH_URL,
        session_factory: Callable[[], aiohttp.ClientSession] = aiohttp.ClientSession,
    ) -> None:
        self._token = token
        self._clock = clock
        self._base = base_url.rstrip("/")
        self._session_factory = session_factory
        self._cache: dict[tuple[str, str], tuple[bool, datetime]] = {}

    async def is_member(self, group_id: str, aad_object_id: str) -> bool:
        """Whether a user is in a group; LeadCheckUnavailableError when Graph cannot say."""
        key = (group_id, aad_object_id)
        now = self._clock.now()
        cached = self._cache.get(key)
        if cached is not None and now - cached[1] < GROUP_CACHE:
            return cached[0]
        url = f"{self._base}/v1.0/users/{aad_object_id}/checkMemberGroups"
        try:
            token = await self._token()
            async with (
                self._session_factory() as session,
                session.post(
                    url,
                    json={"groupIds": [group_id]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as response,
            ):
                if response.status == 404:
                    member = False  # no such user in the tenant
                elif response.status != 200:
                    raise LeadCheckUnavailableError(f"Graph answered {response.status}")
                else:
                    body = await response.json()
                    member = group_id in (body.get("value") or [])
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise LeadCheckUnavailableError(type(exc).__name__) from None
        self._cache[key] = (member, now)
        return member


def msal_token_provider(*, app_id: str, secret: str, tenant_id: str) -> TokenProvider:
    """A Graph token from msal's client-credentials flow (msal caches it until it expires)."""
    import asyncio

    import msal

    app = msal.ConfidentialClientApplication(
        app_id,
        client_credential=secret,
        authority=f"https://login.microsoftonline.com/{tenant_id}",
    )

    async def token() -> str:
        result = await asyncio.to_thread(
            app.acquire_token_for_client, scopes=[f"{GRAPH_URL}/.default"]
        )
        access = result.get("access_token") if isinstance(result, dict) else None
        if not access:
            raise LeadCheckUnavailableError("no Graph token")
        return str(access)

    return token


class LeadDirectory:
    """Answers "is this person a lead of this partnership, and which partner do they speak for"."""

    def __init__(self, *, groups: GraphGroups | None) -> None:
        self._groups = groups

    async def lead_for(self, partnership: Partnership, person: Person) -> Lead | None:
        """The partnership's Lead entry for this person, or None; may raise when Graph is down."""
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

    @staticmethod
    def refresh_user_ids(partnership: Partnership) -> list[str]:
        """Teams user ids (Entra object ids) whose cards refresh with the lead buttons (max 60)."""
        ids = [lead.aad_object_id for lead in partnership.leads if lead.aad_object_id]
        return ids[:60]
