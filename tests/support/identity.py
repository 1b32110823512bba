"""A loopback fake of App Service's managed-identity endpoint, as msal asks it for tokens.

App Service puts the endpoint's address and a secret header in the app's environment
(`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`); msal reads them and sends
`GET {endpoint}?api-version=2019-08-01&resource=...&client_id=...` with `X-IDENTITY-HEADER`.
The SDK asks with blocking `requests` calls, some from the event loop's own thread, so the
server runs in a thread of its own (as `tests/support/openid.py`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

IDENTITY_HEADER = "fake-identity-header"


def token_for(client_id: str, resource: str) -> str:
    """The token the fake issues to an identity for a resource (not a JWT: nobody decodes it)."""
    return f"mi-token:{client_id}:{resource}"


@dataclass
class FakeIdentityEndpoint:
    """Issues tokens to known client ids; `status` set, answers that status instead."""

    client_ids: set[str]
    status: int = 200
    # Every request: (resource, client id, the secret header as sent).
    asked: list[tuple[str, str, str]] = field(default_factory=list)
    url: str = ""

    def answer(self, query: dict[str, list[str]], header: str) -> tuple[int, dict[str, Any]]:
        """What the endpoint says to one request."""
        resource = (query.get("resource") or [""])[0]
        client_id = (query.get("client_id") or [""])[0]
        self.asked.append((resource, client_id, header))
        if self.status != 200:
            return self.status, {"statusCode": self.status, "message": "unavailable"}
        if header != IDENTITY_HEADER or client_id not in self.client_ids:
            return 400, {"statusCode": 400, "message": "No managed identity found"}
        return 200, {
            "access_token": token_for(client_id, resource),
            "expires_on": str(int(time.time()) + 3600),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        }


@contextmanager
def identity_endpoint(
    monkeypatch: pytest.MonkeyPatch, *client_ids: str
) -> Iterator[FakeIdentityEndpoint]:
    """Serve the fake and point msal at it (as App Service's environment does)."""
    fake = FakeIdentityEndpoint(client_ids=set(client_ids))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/msi/token":
                self.send_error(404)
                return
            status, payload = fake.answer(
                parse_qs(parts.query), self.headers.get("X-IDENTITY-HEADER", "")
            )
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/msi/token"
    monkeypatch.setenv("IDENTITY_ENDPOINT", fake.url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
