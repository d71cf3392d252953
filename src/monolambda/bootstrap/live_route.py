"""The WebSocket route (graphql-transport-ws over API Gateway's connections), and the live
updates the stream publishes through it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from monolambda.bootstrap import adapters
from monolambda.bootstrap.config import live_settings
from monolambda.bootstrap.graphql_api import schema, trusted_documents
from monolambda.bootstrap.lifetime import long_lived, part
from monolambda.bootstrap.use_cases import services

if TYPE_CHECKING:
    from monolambda.api.transport.live_operations import LiveOperations
    from monolambda.api.transport.websocket import WebSocketRoute
    from monolambda.services.live import LiveService


@part
def websocket() -> WebSocketRoute:
    """The WebSocket API. The schema is built only when a `subscribe` arrives;
    connection_init needs the token check alone."""
    with long_lived():
        from monolambda.api.transport.websocket import WebSocketRoute  # noqa: PLC0415

        live_settings()
        return WebSocketRoute(live=live, operations=live_operations)


@part
def live() -> LiveService:
    with long_lived():
        from monolambda.adapters import aws  # noqa: PLC0415
        from monolambda.adapters.apigw_connections import ManagementApiPoster  # noqa: PLC0415
        from monolambda.services.live import LiveLimits, LiveService  # noqa: PLC0415

        config = live_settings()
        management = config.management_url
        poster = ManagementApiPoster(lambda: aws.management_client(management))
        return LiveService(
            store=adapters.connection_store(),
            poster=lambda: poster,
            # No issuer: no authorizer, and every connection is the anonymous caller.
            tokens=adapters.token_verifier if config.issuer is not None else None,
            limits=LiveLimits(max_subscriptions=config.max_subscriptions),
        )


@part
def live_operations() -> LiveOperations:
    with long_lived():
        from monolambda.api.transport.live_operations import LiveOperations  # noqa: PLC0415

        return LiveOperations(schema(), services(), live(), trusted_documents())


def prepare() -> None:
    """Before a SnapStart snapshot (monolambda.snapstart): what the WebSocket route and the
    stream's live updates build on their first event, built now: the live service with its
    connection store (PynamoDB), the token check (PyJWT) and the subscriptions' operations
    (the schema)."""
    live()
    live_operations()
    if live_settings().issuer is not None:
        adapters.token_verifier()


def publish(images: list[Mapping[str, Any]], context: object) -> None:
    """The stream's changed jobs to their subscribers (services.live.publish)."""
    from monolambda.adapters.dynamo_jobs import DynamoJobStore  # noqa: PLC0415

    jobs = [DynamoJobStore.from_image(image) for image in images]
    request_id = str(getattr(context, "aws_request_id", "") or "stream")
    # The schema is built only when a change has a subscriber to render it for; what became
    # of the messages is counted (the LiveUpdates metric, services.live).
    live().publish(jobs, lambda job, found: live_operations().render(job, found, request_id))
