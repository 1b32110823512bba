"""Connector clients built once, not on every turn: the one place we change how the SDK makes them.

botbuilder 4.17.1 builds a new `ConnectorClient` and a new `UserTokenClient` for every turn and
every proactive send, and new credentials (with an empty msal token cache) for each. Building
one msrest client costs milliseconds (msrest's retry policy checks 999 status codes against a
501-item list), most of a short turn. This module keeps what the SDK built, in bounded caches:

- credentials per (app id, OAuth scope, login endpoint, authority check): the SDK's own
  credentials objects, so msal's token cache in each is kept and msal refreshes the token
  before it expires, as it always did;
- connector clients per (app id, service URL, audience), built by the SDK's own factory on a
  miss, so every request is serialized, signed and read back by the SDK and msrest;
- user token clients per app id.

A kept connector client sends through `AioRequestsDriver`: msrest's own `requests` driver
(requests still prepares every request: headers, body, bearer token, proxies, CA bundle, and
urllib3's retry policy still decides every retry and back-off), with only the socket work moved
from a thread running `requests` onto one keep-alive aiohttp session on the event loop, and
failures reported as the same `requests`/urllib3 errors msrest and the Notifier read.

Two deliberate differences: a kept session refuses cookies (a fresh client never carried a
cookie from one turn to the next, and a shared one must not carry one from one conversation to
another), and a connection is kept alive between turns instead of opened for each.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import timedelta
from http.cookiejar import DefaultCookiePolicy
from time import perf_counter
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlparse

import aiohttp
import requests
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
from msrest.exceptions import ClientRequestError, raise_with_traceback
from msrest.pipeline.async_abc import AsyncPipeline
from msrest.pipeline.async_requests import (
    AsyncPipelineRequestsHTTPSender,
    AsyncRequestsCredentialsPolicy,
)
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Serializer
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_requests import (
    AsyncRequestsClientResponse,
    AsyncRequestsHTTPSender,
)
from requests.hooks import dispatch_hook
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers, select_proxy
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util.retry import Retry
from urllib3.util.ssl_ import create_urllib3_context
from yarl import URL

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


Sleep = Callable[[float], Awaitable[None]]

# What msrest's requests driver passes on to `requests.Session.request` (see _configure_send).
_REQUEST_KWARGS = frozenset(
    {
        "headers",
        "data",
        "files",
        "timeout",
        "verify",
        "cert",
        "proxies",
        "allow_redirects",
        "stream",
    }
)


class _RetryView:
    """What urllib3's Retry reads of an answer: status and headers, never a redirect.

    requests sends with urllib3's redirects off and follows redirects itself; so does the driver.
    """

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status = status
        self.headers = headers

    def get_redirect_location(self) -> bool:
        """No redirect for urllib3 to follow."""
        return False


def _timeouts(timeout: Any) -> tuple[float | None, float | None]:
    # requests' timeout: one number for both, or (connect, read).
    if isinstance(timeout, tuple):
        return timeout[0], timeout[1]
    return timeout, timeout


def _as_urllib3(error: Exception, url: str, host: str, timeout: Any) -> Exception:
    """The urllib3 error the requests transport meets where aiohttp raised `error`."""
    connect, read = _timeouts(timeout)
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        # urllib3 wraps the failed connection to the proxy, so it counts as a connect error.
        reason = NewConnectionError(None, f"Failed to connect to proxy: {error.os_error}")  # type: ignore[arg-type]
        return ProxyError("Unable to connect to proxy", reason)
    if isinstance(error, aiohttp.ClientSSLError):
        return SSLError(error)
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return NameResolutionError(host, None, error.os_error)  # type: ignore[arg-type]
    if isinstance(error, aiohttp.ClientConnectorError):
        message = f"Failed to establish a new connection: {error.os_error}"
        return NewConnectionError(None, message)  # type: ignore[arg-type]
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        message = f"Connection to {host} timed out. (connect timeout={connect})"
        return ConnectTimeoutError(None, message)
    if isinstance(error, aiohttp.SocketTimeoutError | TimeoutError):
        return ReadTimeoutError(None, url, f"Read timed out. (read timeout={read})")  # type: ignore[arg-type]
    # Anything else once connected (dropped, reset, a malformed answer): as urllib3 says it.
    return ProtocolError("Connection aborted.", error)


def _as_requests(error: Exception, prepared: requests.PreparedRequest) -> Exception:
    """The requests error HTTPAdapter.send raises for a urllib3 error (the same mapping)."""
    if isinstance(error, ProtocolError | OSError):
        return requests.ConnectionError(error, request=prepared)
    if isinstance(error, MaxRetryError):
        reason = error.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return requests.ConnectTimeout(error, request=prepared)
        if isinstance(reason, ResponseError):
            return requests.exceptions.RetryError(error, request=prepared)
        if isinstance(reason, ProxyError):
            return requests.exceptions.ProxyError(error, request=prepared)
        if isinstance(reason, SSLError):
            return requests.exceptions.SSLError(error, request=prepared)
        return requests.ConnectionError(error, request=prepared)
    if isinstance(error, ProxyError):
        return requests.exceptions.ProxyError(error)
    if isinstance(error, SSLError):
        return requests.exceptions.SSLError(error, request=prepared)
    if isinstance(error, ReadTimeoutError):
        return requests.ReadTimeout(error, request=prepared)
    if isinstance(error, InvalidHeader):
        return requests.exceptions.InvalidHeader(error, request=prepared)
    return error


class ConnectorHttp:
    """The one keep-alive aiohttp session every kept connector client sends through."""

    def __init__(self, *, sleep: Sleep = asyncio.sleep) -> None:
        self.sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._tls: dict[tuple[Any, Any], ssl.SSLContext] = {}

    def session(self) -> aiohttp.ClientSession:
        """The session, opened on first use (inside the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                # requests already chose every header, proxy and cookie: aiohttp adds none.
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    def tls(self, verify: Any, cert: Any) -> ssl.SSLContext:
        """The TLS context urllib3 would use for requests' `verify` and `cert`."""
        key = (verify, cert)
        found = self._tls.get(key)
        if found is None:
            if verify is False:
                found = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
                found.check_hostname = False
            else:
                found = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
                bundle = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
                if os.path.isdir(bundle):
                    found.load_verify_locations(capath=bundle)
                else:
                    found.load_verify_locations(cafile=bundle)
            if isinstance(cert, tuple):
                found.load_cert_chain(cert[0], cert[1])
            elif cert:
                found.load_cert_chain(cert)
            self._tls[key] = found
        return found

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


# Hosts (with their request options) whose environment settings a driver keeps.
_ENVIRONMENTS_KEPT = 64


class AioRequestsDriver(AsyncRequestsHTTPSender):
    """msrest's requests driver, its socket work on aiohttp instead of a thread.

    Everything `requests.Session.request` decides is still decided by requests (preparing the
    request, the environment's proxies and CA bundle, redirects) and by urllib3's Retry (which
    failures and answers are tried again, and after how long); only sending the bytes and
    reading the answer happen on the shared aiohttp session.
    """

    def __init__(self, config: Any, http: ConnectorHttp) -> None:
        super().__init__(config)
        self._http = http
        self._environments: dict[Hashable, dict[str, Any]] = {}

    async def send(  # type: ignore[override]
        self, request: ClientRequest, **kwargs: Any
    ) -> AsyncRequestsClientResponse:
        """Send as msrest's driver does; a failure is msrest's ClientRequestError, as before."""
        requests_kwargs = self._configure_send(request, **kwargs)
        session = requests_kwargs.pop("session", self.session)
        unknown = set(requests_kwargs) - _REQUEST_KWARGS
        if unknown:
            # Hooks, cookies or files per request: the SDK never passes them; refuse, not guess.
            raise TypeError(f"connector request options not supported: {sorted(unknown)}")
        try:
            response = await self._request(session, request.method, request.url, requests_kwargs)
        except requests.RequestException as err:
            raise_with_traceback(ClientRequestError, "Error occurred in request.", err)
        return AsyncRequestsClientResponse(request, response)  # type: ignore[no-untyped-call]

    async def _request(
        self, session: requests.Session, method: str, url: str, options: dict[str, Any]
    ) -> requests.Response:
        # As requests.Session.request: prepare, merge the environment's settings, send.
        prepared = session.prepare_request(
            requests.Request(
                method=method.upper(),
                url=url,
                headers=options.get("headers"),
                files=options.get("files"),
                data=options.get("data") or {},
                # No query parameters: "" is what {} encodes to, without requests' check of
                # {} against a typing Protocol (slow on Python 3.11) on every request.
                params="",
            )
        )
        settings = self._environment(session, prepared.url or "", options)
        timeout = options.get("timeout")
        response = await self._send(session, prepared, timeout, settings)
        if not options.get("allow_redirects", True):
            return response
        history: list[requests.Response] = []
        # requests' own redirect rules (and msrest's patch of them) pick the next request.
        while True:
            # With yield_requests the generator yields the next request instead of sending it.
            redirects = session.resolve_redirects(
                response, prepared, yield_requests=True, timeout=timeout, **settings
            )
            following = cast(requests.PreparedRequest | None, next(iter(redirects), None))
            if following is None:
                break
            history.append(response)
            if len(history) > session.max_redirects:
                raise requests.TooManyRedirects(
                    f"Exceeded {session.max_redirects} redirects.", response=response
                )
            prepared = following
            proxies = requests.utils.resolve_proxies(
                prepared, settings["proxies"], session.trust_env
            )
            response = await self._send(
                session, prepared, timeout, {**settings, "proxies": proxies}
            )
        response.history = history
        return response

    def _environment(
        self, session: requests.Session, url: str, options: dict[str, Any]
    ) -> dict[str, Any]:
        """requests' merge of the environment's proxies and CA bundle, worked out once per host.

        requests reads the whole environment again for every request (a scan of every
        variable, the most costly part of preparing one). The process's environment is read
        once, as its settings are: a proxy variable changed while the bot runs is seen after a
        restart.
        """
        proxies = options.get("proxies") or {}
        parts = urlparse(url)
        key = (
            id(session),
            parts.scheme,
            parts.netloc,
            tuple(sorted(proxies.items())),
            options.get("stream"),
            options.get("verify"),
            options.get("cert"),
        )
        found = self._environments.get(key)
        if found is None:
            found = session.merge_environment_settings(
                url,
                dict(proxies),
                options.get("stream"),
                options.get("verify"),
                options.get("cert"),
            )
            if len(self._environments) >= _ENVIRONMENTS_KEPT:
                self._environments.clear()
            self._environments[key] = found
        # A copy: the redirect path replaces its proxies.
        return {**found, "proxies": dict(found["proxies"] or {})}

    async def _send(
        self,
        session: requests.Session,
        prepared: requests.PreparedRequest,
        limits: Any,
        settings: dict[str, Any],
    ) -> requests.Response:
        # As requests' HTTPAdapter.send over urllib3's urlopen: retry as the Retry says.
        url = prepared.url or ""
        method = prepared.method or "GET"
        adapter = session.get_adapter(url)
        if not isinstance(adapter, requests.adapters.HTTPAdapter):
            raise TypeError("a connector session mounts requests' HTTPAdapter")
        retries: Retry = adapter.max_retries
        started = perf_counter()
        while True:
            try:
                status, reason, headers, body = await self._once(prepared, limits, settings)
            except (aiohttp.ClientError, OSError) as exc:
                error = _as_urllib3(exc, url, _host(url), limits)
                try:
                    # Raises the error itself where it may not be retried (a read error on a
                    # POST), MaxRetryError once retries are spent.
                    retries = retries.increment(method, url, error=error)
                except HTTPError as e:
                    raise _as_requests(e, prepared) from exc
                # As urllib3 warns; the host only, never a path (it holds conversation ids).
                logger.warning("connector %s: retrying after %s", _host(url), type(error).__name__)
                await self._pause(retries.get_backoff_time())
                continue
            view = _RetryView(status, headers)
            if retries.is_retry(method, status, bool(headers.get("Retry-After"))):
                try:
                    retries = retries.increment(method, url, response=view)  # type: ignore[arg-type]
                except MaxRetryError as e:
                    if retries.raise_on_status:
                        raise _as_requests(e, prepared) from None
                else:
                    try:
                        after = (
                            retries.get_retry_after(view)  # type: ignore[arg-type]
                            if retries.respect_retry_after_header
                            else None
                        )
                    except InvalidHeader as e:
                        raise _as_requests(e, prepared) from None
                    await self._pause(after or retries.get_backoff_time())
                    continue
            return _response(prepared, status, reason, headers, body, perf_counter() - started)

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            await self._http.sleep(seconds)

    async def _once(
        self, prepared: requests.PreparedRequest, limits: Any, settings: dict[str, Any]
    ) -> tuple[int, str, CaseInsensitiveDict[str], bytes]:
        # `limits` is requests' timeout: seconds for connecting and for each read.
        url = prepared.url or ""
        connect, read = _timeouts(limits)
        body = prepared.body
        async with self._http.session().request(
            prepared.method or "GET",
            # As requests quoted it: yarl would otherwise unquote what it may (%3A to ":").
            URL(url, encoded=True),
            headers=[
                (name, value if isinstance(value, str) else value.decode("latin-1"))
                for name, value in prepared.headers.items()
            ],
            data=body.encode("utf-8") if isinstance(body, str) else body,
            allow_redirects=False,
            proxy=select_proxy(url, settings.get("proxies") or {}),
            ssl=self._http.tls(settings.get("verify"), settings.get("cert"))
            if url.lower().startswith("https")
            else True,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read),
        ) as answer:
            content = await answer.read()
            # As urllib3's header dict: a repeated header reads as its values joined.
            headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
            for name, value in answer.headers.items():
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            return answer.status, answer.reason or "", headers, content


