"""The HTTP edge: our own parsing and error mapping in place of the SDK's middleware."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount
from msrest.exceptions import DeserializationError  # type: ignore[attr-defined]
from msrest.serialization import Model

from bot.shape import BadBodyError, parse_body
from bot.tenants import TenantPolicy
from usecases.logs import log_ids, quoted

logger = logging.getLogger(__name__)

REQUEST_ID = web.RequestKey("request_id", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadActivityError(web.HTTPBadRequest):
    """A body that is not a Bot Framework activity."""


class ClientGoneError(Exception):
    """The client closed the connection before its request's body was all read."""


def _problem(status: int, message: str, request_id: str) -> web.Response:
    return web.json_response(
        {"error": message, "requestId": request_id},
        status=status,
        headers={"X-Request-Id": request_id},
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request an id; map errors to statuses; never leak a traceback or the body."""
    request_id = uuid.uuid4().hex[:16]
    request[REQUEST_ID] = request_id
    # The path is the client's: quoted, so a "%0A" in it cannot start a line of the log.
    path = quoted(request.path, limit=100)
    with log_ids(request_id=request_id):
        try:
            response = await handler(request)
        except ClientGoneError:
            # Nobody is left to answer, and nothing of ours failed: one quiet line.
            logger.info(
                "request %s %s %s: the client closed the connection before sending its body",
                request_id,
                request.method,
                path,
            )
            return _problem(400, "request body not received", request_id)
        except web.HTTPException as exc:
            if exc.status >= 400:
                logger.warning(
                    "request %s %s %s -> %s %s",
                    request_id,
                    request.method,
                    path,
                    exc.status,
                    exc.reason,
                )
                return _problem(exc.status, exc.text or exc.reason, request_id)
            raise
        except Exception:
            logger.exception("request %s %s %s failed", request_id, request.method, path)
            return _problem(500, "internal error", request_id)
    response.headers.setdefault("X-Request-Id", request_id)
    return response


def invoke_body(body: Any) -> Any:
    """Serialize an invoke response body exactly once, whether an SDK model or plain JSON.

    The SDK's CloudAdapter serializes bodies that are already dicts a second time and fails
    with HTTP 500 on every invoke that returns a body; this is the one place we do it instead.
    """
    if body is None:
        return None
    if isinstance(body, Model):
        return serializer_helper(body)
    if isinstance(body, list):
        return [invoke_body(item) for item in body]
    return body


async def _read_body(request: web.Request, timeout_s: float) -> bytes:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="Content-Type must be application/json")
    try:
        # A body sent a byte at a time would otherwise hold its connection for ever.
        async with asyncio.timeout(timeout_s):
            return await request.read()  # aiohttp enforces client_max_size here (413)
    except TimeoutError:
        raise web.HTTPRequestTimeout(text="request body not received in time") from None
    except ConnectionResetError:
        raise ClientGoneError from None


def _claims_activity(raw: bytes) -> Activity:
    """The three fields token checking reads, taken leniently from a body not yet checked.

    The token's serviceUrl claim must match the activity's, so checking a token needs these;
    reading them this way says nothing about the body to a client that has not signed in.
    When the body passes the strict check, these are the values it holds.
    """
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        body = {}
    recipient = body.get("recipient")
    role = recipient.get("role") if isinstance(recipient, dict) else None
    return Activity(
        channel_id=_text_or_none(body.get("channelId")),
        service_url=_text_or_none(body.get("serviceUrl")),
        recipient=ChannelAccount(role=_text_or_none(role)),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _parse_activity(raw: bytes) -> tuple[dict[str, Any], Activity]:
    try:
        body = parse_body(raw)
    except BadBodyError as exc:
        raise BadActivityError(text=exc.reason) from None
    try:
        activity: Activity = Activity().deserialize(body)
    except (DeserializationError, TypeError, ValueError, AttributeError, RecursionError):
        raise BadActivityError(text="body is not an activity") from None
    return body, activity


async def _authenticate(adapter: CloudAdapter, activity: Activity, auth_header: str) -> Any:
    try:
        return await adapter.bot_framework_authentication.authenticate_request(
            activity, auth_header
        )
    except requests.RequestException:
        # The token keys could not be fetched: our problem, not the caller's.
        logger.exception("cannot fetch Bot Framework token keys")
        raise web.HTTPServiceUnavailable(text="cannot verify tokens right now") from None
    except Exception:  # noqa: BLE001 - the SDK raises bare Exception for every kind of bad token
        raise web.HTTPUnauthorized(text="missing or invalid bearer token") from None


def messages_handler(
    adapter_of: Callable[[web.Request], CloudAdapter],
    bot_of: Callable[[web.Request], Bot],
    tenants: TenantPolicy | None = None,
    *,
    token_required: bool = False,
    body_timeout_s: float = 15.0,
) -> Handler:
    """The POST /api/messages handler for an app whose adapter and bot are looked up per request.

    The token is checked before the body is: a client that has not signed in gets 401 and
    learns nothing of what a body must hold. With `token_required`, a request with no
    Authorization header is 401 before its body is read at all. With `tenants`, an activity
    from a tenant not served is answered 403 once it is authenticated, before the adapter
    runs: nothing is stored, nothing is said.
    """

    async def messages(request: web.Request) -> web.StreamResponse:
        auth_header = request.headers.get("Authorization", "")
        if token_required and not auth_header:
            raise web.HTTPUnauthorized(text="missing or invalid bearer token")
        raw = await _read_body(request, body_timeout_s)
        adapter = adapter_of(request)
        auth = await _authenticate(adapter, _claims_activity(raw), auth_header)
        body, activity = _parse_activity(raw)
        request_id = request[REQUEST_ID]
        refused = tenants.refused(body) if tenants is not None else None
        if refused is not None:
            # The one line for a refused tenant (not the generic error line as well).
            logger.warning(
                "request %s refused: tenant %s is not served",
                request_id,
                quoted(refused, limit=64) if refused else "(none given)",
            )
            return _problem(403, "this bot does not serve your organisation", request_id)
        with log_ids(activity_id=activity.id or ""):
            logger.info(
                "request %s activity %s type %s",
                request_id,
                quoted(activity.id or "-"),
                quoted(activity.type),
            )
            response: InvokeResponse | None = await adapter.process_activity(
                auth, activity, bot_of(request).on_turn
            )
        if response is None:
            return web.Response(status=201)
        answer = invoke_body(response.body)
        if answer is None:
            return web.Response(status=response.status or 200)
        return web.json_response(answer, status=response.status or 200)

    return messages
