"""What every resolver gets: the use cases, the caller, the request id and the request's
work budget."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monolambda.api.identity import caller_from_event
from monolambda.domain.budget import WorkBudget
from monolambda.domain.identity import ANONYMOUS, Caller
from monolambda.domain.sizes import MAX_HTTP_ANSWER_BYTES
from monolambda.services import Services

# Event key set by the Lambda adapter when it had to assume a JSON body (no Content-Type).
CONTENT_TYPE_ASSUMED = "monolambda.contentTypeAssumed"


@dataclass(frozen=True, slots=True)
class Context:
    services: Services
    caller: Caller | None
    request_id: str
    budget: WorkBudget
    # True when the request could only be read as JSON by assumption (it had no Content-Type);
    # such a request may not mutate anything, as a browser can send it cross-site unannounced.
    read_only: bool = False
    # Per-request DataLoaders, made on first use (api.job_types.job_loader).
    loaders: dict[str, Any] = field(default_factory=dict)
    # A WebSocket `subscribe` (api.live_operations.Listener): where a subscription field
    # opens its subscription. None over HTTP, which serves no subscription.
    live: Any = None
    # The most an answer may be, in bytes, by the transport that carries it (a WebSocket
    # message is smaller than an HTTP answer): the estimate made before execution is held
    # to it (api.limits).
    max_answer_bytes: int = MAX_HTTP_ANSWER_BYTES


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
