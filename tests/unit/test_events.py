from __future__ import annotations

import pytest

from monolambda.events import EventKind, describe, kind_of
from tests.support.apigw import http_api_event, load_event, rest_api_event

SQS = {"Records": [{"messageId": "1", "body": "{}", "eventSource": "aws:sqs"}]}
S3 = {"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "uploads/a.png"}}}]}
STREAM = {"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]}
SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (http_api_event({"query": "{ health { status } }"}), EventKind.API_GATEWAY_V2),
        (rest_api_event({"query": "{ health { status } }"}), EventKind.API_GATEWAY_V1),
        (load_event("rest-api-sam-generated.json"), EventKind.API_GATEWAY_V1),
        (SQS, EventKind.SQS),
        (S3, EventKind.S3),
        (STREAM, EventKind.DYNAMODB_STREAM),
        (SCHEDULE, EventKind.SCHEDULE),
    ],
)
def test_kind_of_known_shapes(event: object, kind: EventKind) -> None:
    assert kind_of(event) is kind


@pytest.mark.parametrize(
    "event",
    [
        None,
        "a string",
        [],
        {},
        {"Records": []},
        {"Records": [{"eventSource": "aws:kinesis"}]},
        {"requestContext": {"elb": {}}},
        {"source": "aws.events", "detail-type": "EC2 Instance State-change Notification"},
    ],
)
def test_unknown_shapes_have_no_kind(event: object) -> None:
    assert kind_of(event) is None


def test_describe_never_shows_values() -> None:
    text = describe({"password": "hunter2", "token": "abc"})
    assert text == "object with keys password, token"
    assert describe(None) == "NoneType"
