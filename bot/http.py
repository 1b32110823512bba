"""The HTTP edge: our own parsing and error mapping in place of the SDK's middleware."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
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


async def _parse_activity(request: web.Request) -> tuple[dict[str, Any], Activity]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="Content-Type must be application/json")
    raw = await request.read()  # aiohttp enforces client_max_size here (413)
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
) -> Handler:
    """The POST /api/messages handler for an app whose adapter and bot are looked up per request.

    With `tenants`, an activity from a tenant not served is answered 403 once it is
    authenticated, before the adapter runs: nothing is stored, nothing is said.
    """

    async def messages(request: web.Request) -> web.StreamResponse:
        body, activity = await _parse_activity(request)
        adapter = adapter_of(request)
        auth = await _authenticate(adapter, activity, request.headers.get("Authorization", ""))
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
