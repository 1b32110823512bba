"""The HTTP edge: our own parsing and error mapping in place of the SDK's middleware."""

from __future__ import annotations

import json
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
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            logger.warning(
                "request %s %s %s -> %s %s",
                request_id,
                request.method,
                request.path,
                exc.status,
                exc.reason,
            )
            return _problem(exc.status, exc.text or exc.reason, request_id)
        raise
    except Exception:
        logger.exception("request %s %s %s failed", request_id, request.method, request.path)
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


def _check_shape(body: dict[str, Any]) -> None:
    # msrest coerces wrong types silently (a numeric type becomes "5"); check the essentials first.
    if not isinstance(body.get("type"), str) or not body["type"]:
        raise BadActivityError(text="activity has no type")
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        raise BadActivityError(text="activity has no valid serviceUrl")
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        raise BadActivityError(text="activity has no conversation")
    for name in ("from", "recipient"):
        if name in body and not isinstance(body[name], dict):
            raise BadActivityError(text=f"activity field {name} is not an object")


async def _parse_activity(request: web.Request) -> Activity:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="Content-Type must be application/json")
    raw = await request.read()  # aiohttp enforces client_max_size here (413)
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadActivityError(text="body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadActivityError(text="body is not an activity")
    _check_shape(body)
    try:
        activity: Activity = Activity().deserialize(body)
    except (DeserializationError, TypeError, ValueError, AttributeError):
        raise BadActivityError(text="body is not an activity") from None
    return activity


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
    adapter_of: Callable[[web.Request], CloudAdapter], bot_of: Callable[[web.Request], Bot]
) -> Handler:
    """The POST /api/messages handler for an app whose adapter and bot are looked up per request."""

    async def messages(request: web.Request) -> web.StreamResponse:
        activity = await _parse_activity(request)
        adapter = adapter_of(request)
        auth = await _authenticate(adapter, activity, request.headers.get("Authorization", ""))
        logger.info(
            "request %s activity %s type %s",
            request[REQUEST_ID],
            activity.id or "-",
            activity.type,
        )
        response: InvokeResponse | None = await adapter.process_activity(
            auth, activity, bot_of(request).on_turn
        )
        if response is None:
            return web.Response(status=201)
        body = invoke_body(response.body)
        if body is None:
            return web.Response(status=response.status or 200)
        return web.json_response(body, status=response.status or 200)

    return messages
