"""The caller's identity from an API Gateway event's authorizer claims.

API Gateway has already verified the token (JWT authorizer on the HTTP API, Cognito authorizer
on a REST API); the function only reads the claims it was handed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monolambda.domain.identity import Caller


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
