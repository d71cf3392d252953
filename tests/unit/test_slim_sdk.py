"""The deploy build's botocore (scripts/slim_sdk.py): the data of the services the function
calls alone, and for those, every answer the full data gives: each model (less its
docstrings), each endpoint of each partition, and the endpoint and signing of a request from
each client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders
import pytest
from botocore.regions import EndpointResolver

from monolambda.adapters import aws
from scripts import slim_sdk

FULL = Path(botocore.__file__).parent
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def slim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sdk") / "botocore"
    slim_sdk.copy(FULL, target)
    return target


def loader(botocore_dir: Path) -> botocore.loaders.Loader:
    return botocore.loaders.Loader(
        extra_search_paths=[str(botocore_dir / "data")], include_default_search_paths=False
    )


def undocumented(model: dict[str, Any]) -> dict[str, Any]:
    """`model` less the docstrings of the service, its operations and shapes (by another
    road than the script's)."""

    def hook(members: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in members.items() if k != "documentation"}

    copied = dict(model)
    copied.pop("documentation", None)
    for part in ("operations", "shapes"):
        copied[part] = json.loads(json.dumps(model[part]), object_hook=hook)
    return copied


def test_only_the_called_services_are_left(slim: Path) -> None:
    services = loader(slim).list_available_services("service-2")
    assert sorted(services) == sorted(aws.SERVICES + aws.CREDENTIAL_SERVICES)
    size = sum(p.stat().st_size for p in (slim / "data").rglob("*") if p.is_file())
    assert size < 4 * 1024 * 1024
    assert not list((slim / "data").rglob("*.gz"))


def test_each_model_is_the_full_one_less_its_docstrings(slim: Path) -> None:
    ours, theirs = loader(slim), loader(FULL)
    for service in aws.SERVICES + aws.CREDENTIAL_SERVICES:
        model = ours.load_service_model(service, "service-2")
        assert model == undocumented(theirs.load_service_model(service, "service-2"))
        assert (
            model["operations"].keys()
            == theirs.load_service_model(service, "service-2")["operations"].keys()
        )
        for kind in ("endpoint-rule-set-1", "paginators-1", "waiters-2"):
            if _has(theirs, service, kind):
                assert ours.load_service_model(service, kind) == theirs.load_service_model(
                    service, kind
                ), (service, kind)
    for name in ("partitions", "sdk-default-configuration", "_retry"):
        assert ours.load_data(name) == theirs.load_data(name)


def _has(loader_: botocore.loaders.Loader, service: str, kind: str) -> bool:
    try:
        loader_.load_service_model(service, kind)
    except botocore.exceptions.DataNotFoundError:
        return False
    return True


def test_every_endpoint_of_every_partition_answers_as_the_full_datas(slim: Path) -> None:
    full_data = loader(FULL).load_data("endpoints")
    ours = EndpointResolver(loader(slim).load_data("endpoints"), uses_builtin_data=True)
    theirs = EndpointResolver(full_data, uses_builtin_data=True)
    prefixes = {
        loader(slim).load_service_model(s, "service-2")["metadata"]["endpointPrefix"]
        for s in aws.SERVICES + aws.CREDENTIAL_SERVICES
    }
    assert ours.get_available_partitions() == theirs.get_available_partitions()
    asked = 0
    for partition in full_data["partitions"]:
        name = partition["partition"]
        for tags in (None, ["fips"], ["dualstack"], ["fips", "dualstack"]):
            assert ours.get_partition_dns_suffix(name, tags) == theirs.get_partition_dns_suffix(
                name, tags
            )
        for prefix in prefixes:
            endpoints = partition["services"].get(prefix, {}).get("endpoints", {})
            assert ours.get_service_endpoints_data(prefix, name) == (
                theirs.get_service_endpoints_data(prefix, name)
            )
            for non_regional in (False, True):
                assert ours.get_available_endpoints(prefix, name, non_regional) == (
                    theirs.get_available_endpoints(prefix, name, non_regional)
                )
            for region in [*partition["regions"], *endpoints, None]:
                for fips in (False, True):
                    for dualstack in (False, True):
                        asked += 1
                        question = (prefix, region, name, dualstack, fips)
                        assert endpoint(ours, question) == endpoint(theirs, question), question
    assert asked > 1000  # every partition's regions, for each service


def endpoint(resolver: EndpointResolver, question: tuple[Any, ...]) -> Any:
    """What `resolver` constructs, or the error it refuses with."""
    try:
        return resolver.construct_endpoint(*question)
    except botocore.exceptions.BotoCoreError as refused:
        return type(refused).__name__, str(refused)


# Each client's first request, stopped before it is sent: its URL and the region and
# service its signature is scoped to. Nothing leaves the process: name lookups and
# connections are refused outright, should a request ever get past the stop.
REQUESTS = """
import json, socket, sys

def no_network(*args, **kwargs):
    raise OSError("no network in this test")

socket.getaddrinfo = no_network
socket.socket.connect = no_network

import botocore
from botocore.config import Config
from monolambda.adapters import aws

class Sent(Exception):
    pass

def stop(request, **kwargs):
    # The credential's scope, less its date: region and service.
    signed = request.headers.get("Authorization", b"").decode()
    scope = signed.split("Credential=")[1].split(",")[0].split("/")[2:4] if signed else []
    raise Sent(request.url, scope)

calls = {
    "dynamodb": ("get_item", {"TableName": "jobs", "Key": {"id": {"S": "1"}}}),
    "s3": ("get_object", {"Bucket": "models", "Key": "digits/model.onnx"}),
    "sqs": ("get_queue_url", {"QueueName": "jobs.fifo"}),
    "ssm": ("get_parameter", {"Name": "/stack/models"}),
    "apigatewaymanagementapi": ("post_to_connection", {"ConnectionId": "c", "Data": b"x"}),
    "sts": ("get_caller_identity", {}),
}
answers = []
session = aws.botocore_session()
for region in ("us-east-1", "eu-central-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"):
    for fips in (False, True):
        for service, (operation, params) in calls.items():
            extra = {}
            if service == "apigatewaymanagementapi":
                extra["endpoint_url"] = f"https://abc.execute-api.{region}.amazonaws.com/prod"
            client = session.create_client(
                service, region_name=region, config=Config(use_fips_endpoint=fips), **extra
            )
            client.meta.events.register("before-send", stop)
            try:
                getattr(client, operation)(**params)
                answer = "sent"
            except Sent as sent:
                answer = list(sent.args)
            except Exception as error:
                answer = type(error).__name__
            answers.append([region, fips, service, client.meta.endpoint_url, answer])
print(json.dumps({"from": botocore.__file__, "answers": answers}))
"""


def requests_made(botocore_path: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "BOTO"))}
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (botocore_path, str(ROOT / "src")) if p),
        AWS_ACCESS_KEY_ID="slim",
        AWS_SECRET_ACCESS_KEY="slim",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    out = subprocess.run(
        [sys.executable, "-c", REQUESTS], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_each_clients_requests_go_where_the_full_datas_go(slim: Path) -> None:
    made, full = requests_made(str(slim.parent)), requests_made("")
    assert made["from"] == str(slim / "__init__.py")
    assert full["from"] == str(FULL / "__init__.py")
    ours, theirs = made["answers"], full["answers"]
    assert ours == theirs
    assert len(ours) == 5 * 2 * 6
    # Each stopped before sending, signed (the refusals are the full SDK's too: no FIPS
    # endpoint for a service in a region is a refusal either way).
    assert sum(isinstance(answer[-1], list) for answer in ours) > 40
