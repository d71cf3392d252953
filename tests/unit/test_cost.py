"""External finding: limits multiplied (15 aliases x 64 images x 25 megapixels). A 521 KB
request — 15 aliases of a batch of 16 copies of one 5000x5000 PNG, passed once as a variable
— ran 47 s. A request's total work is bounded now, and anything beyond is refused up front
with BAD_USER_INPUT: one costly field per operation, and per request 64 images and a budget of
decoded pixels, measured from the images' headers before any is decoded. (Time and memory of
the worst accepted request: bench/amplification.py.)"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

import pytest
from PIL import Image

from monolambda.adapters.images import PillowImages
from monolambda.domain.budget import WorkLimits
from monolambda.domain.identity import Caller
from tests.support.fakes import prediction_service
from tests.support.images import encode
from tests.support.schema import execute, make_schema, make_services

ALICE = Caller(sub="alice")
BATCH = "predictBatch(input: {images: $i}) { labels { label } }"


@cache
def big_png() -> str:
    """A 5000x5000 PNG: 25 megapixels in a few kilobytes."""
    return base64.b64encode(encode(Image.new("L", (5000, 5000), 255), "PNG")).decode()


class CountingImages(PillowImages):
    def __init__(self) -> None:
        super().__init__()
        self.decoded = 0

    def prepare(self, images: Any, spec: Any) -> Any:
        self.decoded += len(images)
        return super().prepare(images, spec)


def run(query: str, variables: dict[str, Any], **env: str) -> tuple[set[str], int, Any]:
    images = CountingImages()
    predictions = prediction_service(images=images)
    result = execute(
        make_schema(**env),
        query,
        variables=variables,
        caller=ALICE,
        services=make_services(predictions=predictions, work=WorkLimits()),
    )
    codes = {e.extensions["code"] for e in result.errors or ()}
    return codes, images.decoded, result


def test_the_amplification_request_is_refused_before_any_decoding() -> None:
    aliases = " ".join(f"a{n}: {BATCH}" for n in range(15))
    variables = {"i": [big_png()] * 16}
    codes, decoded, result = run(f"query($i: [String!]!) {{ {aliases} }}", variables)
    assert codes == {"BAD_USER_INPUT"}
    assert decoded == 0
    assert (
        "15 costly fields (predictBatch) in one operation; allowed: 1" in result.errors[0].message
    )


@pytest.mark.parametrize(
    "query",
    [
        f"query($i: [String!]!) {{ a: {BATCH} b: {BATCH} }}",
        f"query($i: [String!]!) {{ ...F ...G }} fragment F on Query {{ a: {BATCH} }} "
        f"fragment G on Query {{ b: {BATCH} }}",
        f"query($i: [String!]!) {{ ... on Query {{ a: {BATCH} }} {BATCH} }}",
        'query($i: [String!]!) { predict(input: {image: "x"}) { version } ' + BATCH + " }",
    ],
    ids=["aliases", "fragments", "inline-fragment", "predict-and-batch"],
)
def test_two_costly_fields_are_refused_however_they_are_spelled(query: str) -> None:
    codes, decoded, _ = run(query, {"i": ["x"]})
    assert codes == {"BAD_USER_INPUT"}
    assert decoded == 0


def test_one_field_repeated_under_one_key_runs_once_and_is_accepted() -> None:
    # Fields merged under one response key execute once: not two costly fields.
    small = base64.b64encode(encode(Image.new("L", (8, 8), 0), "PNG")).decode()
    query = f"query($i: [String!]!) {{ {BATCH} ...F }} fragment F on Query {{ {BATCH} }}"
    codes, decoded, _ = run(query, {"i": [small]})
    assert codes == set()
    assert decoded == 1


def test_a_batch_over_the_pixel_budget_is_refused_from_the_headers() -> None:
    codes, decoded, result = run(f"query($i: [String!]!) {{ {BATCH} }}", {"i": [big_png()] * 16})
    assert codes == {"BAD_USER_INPUT"}
    assert decoded == 0
    assert "400,000,000 pixels" in result.errors[0].message


def test_one_largest_image_is_accepted() -> None:
    codes, decoded, _ = run(f"query($i: [String!]!) {{ {BATCH} }}", {"i": [big_png()]})
    assert codes == set()
    assert decoded == 1


def test_batched_operations_share_one_budget() -> None:
    # Through the HTTP route (Mangum, Strawberry's view) with in-memory ports: a batch of
    # operations (GRAPHQL_MAX_BATCH) is one request, with one budget.
    from monolambda.api.guard.trusted_documents import TrustedDocuments  # noqa: PLC0415
    from monolambda.api.transport.app import build_app  # noqa: PLC0415
    from monolambda.api.transport.lambda_http import HttpRoute  # noqa: PLC0415
    from tests.support.apigw import FakeLambdaContext, http_api_event, response_json  # noqa: PLC0415

    predictions = prediction_service(images=PillowImages())
    app = build_app(
        make_schema(GRAPHQL_MAX_BATCH="2"),
        make_services(predictions=predictions, work=WorkLimits()),
        TrustedDocuments({}, only=False),
        graphiql=False,
        anonymous_access=False,
    )
    route = HttpRoute(app, max_body_bytes=6 * 1024 * 1024)
    operation = {"query": f"query($i: [String!]!) {{ {BATCH} }}", "variables": {"i": [big_png()]}}
    event = http_api_event([operation, operation], claims={"sub": "alice"})
    first, second = response_json(route(event, FakeLambdaContext()))
    assert "errors" not in first  # 25 of the request's 40 megapixels
    assert second["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 40,000,000" in second["errors"][0]["message"]
