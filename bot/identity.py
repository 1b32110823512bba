"""Tokens for the bot's user-assigned managed identity, from the host's identity endpoint.

On Azure App Service the platform serves an identity endpoint inside the app (its address and
secret header are in the process environment, read by msal); msal's `ManagedIdentityClient`
asks it for an access token for one resource at a time and keeps each until shortly before it
expires. The same identity is the bot (MicrosoftAppType UserAssignedMSI), reads the leads group
in Microsoft Graph and signs in to PostgreSQL, so no client secret exists anywhere.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import msal
import requests

from bot.settings import Settings
from storage.postgres_store import PasswordSource, PostgresUnavailableError, describe_url

logger = logging.getLogger(__name__)

GRAPH_RESOURCE = "https://graph.microsoft.com"
# Azure Database for PostgreSQL's Entra audience (the same in every public-cloud region).
POSTGRES_RESOURCE = "https://ossrdbms-aad.database.windows.net"


class IdentityTokenError(Exception):
    """No token for the managed identity: the endpoint is missing, unreachable or refused."""

    def __init__(self, resource: str, reason: str) -> None:
        self.resource = resource
        self.reason = reason
        super().__init__(f"no managed-identity token for {resource}: {reason}")


class ManagedIdentityTokens:
    """Access tokens for one user-assigned managed identity, cached by msal per resource."""

    def __init__(self, client_id: str, *, session: requests.Session | None = None) -> None:
        self.client_id = client_id
        # One session (keep-alive) and one cache for every resource this identity asks for.
        self._client = msal.ManagedIdentityClient(
            msal.UserAssignedManagedIdentity(client_id=client_id),
            http_client=session or requests.Session(),
            token_cache=msal.TokenCache(),
        )
        # msal's client is not documented as thread-safe; turns ask from worker threads.
        self._lock = threading.Lock()

    def token(self, resource: str) -> str:
        """An access token for `resource` (blocking); IdentityTokenError when none is had."""
        try:
            with self._lock:
                result: Any = self._client.acquire_token_for_client(resource=resource)
        except (requests.RequestException, msal.ManagedIdentityError, ValueError) as exc:
            # ValueError covers an endpoint that answers something other than JSON.
            raise IdentityTokenError(resource, type(exc).__name__) from None
        access = result.get("access_token") if isinstance(result, dict) else None
        if not access:
            error = result.get("error") if isinstance(result, dict) else None
            raise IdentityTokenError(resource, str(error or "no access_token in the answer"))
        return str(access)

    async def token_async(self, resource: str) -> str:
        """The same, off the event loop (the endpoint is asked with blocking requests)."""
        return await asyncio.to_thread(self.token, resource)


def postgres_password(tokens: ManagedIdentityTokens, where: str) -> PasswordSource:
    """Each new PostgreSQL connection's password: an Entra token for the managed identity."""

    async def password() -> str:
        try:
            return await tokens.token_async(POSTGRES_RESOURCE)
        except IdentityTokenError as exc:
            raise PostgresUnavailableError(
                where, f"no Entra token for the managed identity ({exc.reason})"
            ) from None

    return password


def database_password(settings: Settings) -> PasswordSource | None:
    """The password source the settings ask for: Entra tokens, or None (the URL's own)."""
    client_id = settings.managed_identity_client_id
    if settings.database_auth != "entra" or not settings.database_url or not client_id:
        return None
    return postgres_password(ManagedIdentityTokens(client_id), describe_url(settings.database_url))
