"""Connector clients built once, not on every turn: the one place we change how the SDK makes them.

botbuilder 4.17.1 builds a new `ConnectorClient` and a new `UserTokenClient` for every turn and
every proactive send, and new credentials (with an empty msal token cache) for each. Building
one msrest client costs milliseconds (msrest's retry policy checks 999 status codes against a
501-item list), most of a short turn. This module keeps what the SDK built, in bounded caches:

- credentials per (app id, OAuth scope, login endpoint, authority check): the SDK's own
  credentials objects, so msal's token cache in each is kept and msal refreshes the token
  before it expires, as it always did;
- connector clients per (app id, service URL, audience), built by the SDK's own factory on a
  miss, so every request, header and retry is the SDK's;
- user token clients per app id.

The one deliberate difference: a cached client's HTTP session refuses cookies. A fresh client
never carried a cookie from one turn to the next, and a shared one must not carry one from one
conversation to another.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Generic, TypeVar

from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)

logger = logging.getLogger(__name__)

# Teams answers from a handful of regional service URLs; a bot sees few app ids and audiences.
MAX_CLIENTS = 32
MAX_CREDENTIALS = 16

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# No domain is allowed: a cookie the connector sets is neither kept nor sent back.
_NO_COOKIES = DefaultCookiePolicy(allowed_domains=[])


class BoundedCache(Generic[K, V]):
    """A least-recently-used map that keeps at most `max_entries` values."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("a cache keeps at least one entry")
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._max = max_entries

    def get(self, key: K) -> V | None:
        """The value under key (now the most recently used), or None."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        """Keep a value, dropping the least recently used beyond the bound."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def app_id_of(claims_identity: ClaimsIdentity) -> str | None:
    """The bot's app id in a turn's claims, read as the SDK reads it (audience, else appid)."""
    found = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if found is None:
        found = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return found if isinstance(found, str) or found is None else str(found)


class CachedCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """The SDK's credentials factory, handing out the same credentials for the same request."""

    def __init__(
        self, inner: ServiceClientCredentialsFactory, *, max_entries: int = MAX_CREDENTIALS
    ) -> None:
        self._inner = inner
        self._cache: BoundedCache[tuple[str, str, str, bool], AppCredentials] = BoundedCache(
            max_entries
        )

    async def is_valid_app_id(self, app_id: str) -> bool:
        """Whether the app id is this bot's (the SDK's answer)."""
        valid: bool = await self._inner.is_valid_app_id(app_id)
        return valid

    async def is_authentication_disabled(self) -> bool:
        """Whether authentication is off (the SDK's answer)."""
        disabled: bool = await self._inner.is_authentication_disabled()
        return disabled

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        """The credentials for these parameters, built by the SDK once and kept."""
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        found = self._cache.get(key)
        if found is None:
            # An app id that is not this bot's raises here, as before, and nothing is kept.
            found = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
            self._cache.put(key, found)
        return found


def _refuse_cookies(session: Any, global_config: Any, local_config: Any, **kwargs: Any) -> Any:
    # msrest calls this before every request it sends; the session it gets is the client's.
    session.cookies.set_policy(_NO_COOKIES)
    return kwargs


class _CachingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """One turn's connector factory: clients come from the shared cache, built by the SDK."""

    def __init__(
        self,
        inner: ConnectorFactory,
        app_id: str | None,
        default_audience: str | None,
        clients: BoundedCache[tuple[str | None, str, str | None], ConnectorClient],
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._default_audience = default_audience
        self._clients = clients

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        """The connector client for this app, service URL and audience."""
        # The SDK's factory reads a missing audience as its default scope: so does the key.
        key = (self._app_id, service_url, audience or self._default_audience)
        client = self._clients.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            client.config.session_configuration_callback = _refuse_cookies
            self._clients.put(key, client)
            logger.info("connector client built (%d kept)", len(self._clients))
        return client


class CachedConnectors(BotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's authentication, with connector and user token clients kept between turns."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        *,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._inner = inner
        self._clients: BoundedCache[tuple[str | None, str, str | None], ConnectorClient] = (
            BoundedCache(max_clients)
        )
        self._token_clients: BoundedCache[str | None, UserTokenClient] = BoundedCache(
            MAX_CREDENTIALS
        )

    def _caching(self, inner: ConnectorFactory, claims_identity: ClaimsIdentity) -> Any:
        return _CachingConnectorFactory(
            inner, app_id_of(claims_identity), self._inner.get_originating_audience(), self._clients
        )

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        """The SDK's check of the request; its connector factory draws on the cache."""
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self._caching(
                result.connector_factory, result.claims_identity
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        """The SDK's check of a streaming request."""
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """A connector factory for a proactive turn, drawing on the cache."""
        return self._caching(self._inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        """The user token client for the turn's app id, built by the SDK once and kept."""
        app_id = app_id_of(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients.put(app_id, client)
        return client

    def create_bot_framework_client(self) -> Any:
        """The SDK's client for calling skills."""
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        """The SDK's default outbound audience."""
        audience: str = self._inner.get_originating_audience()
        return audience

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        """The SDK's check of a channel (skill) request."""
        return await self._inner.authenticate_channel_request(auth_header)


def cached_authentication(
    configuration: Any, *, credentials: ServiceClientCredentialsFactory | None = None
) -> CachedConnectors:
    """The SDK's configuration-driven authentication, with its clients and credentials kept.

    `credentials` replaces the SDK's factory built from `configuration` (tests hand in a fake
    that issues tokens offline); either way each set of credentials is built once.
    """
    inner = credentials or ConfigurationServiceClientCredentialFactory(configuration)
    return CachedConnectors(
        ConfigurationBotFrameworkAuthentication(
            configuration, credentials_factory=CachedCredentialsFactory(inner)
        )
    )
