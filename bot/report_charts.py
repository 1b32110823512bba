"""The route Teams fetches the monthly report's chart from (scheduler/monthly.py says why a URL).

`GET /reports/charts/{partnership}/{month}/{token}.png`: the stored PNG when the token is the
chart's current one, else 404 (no hint whether the partnership or month exists: every miss is
the same one read by the whole key, storage/reports.py). A miss is logged at DEBUG only: the
route is open to anyone, so a flood of guesses must not flood the log. No sign-in:
Teams' image fetch carries none; the 128-bit token in the URL, shown only on the card, is the
key. The image holds counts and quarter names only, never a reference or a name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from bot.http import REQUEST_ID
from bot.settings import Settings, is_loopback
from scheduler.monthly import CHART_ROUTE
from storage.base import Store
from storage.reports import ChartStore

logger = logging.getLogger(__name__)


def chart_base_url(settings: Settings) -> str | None:
    """Where clients fetch the chart: https on the public host; on loopback, this address.

    None when neither: a bot listening on all interfaces with no public host set would post a
    URL no Teams client can reach, so the card goes without its chart.
    """
    if settings.public_host:
        return f"https://{settings.public_host}"
    if is_loopback(settings.host):
        return f"http://{settings.host}:{settings.port}"
    return None


def add_chart_route(app: web.Application, store_of: Callable[[web.Request], Store]) -> None:
    """Serve the stored monthly charts."""

    async def chart(request: web.Request) -> web.Response:
        info = request.match_info
        png = await ChartStore(store_of(request)).find(
            info["partnership"], info["month"], info["token"]
        )
        if png is None:
            request_id = request[REQUEST_ID]
            logger.debug("request %s: no chart at that address", request_id)
            return web.json_response({"error": "Not Found", "requestId": request_id}, status=404)
        return web.Response(
            body=png,
            content_type="image/png",
            headers={
                # The bytes under a token never change; only whoever holds the card has it.
                "Cache-Control": "private, max-age=604800, immutable",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app.router.add_get(CHART_ROUTE, chart)
