"""A WebSocket API in memory: API Gateway's side of graphql-transport-ws (the events it sends
the function) over the WebSocket route, the one schema and the live-update service, with the
in-memory stores and poster (tests/support/live_fakes.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

from monolambda.api.guard.trusted_documents import TrustedDocuments
from monolambda.api.transport.live_operations import LiveOperations
from monolambda.api.transport.websocket import WebSocketRoute
from monolambda.domain.jobs import Job
from monolambda.services.live import LiveLimits, LiveService
from tests.support.apigw import load_event
from tests.support.job_fakes import FakeJobStore, job_service
from tests.support.live_fakes import FakeConnectionStore, FakePoster, FakeTokens
from tests.support.schema import make_schema, make_services


class Socket:
    """One side of API Gateway: turns a client's frames into the events it sends."""

    def __init__(self, stack: Stack, connection_id: str) -> None:
        self.stack = stack
        self.id = connection_id

    def connect(self, protocols: str | None = "graphql-transport-ws") -> dict[str, Any]:
        event = copy.deepcopy(load_event("websocket-connect.json"))
        event["requestContext"]["connectionId"] = self.id
        if protocols is None:
            del event["headers"]["Sec-WebSocket-Protocol"]
        else:
            event["headers"]["Sec-WebSocket-Protocol"] = protocols
        answer: dict[str, Any] = self.stack.route(event, None)
        return answer

    def send(self, message: dict[str, Any] | str) -> None:
        event = copy.deepcopy(load_event("websocket-message-ping.json"))
        event["requestContext"]["connectionId"] = self.id
        event["body"] = message if isinstance(message, str) else json.dumps(message)
        assert self.stack.route(event, None) == {"statusCode": 200}

    def init(self, token: str | None = "token-alice") -> None:  # noqa: S107 - a fake's token
        payload = {} if token is None else {"Authorization": f"Bearer {token}"}
        self.send({"type": "connection_init", "payload": payload})

    def subscribe(self, message_id: str, query: str, **variables: Any) -> None:
        self.send(
            {
                "id": message_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )

    def disconnect(self) -> None:
        event = copy.deepcopy(load_event("websocket-disconnect.json"))
        event["requestContext"]["connectionId"] = self.id
        self.stack.route(event, None)

    @property
    def received(self) -> list[dict[str, Any]]:
        return self.stack.poster.received.get(self.id, [])

    @property
    def types(self) -> list[str]:
        return self.stack.poster.types(self.id)

    @property
    def closed(self) -> bool:
        return self.id in self.stack.poster.closed

    @property
    def close_code(self) -> int | None:
        """The protocol's close code, from the last message before the close."""
        if not self.closed:
            return None
        farewell = self.received[-1]
        assert farewell["type"] == "error"
        assert farewell["id"] == "connection"
        code: int = farewell["payload"][0]["extensions"]["closeCode"]
        return code


class Stack:
    def __init__(
        self,
        *,
        tokens: bool = True,
        limit: int = 20,
        env: str = "dev",
        trusted: TrustedDocuments | None = None,
    ) -> None:
        self.jobs = FakeJobStore()
        self.job_service = job_service(self.jobs)
        self.store = FakeConnectionStore()
        self.poster = FakePoster()
        self.live = LiveService(
            store=self.store,
            poster=lambda: self.poster,
            tokens=FakeTokens if tokens else None,
            limits=LiveLimits(max_subscriptions=limit),
        )
        self.operations = LiveOperations(
            make_schema(APP_ENV=env),
            make_services(jobs=self.job_service),
            self.live,
            trusted or TrustedDocuments({}, only=False),
        )
        self.route = WebSocketRoute(live=lambda: self.live, operations=lambda: self.operations)

    def socket(self, connection_id: str) -> Socket:
        return Socket(self, connection_id)

    def change(self, job_id: str, **changes: Any) -> Job:
        """A write to the job, then its stream record published, as the stream route does."""
        job = self.jobs.jobs[job_id]._replace(**changes)
        self.jobs.jobs[job_id] = job
        self.live.publish([job], lambda j, found: self.operations.render(j, found, "stream-1"))
        return job