def _host(url: str) -> str:
    return urlparse(url).hostname or ""


def _response(
    prepared: requests.PreparedRequest,
    status: int,
    reason: str,
    headers: CaseInsensitiveDict[str],
    body: bytes,
    elapsed: float,
) -> requests.Response:
    """The requests Response HTTPAdapter.build_response and Session.send would give."""
    response = requests.Response()
    response.status_code = status
    response.headers = headers
    response.encoding = get_encoding_from_headers(headers)
    response.reason = reason
    response.url = prepared.url or ""
    response.request = prepared
    response._content = body
    response._content_consumed = True
    response.elapsed = timedelta(seconds=elapsed)
    hooked: requests.Response = dispatch_hook("response", prepared.hooks, response)
    return hooked


def _send_through(client: ConnectorClient, http: ConnectorHttp) -> None:
    """Give a client msrest's own pipeline with the aiohttp-backed driver at its end."""
    config = client.config
    # msrest's default pipeline, in msrest's order (ServiceClientAsync._create_default_pipeline).
    policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
    if config.credentials:
        policies.insert(1, AsyncRequestsCredentialsPolicy(config.credentials))  # type: ignore[no-untyped-call]
    config.pipeline = AsyncPipeline(
        policies, AsyncPipelineRequestsHTTPSender(AioRequestsDriver(config, http))
    )


