"""What an API Gateway event says of its request: who the caller is (the authorizer's claims),
its request id, and the resolvers' context made of them.

API Gateway has already verified the token (JWT authorizer on the HTTP API, Cognito authorizer
on a REST API); the function only reads the claims it was handed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from monolambda.api.graph.context import Context
from monolambda.domain.identity import ANONYMOUS, Caller
from monolambda.services import Services

# Event key set by the Lambda adapter when it had to assume a JSON body (no Content-Type).
CONTENT_TYPE_ASSUMED = "monolambda.contentTypeAssumed"


def caller_from_event(event: Mapping[str, Any]) -> Caller | None:
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    if not isinstance(authorizer, Mapping):
        return None
    jwt = authorizer.get("jwt")
    if isinstance(jwt, Mapping):  # an HTTP API's JWT authorizer (payload 2.0 or 1.0)
        claims, groups = jwt.get("claims"), _http_api_groups
    else:  # a REST API's Cognito authorizer
        claims, groups = authorizer.get("claims"), _rest_api_groups
    if not isinstance(claims, Mapping):
        return None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return None
    return Caller(sub=sub, groups=groups(claims.get("cognito:groups")))


def _http_api_groups(raw: object) -> frozenset[str]:
    # The HTTP API passes an array claim flattened to "[admins ops,eu]": its items joined by
    # single spaces inside brackets. Cognito group names cannot contain white space, so the
    # spaces alone separate them (a comma belongs to the name). A plain string is one group.
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw if g)
    if not isinstance(raw, str):
        return frozenset()
    if raw.startswith("[") and raw.endswith("]"):
        return frozenset(raw[1:-1].split())
    return frozenset({raw}) if raw else frozenset()


def _rest_api_groups(raw: object) -> frozenset[str]:
    # A REST API's Cognito authorizer passes "admins,ops": commas are its only separator, so
    # a group whose name holds a comma cannot be told apart there (API Gateway's format).
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw if g)
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(g for g in raw.split(",") if g)


def context_for(
    services: Services,
    event: Mapping[str, Any],
    lambda_context: object,
    *,
    anonymous_access: bool = False,
) -> Context:
    caller = caller_from_event(event)
    return Context(
        services=services,
        caller=ANONYMOUS if caller is None and anonymous_access else caller,
        request_id=request_id_for(event, lambda_context),
        budget=services.budget(),
        loaders={},
        read_only=bool(event.get(CONTENT_TYPE_ASSUMED)),
    )


def request_id_for(event: Mapping[str, Any], lambda_context: object) -> str:
    """Lambda's request id (what its logs carry), else API Gateway's, else a fresh one."""
    request_id = getattr(lambda_context, "aws_request_id", None)
    if isinstance(request_id, str) and request_id:
        return request_id
    api_request_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(api_request_id, str) and api_request_id:
        return api_request_id
    return str(uuid.uuid4())
