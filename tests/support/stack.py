"""The local stack, started once per test session on free ports, exactly as `make dev` runs
(a `python -m devstack` process), and reset to its just-created state before each test."""

from __future__ import annotations

import json
import queue
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest

from devstack.http_server import CONTROL_HEADER
from devstack.resources import Service
from tests.support.processes import ROOT, start, stop

FIXTURE_TEMPLATE = ROOT / "tests" / "fixtures" / "stack" / "template.yaml"
# template.yaml's data bucket, as the local stack names it (from the account and stack id).
LOCAL_BUCKET = "monolambda-123456789012-10ca15ac0000"


@dataclass
class RunningStack:
    api: str
    dynamodb: str
    moto: str
    token: str
    region: str
    state_dir: Path
    process: Any
    children: list[int]
    control_key: str = ""
    # What it printed until it was ready (the banner).
    banner: tuple[str, ...] = ()

    def client(self, service: Service) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.dynamodb if service in ("dynamodb", "dynamodbstreams") else self.moto,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def printed(self, wanted: str, timeout: float = 30.0) -> str | None:
        """The next line of the stack's output that contains `wanted` (None if none comes
        in time); lines before it are read and dropped."""
        lines: queue.Queue[str | None] = self.process.output_lines
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                return None
            if line is None:
                return None
            if wanted in line:
                return line
        return None

    def control(self, endpoint: str) -> tuple[int, dict[str, str], bytes]:
        """POST to one of the stack's own endpoints (reset, tick), as its tools do."""
        headers = {**JSON, CONTROL_HEADER: self.control_key}
        return http(f"{self.api}/_devstack/{endpoint}", data=b"{}", headers=headers, method="POST")

    def reset(self) -> None:
        status, _, _ = self.control("reset")
        assert status == 200

    def graphql(self, body: Any, token: str | None = None) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        status, _, raw = http(
            f"{self.api}/graphql", data=json.dumps(body).encode(), headers=headers
        )
        return status, json.loads(raw)


def gql(stack: RunningStack, query: str, **variables: Any) -> dict[str, Any]:
    """A GraphQL request as the stack's dev user; the answer's body (errors included)."""
    status, body = stack.graphql({"query": query, "variables": variables}, token=stack.token)
    assert status == 200, body
    result: dict[str, Any] = body
    return result


JSON = {"content-type": "application/json"}
# The origin jobs_stack's template allows (WebOrigins).
WEB_ORIGIN = "https://app.example.com"
# Session stacks answer a body that stalls with a 408 after this long (make dev: 10 s).
REQUEST_TIMEOUT_S = 2


def http(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def queue_depth(stack: RunningStack, queue: str) -> int:
    """Messages in `queue`, waiting or in flight (SQS's approximate counts)."""
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def post_form(url: str, fields: dict[str, str], content: bytes) -> None:
    """A browser's multipart POST of a presigned upload form, with the file last; S3 (the
    local stack's checks in front of moto) must store it."""
    status, body = post_form_answer(url, fields, content)
    assert status in (200, 201, 204), body


def post_form_answer(url: str, fields: dict[str, str], content: bytes) -> tuple[int, bytes]:
    """The same POST, answered whatever S3 says: its status and body."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, body = http(
        url,
        data=b"".join(parts),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    return status, body


def launch(state_dir: Path, *extra: str) -> RunningStack:
    args = ["-m", "devstack", "--port", "0", "--dynamodb-port", "0", "--moto-port", "0"]
    args += ["--request-timeout", str(REQUEST_TIMEOUT_S)]
    process, seen = start(
        [*args, "--state-dir", str(state_dir), "--quiet", *extra], ready="ready in"
    )
    state = json.loads((state_dir / "stack.json").read_text())
    children = [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
    return RunningStack(
        api=state["api"],
        dynamodb=state["dynamodb"],
        moto=state["moto"],
        token=state["token"],
        region=state["region"],
        state_dir=state_dir,
        process=process,
        children=children,
        control_key=state["control_key"],
        banner=tuple(seen),
    )


def shut_down(stack: RunningStack) -> str:
    output = stop(stack.process)
    assert stack.process.returncode == 0, output
    leftovers = [
        pid
        for pid in stack.children
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert leftovers == [], f"orphaned processes: {leftovers}"
    return output


@pytest.fixture(scope="session")
def app_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The project's own template.yaml, as `make dev` runs it."""
    stack = launch(tmp_path_factory.mktemp("app-stack"))
    yield stack
    shut_down(stack)


@pytest.fixture(scope="session")
def fixture_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A template with a table, queues with redrive, a bucket, a parameter and an SQS mapping."""
    stack = launch(tmp_path_factory.mktemp("fixture-stack"), "--template", str(FIXTURE_TEMPLATE))
    yield stack
    shut_down(stack)


@pytest.fixture(scope="session")
def jobs_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The project's template with a short visibility timeout and retry delay, so that a
    message's three deliveries take seconds rather than minutes, and a web origin allowed."""
    state_dir = tmp_path_factory.mktemp("jobs-stack")
    env_vars = state_dir / "env.json"
    env_vars.write_text(json.dumps({"Parameters": {"JOB_RETRY_DELAY_S": "1"}}))
    stack = launch(
        state_dir,
        "--parameter-overrides",
        "JobVisibilityTimeout=3",
        f"WebOrigins={WEB_ORIGIN}",
        "--env-vars",
        str(env_vars),
    )
    yield stack
    shut_down(stack)


@pytest.fixture(scope="session")
def idle_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """As jobs_stack, with no event source running: the test is the function's worker."""
    state_dir = tmp_path_factory.mktemp("idle-stack")
    stack = launch(
        state_dir, "--parameter-overrides", "JobVisibilityTimeout=3", "--no-event-sources"
    )
    yield stack
    shut_down(stack)


@pytest.fixture
def stack(app_stack: RunningStack) -> RunningStack:
    app_stack.reset()
    return app_stack


@pytest.fixture
def resources_stack(fixture_stack: RunningStack) -> RunningStack:
    fixture_stack.reset()
    return fixture_stack
