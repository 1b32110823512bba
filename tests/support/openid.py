"""A loopback fake of the Bot Framework's OpenID metadata and signed tokens for it.

The SDK fetches keys with blocking `requests` calls from inside the event loop, so the server
runs in its own thread rather than on the test's loop (which would deadlock).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.app import BOT_FRAMEWORK_ISSUER

KID = "test-key"


@contextmanager
def openid_server(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """Serve an OpenID metadata document and a JWKS holding the key; yield the metadata URL."""
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update({"kid": KID, "use": "sig", "endorsements": ["msteams"]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/openid":
                payload = {"jwks_uri": f"{base}/keys"}
            elif self.path == "/keys":
                payload = {"keys": [jwk]}
            else:
                self.send_error(404)
                return
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # Each use serves on a new port, so the SDK's per-URL key cache never carries over.
        yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def channel_token(key: rsa.RSAPrivateKey, app_id: str, service_url: str, **claims: Any) -> str:
    """A token as the Bot Framework channel signs it for a bot, valid for ten minutes."""
    now = int(time.time())
    body = {
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now - 10,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})
