"""A local fake of the Bot Connector service: records what the bot posts and answers like it."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    """One call the bot made to the connector."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        """The activity's text, if any."""
        value = self.body.get("text")
        return value if isinstance(value, str) else None

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards the activity carries."""
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class FakeConnector:
    """Records POST/PUT /v3/conversations/... and returns ids as the real service does."""

    url: str = ""
    sent: list[Sent] = field(default_factory=list)
    # Scripted answers to the next POSTs, in order: "429:<seconds>", "500" (not posted),
    # "500-landed" (posted, then 500), "404", "hang" (never answers until released),
    # "hold" (waits, `holding` set, until `proceed` is set, then posts as usual), "ok",
    # "drop" (the connection is closed without an answer).
    # When empty, every POST succeeds.
    script: list[str] = field(default_factory=list)
    # What GET .../members/{id} answers beyond the id, by member id (e.g. userPrincipalName).
    members: dict[str, dict[str, str]] = field(default_factory=dict)
    # The team's roster: Entra object id (or UPN) -> Teams id. GET .../members/{object id}
    # answers with the member's Teams id, as Teams does; another id that is not a Teams id
    # ("29:…") answers 404, as for someone not in the team. `roster_status` set: every lookup
    # answers that status (403: the bot may not read the roster; 503: Teams unavailable).
    roster: dict[str, str] = field(default_factory=dict)
    roster_status: int | None = None
    # As the Agents Playground: GET .../members/{object id} answers 404 for everyone; only the
    # paged roster (GET .../pagedmembers, `page_size` members a page) names the members.
    paged_only: bool = False
    page_size: int = 2
    # Every member looked up, in order (conversation id, member id).
    member_lookups: list[tuple[str, str]] = field(default_factory=list)
    # Scripted answers to the next PUTs: "500" (not updated), "429:<seconds>", "drop", and
    # "307" (moved: the same PUT is to be sent to the same path with ?moved=1).
    put_script: list[str] = field(default_factory=list)
    # Every request that reached the connector, answered or not: (method, path, headers, body).
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    # A cookie every answer sets (a real service may set one; a bot should not send it back).
    set_cookie: str | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.release = asyncio.Event()
        self.holding = asyncio.Event()
        self.proceed = asyncio.Event()
        self.app = web.Application(middlewares=[self._record])
        self.app.router.add_post("/v3/conversations/{conv}/activities", self._post)
        self.app.router.add_post("/v3/conversations/{conv}/activities/{reply_to}", self._post)
        self.app.router.add_put("/v3/conversations/{conv}/activities/{activity_id}", self._put)
        self.app.router.add_get("/v3/conversations/{conv}/members/{member}", self._member)
        self.app.router.add_get("/v3/conversations/{conv}/pagedmembers", self._paged)

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        body = await request.json() if raw else None
        self.requests.append((request.method, request.path_qs, dict(request.headers), body))
        response: web.StreamResponse = await handler(request)
        if self.set_cookie is not None:
            response.headers["Set-Cookie"] = f"{self.set_cookie}; Path=/"
        return response

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "drop":
            return self._drop(request)
        if answer == "hang":
            await self.release.wait()
            return web.json_response({"error": {"code": "Gone"}}, status=503)
        if answer == "hold":
            self.holding.set()
            await self.proceed.wait()
        if answer.startswith("429"):
            retry_after = answer.partition(":")[2] or "1"
            return web.json_response(
                {"error": {"code": "TooManyRequests"}},
                status=429,
                headers={"Retry-After": retry_after},
            )
        if answer in ("500", "404"):
            return web.json_response({"error": {"code": "Failed"}}, status=int(answer))
        activity_id = f"activity-{next(self._ids)}"
        self.sent.append(
            Sent(
                "POST",
                request.match_info["conv"],
                request.match_info.get("reply_to"),
                body,
                dict(request.headers),
            )
        )
        if answer == "500-landed":
            return web.json_response({"error": {"code": "ServiceError"}}, status=500)
        return web.json_response({"id": activity_id}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        answer = self.put_script.pop(0) if self.put_script else "ok"
        if answer == "drop":
            return self._drop(request)
        if answer == "307":
            raise web.HTTPTemporaryRedirect(location=f"{request.path}?moved=1")
        if answer.startswith("429"):
            return web.json_response(
                {"error": {"code": "TooManyRequests"}},
                status=429,
                headers={"Retry-After": answer.partition(":")[2] or "1"},
            )
        if answer == "500":
            return web.json_response({"error": {"code": "Failed"}}, status=500)
        self.sent.append(
            Sent(
                "PUT",
                request.match_info["conv"],
                request.match_info["activity_id"],
                body,
                dict(request.headers),
            )
        )
        return web.json_response({"id": request.match_info["activity_id"]})

    def _drop(self, request: web.Request) -> web.Response:
        # Closing the socket mid-request: the bot reads no answer at all.
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        self.member_lookups.append((request.match_info["conv"], member))
        if self.roster_status is not None:
            return web.json_response({"error": {"code": "Failed"}}, status=self.roster_status)
        if member in self.roster and not self.paged_only:
            teams_id = self.roster[member]
            key = "userPrincipalName" if "@" in member else "aadObjectId"
            return web.json_response({"id": teams_id, "name": "Member", key: member})
        if member not in self.members and not member.startswith("29:"):
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation"}}, status=404
            )
        found = self.members.get(member, {"aadObjectId": member})
        return web.json_response({"id": member, "name": "Member", **found})

    async def _paged(self, request: web.Request) -> web.Response:
        self.member_lookups.append((request.match_info["conv"], "pagedmembers"))
        if self.roster_status is not None:
            return web.json_response({"error": {"code": "Failed"}}, status=self.roster_status)
        everyone = [
            {
                "id": teams_id,
                "name": "Member",
                ("userPrincipalName" if "@" in user else "aadObjectId"): user,
            }
            for user, teams_id in self.roster.items()
        ]
        start = int(request.query.get("continuationToken") or 0)
        page = everyone[start : start + self.page_size]
        body: dict[str, object] = {"members": page}
        if start + self.page_size < len(everyone):
            body["continuationToken"] = str(start + self.page_size)
        return web.json_response(body)

    def to(self, conversation_id: str) -> list[Sent]:
        """What was sent into one conversation."""
        return [s for s in self.sent if s.conversation_id == conversation_id]
