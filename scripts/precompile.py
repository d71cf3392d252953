"""Records what the function's routes make Python compile: precompile.py OUT.

The deploy build (scripts/build.sh) writes the artifact's `monolambda/precompiled.bin` with
it; bench/startup.py makes its own the same way. It runs in this checkout's venv, whose
packages are the lock's, as the artifact's are (their generated source text is what the
cache is keyed by), and records with whatever Python runs it: the file says which, and a
different Python at run time ignores it.

What is recorded: every route built as SnapStart's before-snapshot hook builds it (the HTTP
stack and schema, the WebSocket route with its token check, the worker, the triggers,
predictions' libraries, the SDK's data), then each route's first event: the repository's
sample events, a `connection_init` with a token from a key set this script serves on
127.0.0.1, and a subscription. Every AWS endpoint is 127.0.0.1:9, where nothing listens:
a route that calls AWS fails there, after loading what its call needs. Nothing leaves the
machine.
"""

from __future__ import annotations

# Only what the interpreter has loaded already: whatever this script imports before the
# hooks are in would be compiled unrecorded, and compiled again by the function.
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer
    from pathlib import Path
    from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUDIENCE = "precompile"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_precompile"

REFUSAL = b'{"__type": "ValidationException", "message": "precompile: refused"}'
# The routes' settings: names only, and every endpoint this script's (ENDPOINT, set in record).
ENVIRONMENT = {
    "APP_ENV": "prod",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "precompile",
    "AWS_SECRET_ACCESS_KEY": "precompile",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "POWERTOOLS_METRICS_DISABLED": "false",
    "JOBS_TABLE": "jobs",
    "MODELS_BUCKET": "models",
    "MODEL_PARAMETER_PREFIX": "/precompile/models",
    "CONNECTIONS_TABLE": "connections",
    "JWT_ISSUER": ISSUER,
    "JWT_AUDIENCE": AUDIENCE,
}


class _LambdaRuntime:
    """awscrt and pyOpenSSL unimportable, as in Lambda's runtime: botocore and urllib3 load
    them when installed (as in this venv), and would take other paths than the function's."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in ("awscrt", "OpenSSL"):
            raise ModuleNotFoundError(name)


class Context:
    aws_request_id = "precompile"
    function_name = "monolambda"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:monolambda"

    def get_remaining_time_in_millis(self) -> int:
        return 29000


def _key_set() -> tuple[str, dict[str, Any]]:
    """A token and the key set that verifies it, as a user pool publishes one."""
    import json  # noqa: PLC0415
    import time  # noqa: PLC0415

    import jwt  # noqa: PLC0415 - recorded: imported after the hooks
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    now = int(time.time())
    claims = {"sub": "precompile", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "precompile"})
    return token, {"keys": [{**public, "kid": "precompile", "use": "sig", "alg": "RS256"}]}


def _serve(keys: bytes) -> ThreadingHTTPServer:
    import threading  # noqa: PLC0415
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: PLC0415

    """The key set at /jwks.json; for anything else, AWS's answer to a request it refuses
    (400, not retried), so that a route's call fails at once, after loading what it needs."""

    class Endpoint(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            status, body = (200, keys) if self.path == "/jwks.json" else (400, REFUSAL)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _event(name: str, body: dict[str, Any] | None = None) -> Any:
    import json  # noqa: PLC0415

    with open(os.path.join(ROOT, "events", f"{name}.json"), encoding="utf-8") as sample:
        event = json.load(sample)
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def _first_events(token: str) -> list[Any]:
    message = "websocket-message-ping"
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    watch = {"query": "subscription { jobsUpdated { id status } }"}
    subscribe = {"id": "1", "type": "subscribe", "payload": watch}
    return [
        _event("http-api-query", {"query": "{ health { status } }"}),
        _event("http-api-query"),
        _event("sqs-job-message"),
        _event("dynamodb-stream-job-finished"),
        _event("s3-job-upload"),
        _event("schedule-sweep"),
        _event("websocket-connect"),
        _event(message),
        _event(message, init),
        _event(message, subscribe),
        _event("websocket-disconnect"),
    ]


def record(out: Path) -> None:
    os.environ.update(ENVIRONMENT)
    sys.meta_path.insert(0, _LambdaRuntime)
    sys.path.insert(0, os.path.join(ROOT, "src"))
    from monolambda import precompiled  # noqa: PLC0415 - the hooks first, then the rest

    precompiled.record()
    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415
    import json  # noqa: PLC0415

    token, keys = _key_set()
    server = _serve(json.dumps(keys).encode())
    endpoint = f"http://127.0.0.1:{server.server_port}"
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        JOBS_QUEUE_URL=f"{endpoint}/123456789012/jobs.fifo",
        WEBSOCKET_MANAGEMENT_URL=f"{endpoint}/live",
        JWT_JWKS_URL=f"{endpoint}/jwks.json",
    )
    from monolambda import snapstart  # noqa: PLC0415
    from monolambda.handler import handler  # noqa: PLC0415

    snapstart.before_snapshot()
    for event in _first_events(token):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the metrics' lines
                handler(event, Context())
        except Exception:  # noqa: BLE001, S110 - a call to AWS fails here, after its imports
            pass
    server.shutdown()
    size = precompiled.save(out)
    code, regexes = precompiled.recorded()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    print(
        f"precompiled {code} generated code texts and {regexes} regular expressions"
        f" for Python {python}: {out} ({size / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    from pathlib import Path

    record(Path(sys.argv[1]))
