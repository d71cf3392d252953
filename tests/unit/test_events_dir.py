"""Every file in events/ goes through the handler, and each has a known answer here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Invoke
from tests.support.apigw import EVENTS_DIR, load_event, response_json


def _health_ok(body: Any) -> None:
    assert "errors" not in body
    assert body["data"]["health"]["status"] == "OK"
    assert body["data"]["version"]["version"]


def _reported(body: Any) -> None:
    assert body == {"data": {"reportClientError": {"requestId": "lambda-request-id"}}}


def _predictions_not_configured(body: Any) -> None:
    # Unit tests run without MODELS_BUCKET; tests/integration/test_predict_api.py predicts.
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert body["errors"][0]["message"] == "predictions are not configured (no MODELS_BUCKET)"


def _bad_json(body: Any) -> None:
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


EXPECTED: dict[str, tuple[int, Callable[[Any], None]]] = {
    "http-api-query.json": (200, _health_ok),
    "http-api-mutation.json": (200, _reported),
    "http-api-predict.json": (200, _predictions_not_configured),
    "http-api-malformed-body.json": (400, _bad_json),
    "rest-api-query.json": (200, _health_ok),
    "rest-api-mutation.json": (200, _reported),
    "rest-api-malformed-body.json": (400, _bad_json),
    "rest-api-sam-generated.json": (200, _health_ok),
}


# Events whose route needs the local stand-ins: run in tests/integration/test_job_faults.py.
WITH_STAND_INS = {
    "websocket-connect.json",
    "websocket-message-ping.json",
    "websocket-disconnect.json",
    "sqs-job-message.json",
    "s3-job-upload.json",
    "schedule-sweep.json",
    "dynamodb-stream-job-finished.json",
}


def test_every_event_file_has_an_expectation() -> None:
    assert sorted(p.name for p in EVENTS_DIR.glob("*.json")) == sorted(
        set(EXPECTED) | WITH_STAND_INS
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_file(invoke: Invoke, name: str) -> None:
    status, check = EXPECTED[name]
    response = invoke(load_event(name))
    assert response["statusCode"] == status
    check(response_json(response))


def test_sam_generated_event_is_as_sam_makes_it() -> None:
    event = load_event("rest-api-sam-generated.json")
    assert event["isBase64Encoded"] is True
    assert not any(k.lower() == "content-type" for k in event["headers"])
