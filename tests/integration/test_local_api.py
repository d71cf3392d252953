"""The project's API through the local API gateway: JWT authorizer, GraphiQL, routes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack import auth
from devstack.local import LOCAL_CLIENT_ID, LOCAL_ISSUER
from tests.support.stack import LOCAL_BUCKET, RunningStack, http

ME = {"query": "{ me { sub groups } }"}


def token_for(
    stack: RunningStack, user: str, groups: tuple[str, ...] = (), **kwargs: object
) -> str:
    key = auth.signing_key(stack.state_dir / auth.KEY_FILE.name)
    return auth.mint(user, groups=groups, key=key, **kwargs)  # type: ignore[arg-type]


def test_the_dev_token_is_a_signed_in_admin(stack: RunningStack) -> None:
    status, body = stack.graphql(ME, stack.token)
    assert status == 200
    assert body == {"data": {"me": {"sub": auth.user_sub("dev"), "groups": ["admins"]}}}


def test_two_users_side_by_side(stack: RunningStack) -> None:
    alice = token_for(stack, "alice", ("users",))
    bob = token_for(stack, "bob")
    _, as_alice = stack.graphql(ME, alice)
    _, as_bob = stack.graphql(ME, bob)
    assert as_alice["data"]["me"] == {"sub": auth.user_sub("alice"), "groups": ["users"]}
    assert as_bob["data"]["me"] == {"sub": auth.user_sub("bob"), "groups": []}


def test_the_authorizer_refuses_what_api_gateway_refuses(stack: RunningStack) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "no token": None,
        "not a JWT": "hello",
        "expired": token_for(stack, "alice", now=time.time() - 7200, ttl_s=3600),
        "other issuer": token_for(stack, "alice", issuer="https://elsewhere.example"),
        "other audience": token_for(stack, "alice", audience="another-client"),
        "other key": auth.mint("alice", key=stranger),
        "unsigned": jwt.encode(
            {"sub": "x", "iss": LOCAL_ISSUER, "aud": LOCAL_CLIENT_ID, "exp": time.time() + 60},
            None,  # type: ignore[arg-type]  # "none" takes no key; PyJWT's hints want one
            algorithm="none",
        ),
    }
    for name, token in refused.items():
        headers = {"content-type": "application/json"} | (
            {"authorization": f"Bearer {token}"} if token else {}
        )
        status, _, raw = http(f"{stack.api}/graphql", data=json.dumps(ME).encode(), headers=headers)
        assert (status, json.loads(raw)) == (401, {"message": "Unauthorized"}), name


def test_graphiql_is_served_offline_with_the_dev_token(stack: RunningStack) -> None:
    status, _, raw = http(f"{stack.api}/graphql", headers={"accept": "text/html"})
    assert status == 200
    page = raw.decode()
    assert "unpkg.com" not in page
    assert f"Bearer {stack.token}" in page
    assets = re.findall(
        r'(?:src|href)="(/_devstack/assets/[^"]+)"\s+integrity="(sha384-[^"]+)"', page
    )
    assert len(assets) == 7
    for path, integrity in assets:
        status, _, content = http(f"{stack.api}{path}")
        assert status == 200, path
        digest = base64.b64encode(hashlib.sha384(content).digest()).decode()
        assert f"sha384-{digest}" == integrity, path


def test_routes_not_in_the_template_are_api_gateway_404s(stack: RunningStack) -> None:
    assert http(f"{stack.api}/elsewhere")[0] == 404
    assert http(f"{stack.api}/graphql", method="DELETE")[0] == 404
    assert http(f"{stack.api}/_devstack/assets/react@18.2.0/package.json")[0] == 404


def test_graphql_errors_arrive_as_json(stack: RunningStack) -> None:
    status, body = stack.graphql({"query": "{ nope }"}, stack.token)
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_deep_health_reads_the_aws_dependencies(stack: RunningStack) -> None:
    query = "{ health(deep: true) { status checks { name status detail } } }"
    _, body = stack.graphql({"query": query}, stack.token)
    checks = {c["name"]: c for c in body["data"]["health"]["checks"]}
    assert checks["model-bucket"] == {
        "name": "model-bucket",
        "status": "OK",
        "detail": f"reachable: {LOCAL_BUCKET}",
    }
    assert checks["model-pointers"]["status"] == "OK"
    _, body = stack.graphql({"query": "{ health { checks { name detail } } }"}, stack.token)
    shallow = {c["name"]: c["detail"] for c in body["data"]["health"]["checks"]}
    assert shallow["model-bucket"] == f"configured: {LOCAL_BUCKET}"