_JSON_LEAVES = (str, int, float, bool)


class _NotPlainJsonError(Exception):
    """A value in an `object` field that is not plain JSON: msrest's own walk serializes it."""


def _plain_copy(value: Any) -> Any:
    """A copy of a tree of plain JSON values of exactly those types, as msrest would give it."""
    kind = type(value)
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlainJsonError
            copied[key] = _plain_copy(item)
        return copied
    if kind is list:
        return [_plain_copy(item) for item in value]
    if value is None or kind in _JSON_LEAVES:
        return value
    raise _NotPlainJsonError


def _plain_json_first(client: ConnectorClient) -> None:
    """Serialize plain-JSON `object` fields (card content) without msrest's walk per value.

    msrest's serialize_object returns a plain JSON tree as an equal copy, checking each value
    on the way (most of the cost of sending a card); anything else still goes its way.
    """
    serializer = getattr(client, "_serialize", None)
    if not isinstance(serializer, Serializer):
        return
    general = serializer.serialize_object

    def serialize_object(attr: Any, **kwargs: Any) -> Any:
        try:
            return _plain_copy(attr)
        except _NotPlainJsonError:
            return general(attr, **kwargs)  # type: ignore[no-untyped-call]

    # msrest looks the method up both ways: on the instance and in its table of types.
    serializer.serialize_object = serialize_object  # type: ignore[method-assign]
    serializer.serialize_type["object"] = serialize_object


