"""The composition root: the one place that names concrete adapters and wires them together.

Each route has its own part of the container, built the first time that route is invoked
and kept for the container's life, so a cold start pays only for its own route: an SQS, S3,
DynamoDB-stream or schedule event never imports Strawberry, Starlette or Mangum, and a
`{ health }` request never imports boto3, numpy, Pillow or onnxruntime.

- `lifetime`: how a part lives (built once, the collector paused, then frozen);
- `config`: the settings and the build's facts;
- `adapters`: the concrete adapters, each named here and nowhere else;
- `use_cases`: the services every route shares;
- one module per kind of route: `graphql_api` (HTTP, and the schema it shares),
  `live_route` (WebSocket and the live updates), `job_routes` (SQS, S3, stream, schedule).
"""

from monolambda import metrics
from monolambda.bootstrap.adapters import forget_connections, prepare_sdk
from monolambda.bootstrap.config import read_build_info, settings
from monolambda.bootstrap.graphql_api import http
from monolambda.bootstrap.job_routes import schedule_trigger, stream_trigger, upload_trigger, worker
from monolambda.bootstrap.lifetime import forget_parts
from monolambda.bootstrap.live_route import prepare as prepare_live
from monolambda.bootstrap.live_route import websocket
from monolambda.bootstrap.use_cases import services

__all__ = [
    "forget_connections",
    "http",
    "prepare_live",
    "prepare_sdk",
    "read_build_info",
    "reset",
    "schedule_trigger",
    "services",
    "settings",
    "stream_trigger",
    "upload_trigger",
    "websocket",
    "worker",
]


def reset() -> None:
    """Forget every part built so far, and what was read of the environment (tests change
    the environment between containers)."""
    forget_parts()
    metrics.forget_environment()
