"""The events a cold start of each live route is measured on (bench/startup.py), against a
local stack: DynamoDB Local and moto (started here, `python -m devstack` on free ports), the
stack's token keys, and, for the WebSocket API's management endpoint, a sink on 127.0.0.1
that answers every post 200 and every delete 204 as API Gateway does for a connection that
is open (the stack's own endpoint knows only connections made through its own socket).

Each event is one a container would get in production: a `connection_init` with a real
token for a connection that $connect has let in, a `subscribe` on a connection its
`connection_init` acknowledged (so the connection is in the table), a stream record of a
real job's item (submitted through the stack's API and run by its worker) going from
RUNNING to SUCCEEDED, for an owner with one `jobsUpdated` subscription and for one with none.
What sets a case up runs in its own process beforehand, never in the measured one.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

from local_stack import start, stop  # noqa: E402

from devstack import auth  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
SUBSCRIPTION = "subscription { jobsUpdated { id status } }"


POSTED: dict[str, list[dict[str, Any]]] = {}


class _Sink(BaseHTTPRequestHandler):
    """The management API for connections that are open: each post recorded by connection."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        connection_id = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
        POSTED.setdefault(connection_id, []).append(json.loads(body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_DELETE(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


class LiveStack:
    """A running local stack, its function's environment (the management endpoint the sink),
    a token, and the events of each case."""

    def __init__(self, state_dir: Path, sink_port: int) -> None:
        self.state_dir = state_dir
        self.state = json.loads((state_dir / "stack.json").read_text())
        declared = json.loads((state_dir / "function-env.json").read_text())
        self.env = {
            **declared["MonolambdaFunction"],
            "WEBSOCKET_MANAGEMENT_URL": f"http://127.0.0.1:{sink_port}/live",
        }
        key = auth.signing_key(state_dir / auth.KEY_FILE.name)
        # Two callers: the stream case's subscriber, and the WebSocket cases' (whose own
        # subscriptions must not become the stream case's subscribers).
        self.token = auth.mint("bench", key=key)
        self.watcher_token = auth.mint("bench-watcher", key=key)
        claims = json.loads(base64.urlsafe_b64decode(self.watcher_token.split(".")[1] + "=="))
        self.watcher = str(claims["sub"])

    # --- the events ---------------------------------------------------------------------
    @staticmethod
    def websocket(kind: str, connection_id: str, body: dict[str, Any] | None = None) -> Any:
        name = {"CONNECT": "websocket-connect", "DISCONNECT": "websocket-disconnect"}.get(
            kind, "websocket-message-ping"
        )
        event = json.loads((EVENTS / f"{name}.json").read_text())
        event["requestContext"]["connectionId"] = connection_id
        if body is not None:
            event["body"] = json.dumps(body)
        return event

    def init(self, connection_id: str, token: str | None = None) -> Any:
        payload = {"Authorization": f"Bearer {token or self.token}"}
        body = {"type": "connection_init", "payload": payload}
        return self.websocket("MESSAGE", connection_id, body)

    def subscribe(self, connection_id: str) -> Any:
        body = {"id": "s1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
        return self.websocket("MESSAGE", connection_id, body)

    def finished_job(self, owner: str) -> Any:
        """A stream record of a real job's item as it went from RUNNING to SUCCEEDED, as
        `owner`'s job."""
        record = copy.deepcopy(self._finished)
        for image in (record["dynamodb"]["NewImage"], record["dynamodb"]["OldImage"]):
            image["owner"] = {"S": owner}
            image["owner_status"] = {"S": f"{owner}#{image['status']['S']}"}
        return {"Records": [record]}

    def prepare(self, run: Callable[[Any], None]) -> None:
        """Runs the job the stream cases replay (through the stack's own worker)."""
        image = base64.b64encode((ROOT / "samples" / "seven.png").read_bytes()).decode()
        body = json.dumps(
            {
                "query": "mutation($i: SubmitJobInput!) { submitJob(input: $i) { job { id } } }",
                "variables": {"i": {"model": "digits", "images": [image]}},
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the local stack, on 127.0.0.1
            self.state["api"] + "/graphql",
            body,
            {"content-type": "application/json", "authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            job_id = json.loads(answer.read())["data"]["submitJob"]["job"]["id"]
        table = boto3.client(
            "dynamodb",
            endpoint_url=self.state["dynamodb"],
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local takes any
        )
        deadline = time.monotonic() + 120
        while True:
            key = {"id": {"S": job_id}}
            item = table.get_item(TableName=self.env["JOBS_TABLE"], Key=key)["Item"]
            if item["status"]["S"] == "SUCCEEDED":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bench's job did not finish: {item['status']}")
            time.sleep(0.2)  # the stack's worker runs it; nothing to wait on but the table
        new = _as_stream_image(item)
        self._finished: dict[str, Any] = {
            "eventID": "1",
            "eventName": "MODIFY",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"id": {"S": job_id}},
                "NewImage": new,
                "OldImage": {**new, "status": {"S": "RUNNING"}},
                "SequenceNumber": "1",
                "SizeBytes": 1,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/jobs/stream/1",
        }
        # The one subscriber the stream case publishes to.
        self.subscriber = new_connection()
        run(self.init(self.subscriber, self.watcher_token))
        run(self.subscribe(self.subscriber))


def _as_stream_image(value: Any) -> Any:
    """A stream record carries binary attributes as base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _as_stream_image(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stream_image(v) for v in value]
    return value


def new_connection() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode()


@contextmanager
def live_stack(tmp: Path) -> Iterator[LiveStack]:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    process, _ = start(tmp)
    try:
        yield LiveStack(tmp, sink.server_address[1])
    finally:
        stop(process)
        sink.shutdown()


def without_crt() -> str:
    """Python that makes awscrt and pyOpenSSL unimportable: Lambda's runtime has neither, and
    botocore and urllib3 load them when they are installed (as in this venv)."""
    return (
        "import sys\n"
        "class _LambdaRuntime:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        if name.partition('.')[0] in ('awscrt', 'OpenSSL'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _LambdaRuntime)\n"
    )


def environment(stack: LiveStack, base: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        **base,
        **stack.env,
        "APP_ENV": "prod",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    }


SETUP = without_crt() + (
    "import json, sys\n"
    "from monolambda.handler import handler\n"
    "class Context:\n"
    "    aws_request_id = 'bench-setup'\n"
    "handler(json.loads(sys.argv[1]), Context())\n"
)


def run_plain(event: Any, env: dict[str, str]) -> None:
    """A setup step: the function on one event, in a process of its own, not measured."""
    command = [sys.executable, "-c", SETUP, json.dumps(event)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def posted(connection_id: str) -> list[str]:
    """The types of the messages the function posted to a connection, in order."""
    return [str(m.get("type")) for m in POSTED.get(connection_id, [])]
