"""The browser client at the stack's root: web/dist (built by `make web`) as static files, and
a config.json that points the page at this stack (its API, its WebSocket API, and how to sign
in: the local user pool's /_devstack/sign-in when the API has an authorizer).

A static host on AWS serves the same files beside a config.json of its own (README, "The
browser client"). The page's headers are what such a host should send too: a Content
Security Policy allowing only this origin's scripts, and loopback for its API and uploads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Answer = tuple[int, list[tuple[str, str]], bytes]

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
SIGN_IN_PATH = "/_devstack/sign-in"
# As the local user pool's names (and Cognito's usernames, kept simple).
_USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
# The API, the WebSocket API and the S3 stand-in (uploads) are all on loopback ports.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' http://127.0.0.1:* ws://127.0.0.1:* http://localhost:* ws://localhost:*; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
_SECURITY_HEADERS = [
    ("content-security-policy", _CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
]


@dataclass(frozen=True)
class WebClient:
    dist: Path
    # A user name -> an ID token of the stack's user pool; None: the API has no authorizer.
    mint: Callable[[str], str] | None

    def answer(self, path: str) -> Answer | None:
        """The page, its config or one of its files; None for any other path."""
        if path == "/config.json":
            return self._config()
        if path in ("/", "/index.html"):
            return self._file(self.dist / "index.html", "no-cache")
        if path.startswith("/assets/"):
            # Names carry a hash of their content: cacheable for good.
            return self._file(self.dist / path.removeprefix("/"), "max-age=31536000, immutable")
        return None

    def sign_in(self, body: bytes) -> Answer:
        """A token from the local user pool for the user name the page sends."""
        try:
            username = json.loads(body).get("username", "")
        except (ValueError, AttributeError, RecursionError):
            username = ""
        if self.mint is None:
            return _json(404, {"message": "this stack's API has no authorizer: no sign-in"})
        if not isinstance(username, str) or not _USER_NAME.fullmatch(username):
            return _json(
                400, {"message": "A user name is 1 to 64 letters, digits and . _ @ - only."}
            )
        return _json(200, {"token": self.mint(username), "username": username})

    def _config(self) -> Answer:
        auth = {"kind": "dev", "signInUrl": SIGN_IN_PATH} if self.mint else {"kind": "none"}
        config = {"graphqlUrl": "/graphql", "websocketUrl": "/graphql", "auth": auth}
        status, headers, body = _json(200, config)
        return status, [*headers, ("cache-control", "no-store")], body

    def _file(self, file: Path, cache: str) -> Answer:
        root = self.dist.resolve()
        resolved = file.resolve()
        if root != resolved.parent and root not in resolved.parents:
            return _json(404, {"message": "Not Found"})
        if not resolved.is_file():
            if file.name == "index.html":
                return _json(
                    404, {"message": "the browser client is not built: run `make web` (web/dist)"}
                )
            return _json(404, {"message": "Not Found"})
        content_type = _TYPES.get(resolved.suffix, "application/octet-stream")
        headers = [("content-type", content_type), ("cache-control", cache)]
        if resolved.suffix == ".html":
            headers += _SECURITY_HEADERS
        return 200, headers, resolved.read_bytes()


def _json(status: int, payload: object) -> Answer:
    return status, [("content-type", "application/json")], json.dumps(payload).encode()
