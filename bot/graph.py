"""Microsoft Graph, for the leads group: membership checks with a short cache, failing closed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp

from bot.identity import GRAPH_RESOURCE, IdentityTokenError, ManagedIdentityTokens
from safeguarding.clocks import Clock
from usecases.errors import LeadCheckUnavailableError

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com"
# How long a Graph answer is trusted: long enough to spare Graph on a burst of clicks,
# short enough that removing someone from the group takes effect within minutes.
GROUP_CACHE = timedelta(minutes=5)

TokenProvider = Callable[[], Awaitable[str]]


class GraphGroups:
    """Checks Entra ID group membership through Microsoft Graph (an app-only token)."""

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


def managed_identity_token_provider(tokens: ManagedIdentityTokens) -> TokenProvider:
    """A Graph token for the bot's managed identity; fails closed when none is had."""

    async def token() -> str:
        try:
            return await tokens.token_async(GRAPH_RESOURCE)
        except IdentityTokenError as exc:
            logger.warning("no Graph token for the managed identity: %s", exc.reason)
            raise LeadCheckUnavailableError("no Graph token") from None

    return token
