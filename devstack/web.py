"""The browser client at the stack's root: web/dist (built by `make web`) as static files, and
a config.json that points the page at this stack (its API, its WebSocket API, and how to sign
in: the local user pool's /_devstack/sign-in when the API has an authorizer).

A static host on AWS serves the same files beside a config.json of its own
(docs/clients/web.md). The page's headers are what such a host should send too: a Content
Security Policy allowing only this origin's scripts, and loopback for its API and uploads.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Answer = tuple[int, list[tuple[str, str]], bytes]

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
SIGN_IN_PATH = "/_devstack/sign-in"
# As Cognito's token endpoint with grant_type=refresh_token, and its RevokeToken.
TOKEN_PATH = "/_devstack/token"  # noqa: S105 - a path, not a secret
SIGN_OUT_PATH = "/_devstack/sign-out"
MAX_REFRESH_TOKENS = 10_000
# The page's own endpoints: same-origin JSON, no control key (they act for its user only).
PAGE_PATHS = (SIGN_IN_PATH, TOKEN_PATH, SIGN_OUT_PATH)
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
    # How long a minted token lasts (the page renews it before, with its refresh token).
    ttl_s: int = 3600
    # Refresh token -> user name, as the local user pool issued them (until revoked).
    refresh_tokens: dict[str, str] = field(default_factory=dict)

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
        refresh = secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = username
        while len(self.refresh_tokens) > MAX_REFRESH_TOKENS:  # the oldest sign-in goes first
            self.refresh_tokens.pop(next(iter(self.refresh_tokens)))
        return _json(200, {**self._tokens(self.mint, username), "refreshToken": refresh})

    def refresh(self, body: bytes) -> Answer:
        """A fresh token for a refresh token, as Cognito's token endpoint answers
        grant_type=refresh_token; a refresh token revoked or never issued is invalid_grant."""
        username = self.refresh_tokens.get(_field(body, "refreshToken"))
        if self.mint is None or username is None:
            return _json(400, {"error": "invalid_grant", "message": "sign in again"})
        return _json(200, self._tokens(self.mint, username))

    def sign_out(self, body: bytes) -> Answer:
        """Revokes a refresh token (Cognito's RevokeToken): the session ends when its token
        expires."""
        self.refresh_tokens.pop(_field(body, "refreshToken"), None)
        return _json(200, {})

    def _tokens(self, mint: Callable[[str], str], username: str) -> dict[str, object]:
        return {"token": mint(username), "username": username, "expiresIn": self.ttl_s}

    def _config(self) -> Answer:
        auth = (
            {
                "kind": "dev",
                "signInUrl": SIGN_IN_PATH,
                "tokenUrl": TOKEN_PATH,
                "signOutUrl": SIGN_OUT_PATH,
            }
            if self.mint
            else {"kind": "none"}
        )
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


def _field(body: bytes, name: str) -> str:
    try:
        value = json.loads(body).get(name, "")
    except (ValueError, AttributeError, RecursionError):
        return ""
    return value if isinstance(value, str) else ""


def _json(status: int, payload: object) -> Answer:
    return status, [("content-type", "application/json")], json.dumps(payload).encode()
