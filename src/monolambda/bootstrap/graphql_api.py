"""The HTTP route, and the schema and trusted documents it shares with the WebSocket route."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from monolambda.bootstrap import adapters
from monolambda.bootstrap.config import settings
from monolambda.bootstrap.lifetime import built_later, long_lived, part
from monolambda.bootstrap.use_cases import services

if TYPE_CHECKING:
    from monolambda.api.graph.schema import MonolambdaSchema
    from monolambda.api.guard.trusted_documents import TrustedDocuments
    from monolambda.api.transport.lambda_http import HttpRoute

# graphql-core leaves ~30 small reference cycles per request, so young collections run every
# ~60 requests at the default threshold (2,000) and each costs ~300 us: a p99 of 2.5x p50.
# At 5,000 they run every ~160 requests (under 1 %), costing ~850 us each; the mean is
# unchanged (measured with bench/startup.py; docs, "Performance").
YOUNG_GC_THRESHOLD = 5_000


@part
def http() -> HttpRoute:
    """API Gateway: the schema, Strawberry's ASGI view and Mangum."""
    with long_lived():  # the imports too: most of a cold start, all of it long-lived
        from monolambda.api.transport.app import build_app  # noqa: PLC0415
        from monolambda.api.transport.lambda_http import HttpRoute  # noqa: PLC0415

        config = settings()
        app = build_app(
            schema(),
            services(),
            trusted_documents(),
            graphiql=config.graphiql,
            anonymous_access=config.anonymous_access,
        )
        route = HttpRoute(app, max_body_bytes=config.max_body_bytes)
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)
    if config.anonymous_access:
        from monolambda.logs import logger  # noqa: PLC0415

        logger().warning(
            "ANONYMOUS_ACCESS is on: no authorizer stands in front of this API, and every "
            "request without claims acts as the caller 'anonymous'"
        )
    return route


@part
def schema() -> MonolambdaSchema:
    """One schema per container, for HTTP, WebSocket and the live updates alike."""
    with long_lived():
        from monolambda.api.graph.schema import build_schema  # noqa: PLC0415

        return build_schema(settings(), trusted_documents().texts)


@part
def trusted_documents() -> TrustedDocuments:
    """The clients' operations by hash (api.guard.trusted_documents), for HTTP and WebSocket, and
    the documents they register by APQ (its store built on the first unknown hash)."""
    from monolambda.api.guard.trusted_documents import Registered, TrustedDocuments  # noqa: PLC0415

    table = settings().persisted_queries_table
    registered = None if table is None else Registered(built_later(adapters.persisted_queries))
    return TrustedDocuments.load(only=settings().trusted_documents_only, registered=registered)