class _CachingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """One turn's connector factory: clients come from the shared cache, built by the SDK."""

    def __init__(
        self,
        inner: ConnectorFactory,
        app_id: str | None,
        default_audience: str | None,
        clients: BoundedCache[tuple[str | None, str, str | None], ConnectorClient],
        http: ConnectorHttp,
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._default_audience = default_audience
        self._clients = clients
        self._http = http

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        """The connector client for this app, service URL and audience."""
        # The SDK's factory reads a missing audience as its default scope: so does the key.
        key = (self._app_id, service_url, audience or self._default_audience)
        client = self._clients.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            client.config.session_configuration_callback = _refuse_cookies
            _send_through(client, self._http)
            _plain_json_first(client)
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
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._inner = inner
        # Retry back-offs wait on `sleep` (tests pass a fake that only records them).
        self.http = ConnectorHttp(sleep=sleep)
        self._clients: BoundedCache[tuple[str | None, str, str | None], ConnectorClient] = (
            BoundedCache(max_clients)
        )
        self._token_clients: BoundedCache[str | None, UserTokenClient] = BoundedCache(
            MAX_CREDENTIALS
        )

    def _caching(self, inner: ConnectorFactory, claims_identity: ClaimsIdentity) -> Any:
        return _CachingConnectorFactory(
            inner,
            app_id_of(claims_identity),
            self._inner.get_originating_audience(),
            self._clients,
            self.http,
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

    async def close(self) -> None:
        """Close the shared HTTP session (when the app stops)."""
        await self.http.close()


def cached_authentication(
    configuration: Any, *, credentials: ServiceClientCredentialsFactory | None = None
) -> CachedConnectors:
    """The SDK's configuration-driven authentication, its clients and credentials kept."""
    # `credentials` replaces the SDK's factory built from `configuration` (tests hand in a fake
    # that issues tokens offline); either way each set of credentials is built once.
    inner = credentials or ConfigurationServiceClientCredentialFactory(configuration)
    return CachedConnectors(
        ConfigurationBotFrameworkAuthentication(
            configuration, credentials_factory=CachedCredentialsFactory(inner)
        )
    )
