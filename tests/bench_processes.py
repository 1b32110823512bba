"""The other processes `make bench` runs: a raw aiohttp bot and the fake Bot Connector.

Run: `python -m tests.bench_processes raw PORT` or `python -m tests.bench_processes connector
PORT`.

The raw bot is the floor: it parses the activity and POSTs one reply to the connector over a
keep-alive aiohttp session, with no SDK at all. The connector is the tests' fake
(`tests/support/connector.py`), in a process of its own so that answering the bots' replies
does not share a core with the process driving them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator

from aiohttp import ClientSession, TCPConnector, web

from tests.support.connector import FakeConnector

SESSION = web.AppKey("session", ClientSession)


def raw_bot() -> web.Application:
    """An aiohttp bot that only parses the activity and posts one reply."""
    app = web.Application()

    async def session(app: web.Application) -> AsyncIterator[None]:
        app[SESSION] = ClientSession(connector=TCPConnector(limit=0))
        yield
        await app[SESSION].close()

    app.cleanup_ctx.append(session)

    async def messages(request: web.Request) -> web.Response:
        activity = json.loads(await request.read())
        if activity.get("type") == "message":
            reply = {
                "type": "message",
                "text": f"Echo: {activity.get('text')}",
                "from": activity.get("recipient"),
                "recipient": activity.get("from"),
                "conversation": activity["conversation"],
                "replyToId": activity.get("id"),
            }
            conversation = activity["conversation"]["id"]
            url = (
                f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{conversation}"
                f"/activities/{activity.get('id')}"
            )
            async with request.app[SESSION].post(url, json=reply) as response:
                await response.read()
        return web.Response(status=201)

    app.router.add_post("/api/messages", messages)
    return app


def connector() -> web.Application:
    """The fake connector, and a count of the cards it was sent into one conversation."""
    fake = FakeConnector()

    async def cards(request: web.Request) -> web.Response:
        sent = fake.to(request.query["conversation"])
        return web.json_response({"count": sum(1 for s in sent if s.cards)})

    fake.app.router.add_get("/_bench/cards", cards)
    return fake.app


def main() -> None:
    """Serve the raw bot or the fake connector on a loopback port."""
    kind, port = sys.argv[1], int(sys.argv[2])
    app = raw_bot() if kind == "raw" else connector()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
