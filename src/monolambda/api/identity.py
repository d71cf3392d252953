"""The caller's identity from an API Gateway event's authorizer claims.

API Gateway has already verified the token (JWT authorizer on the HTTP API, Cognito authorizer
on a REST API); the function only reads the claims it was handed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monolambda.domain.identity import Caller


def caller_from_event(event: Mapping[str, Any]) -> Caller | None:
    claims = _claims(event)
    if claims is None:
        return None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return None
    return Caller(sub=sub, groups=_groups(claims.get("cognito:groups")))


def _claims(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    if not isinstance(authorizer, Mapping):
        return None
    jwt = authorizer.get("jwt")  # HTTP API (payload v2) JWT authorizer
    claims = jwt.get("claims") if isinstance(jwt, Mapping) else authorizer.get("claims")
    return claims if isinstance(claims, Mapping) else None


def _groups(raw: object) -> frozenset[str]:
    # Cognito puts a list in the token; the HTTP API authorizer flattens array claims to the
    # string "[admin users]" before the function sees them; REST passes "admin,users".
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw if g)
    if isinstance(raw, str):
        text = raw.strip().removeprefix("[").removesuffix("]")
        return frozenset(g for g in text.replace(",", " ").split() if g)
    return frozenset()
