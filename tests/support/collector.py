"""A loopback fake of Application Insights' ingestion endpoint (`POST /v2.1/track`).

The Azure Monitor exporter posts a JSON list of envelopes (requests, traces, metrics), gzip'd
or not, and reads back how many were accepted. `hang` holds every answer until released.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeCollector:
    """Records every envelope the exporter sends."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    hang: bool = False

    def __post_init__(self) -> None:
        self.release = asyncio.Event()
        self.arrived = asyncio.Event()
        self.app = web.Application()
        # The exporter joins the endpoint's trailing slash and its path: `//v2.1/track`.
        self.app.router.add_post("/{path:.*}", self._track)

    async def _track(self, request: web.Request) -> web.Response:
        if not request.path.endswith("/v2.1/track"):
            raise web.HTTPNotFound()
        raw = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        batch = json.loads(raw)
        self.arrived.set()
        if self.hang:
            await self.release.wait()
        self.envelopes.extend(batch)
        return web.json_response(
            {"itemsReceived": len(batch), "itemsAccepted": len(batch), "errors": []}
        )

    def of_type(self, base_type: str) -> list[dict[str, Any]]:
        """The envelopes whose data is of one type: RequestData, MessageData, MetricData."""
        return [e for e in self.envelopes if e.get("data", {}).get("baseType") == base_type]

    @property
    def text(self) -> str:
        """Everything received, as one string (for checks that something is absent)."""
        return json.dumps(self.envelopes, ensure_ascii=False)


def connection_string(url: str) -> str:
    """A connection string whose ingestion endpoint is the fake (the key is a dummy)."""
    return (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        f"IngestionEndpoint={url.rstrip('/')}/"
    )
