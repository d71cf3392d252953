"""What every resolver gets: the use cases, the caller, the request id and the request's
work budget."""

from typing import Any, NamedTuple

from monolambda.domain.budget import WorkBudget
from monolambda.domain.identity import Caller
from monolambda.domain.sizes import MAX_HTTP_ANSWER_BYTES
from monolambda.services import Services


class Context(NamedTuple):
    services: Services
    caller: Caller | None
    request_id: str
    budget: WorkBudget
    # Per-request DataLoaders, made on first use (api.graph.job_types.job_loader): a new dict
    # for each request (a NamedTuple's default would be one dict shared by all).
    loaders: dict[str, Any]
    # True when the request could only be read as JSON by assumption (it had no Content-Type);
    # such a request may not mutate anything, as a browser can send it cross-site unannounced.
    read_only: bool = False
    # A WebSocket `subscribe` (api.transport.live_operations.Listener): where a subscription field
    # opens its subscription. None over HTTP, which serves no subscription.
    live: Any = None
    # The most an answer may be, in bytes, by the transport that carries it (a WebSocket
    # message is smaller than an HTTP answer): the estimate made before execution is held
    # to it (api.guard.limits).
    max_answer_bytes: int = MAX_HTTP_ANSWER_BYTES
