"""The stock botbuilder 4.17.1 echo bot, the yardstick `make bench` measures the product against.

Written from the SDK's documentation of its echo sample (an `ActivityHandler` that echoes,
`CloudAdapter` over `ConfigurationBotFrameworkAuthentication`, an aiohttp app on
/api/messages with the SDK's error middleware). Keep it stock: no caching, no workaround, no
optimisation, or the ratios `make bench` prints stop meaning anything. Authentication is off
(empty app id), as the bench runs every bot on loopback.

Run: `python -m tests.bench_echo PORT`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.core.integration import aiohttp_error_middleware
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import ChannelAccount

logger = logging.getLogger("bench_echo")


class DefaultConfig:
    """The sample's configuration, with the values it has when no app is registered."""

    PORT = 3978
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """Greets members who join and echoes every message back."""

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Say hello to everyone added except the bot itself."""
        for member in members_added:
            if member.id != turn_context.activity.recipient.id:
                await turn_context.send_activity("Hello and welcome!")

    async def on_message_activity(self, turn_context: TurnContext) -> Any:
        """Echo the message's text."""
        return await turn_context.send_activity(
            MessageFactory.text(f"Echo: {turn_context.activity.text}")
        )


def build_app(config: DefaultConfig) -> web.Application:
    """The sample's app: adapter, error handler, bot and the one route."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    async def on_error(context: TurnContext, error: Exception) -> None:
        logger.error("unhandled error in the echo bot", exc_info=error)
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error
    bot = EchoBot()

    async def messages(req: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(req, bot)
        return response

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    return app


def main() -> None:
    """Serve the echo bot on loopback."""
    config = DefaultConfig()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else config.PORT
    web.run_app(build_app(config), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
