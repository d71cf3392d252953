"""GraphQL over the WebSocket API: a `subscribe` message run through the one schema (its
limits, cost bound and error policy included), and a job's change rendered for each
subscription by executing that subscription's document against the job's new state.

A subscription operation runs its field once, at subscribe: the field stores the
subscription (through the Listener) and yields what the first message shows. Every later
message is the document executed again with the changed job as the event, as the GraphQL
spec's ExecuteSubscriptionEvent does, on the stream route that saw the change.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import GraphQLError
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from monolambda.api.graph.context import Context
from monolambda.api.graph.job_types import Job
from monolambda.api.graph.schema import MonolambdaSchema
from monolambda.api.guard.trusted_documents import DocumentRefusedError, TrustedDocuments
from monolambda.domain.errors import BadUserInputError
from monolambda.domain.identity import Caller
from monolambda.domain.jobs import Job as DomainJob
from monolambda.domain.live import (
    ALL_JOBS,
    MAX_MESSAGE_BYTES,
    Close,
    Connection,
    MessageType,
    Subscription,
    SubscriptionRefusedError,
    job_topic,
)
from monolambda.services import Services
from monolambda.services.live import REFUSED, LiveService

_OVER_A_SOCKET = (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION)
_EVENTS_ONLY = (OperationType.SUBSCRIPTION,)


class _Request(NamedTuple):
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


@dataclass
class Listener:
    """The subscription a `subscribe` message opens (api.graph.live_fields.SubscriptionListener)."""

    live: LiveService
    connection: Connection
    id: str
    query: str
    variables: Mapping[str, Any] | None
    operation_name: str | None
    opened: Subscription | None = None
    job: DomainJob | None = None
    refusal: Close | None = None

    def open_job(self, job_id: str) -> None:
        self._open(job_topic(job_id), None)

    def open_jobs(self, status: str | None) -> None:
        self._open(ALL_JOBS, status)

    def first_state(self, job: DomainJob) -> None:
        self.job = job

    def _open(self, topic: str, status: str | None) -> None:
        caller = self.connection.caller
        if caller is None:  # the route checks first; a field must not store an anonymous one
            raise BadUserInputError("connection_init first")
        subscription = Subscription(
            connection_id=self.connection.id,
            id=self.id,
            subscriber=caller,
            topic=topic,
            query=self.query,
            variables=self.variables,
            operation_name=self.operation_name,
            status=status,
        )
        try:
            self.live.subscribe(subscription)
        except SubscriptionRefusedError as refused:
            self.refusal = refused.close
            raise BadUserInputError(str(refused)) from None
        self.opened = subscription


class LiveOperations:
    def __init__(
        self,
        schema: MonolambdaSchema,
        services: Services,
        live: LiveService,
        trusted: TrustedDocuments,
    ) -> None:
        self._schema = schema
        self._services = services
        self._live = live
        self._trusted = trusted

    # --- a `subscribe` message -------------------------------------------------------------
    def subscribe(
        self, connection: Connection, message_id: str, payload: Mapping[str, Any], request_id: str
    ) -> Close | None:
        """Runs the operation: a query or mutation answers `next` and `complete`; a
        subscription answers its first state, if it has one, and stays open. A Close when
        the connection must end instead (the id is in use)."""
        request = self._request(connection.id, message_id, payload)
        if not isinstance(request, _Request):
            return request
        query, variables, operation_name = request.query, request.variables, request.operation_name
        listener = Listener(self._live, connection, message_id, query, variables, operation_name)
        context = self._context(connection.caller, request_id, listener)
        result = asyncio.run(self._first_result(query, variables, operation_name, context))
        if listener.refusal is not None:
            return listener.refusal
        live = self._live
        if result is None:  # a subscription with nothing to show yet (jobsUpdated)
            return None
        if result.errors and result.data is None:
            # Refused before anything ran (a limit, validation, NOT_FOUND): the operation
            # ends here, with nothing stored.
            if listener.opened is not None:
                live.unsubscribe(connection.id, message_id)
            live.deliver(connection.id, message_id, [_error(message_id, result)])
            return None
        complete = {"id": message_id, "type": MessageType.COMPLETE.value}
        if listener.opened is None:  # a query or a mutation
            live.deliver(connection.id, message_id, [_next(message_id, result), complete])
        elif listener.job is not None and listener.job.status.terminal:
            # Finished already: its last message goes out once, from here or from the
            # publication of its terminal state, whichever ends the subscription first.
            if live.unsubscribe(connection.id, message_id):
                live.deliver(connection.id, message_id, [_next(message_id, result), complete])
        elif live.deliver(connection.id, message_id, [_next(message_id, result)]) == REFUSED:
            live.unsubscribe(connection.id, message_id)
        return None

    def _request(
        self, connection_id: str, message_id: str, payload: Mapping[str, Any]
    ) -> _Request | Close | None:
        """The payload's document (a trusted one's text when it names one by hash), variables
        and operation name; or a Close, or None once a refusal was sent."""
        try:
            query = self._trusted.query_of(payload)
        except DocumentRefusedError as refused:
            error = {"message": str(refused), "extensions": {"code": refused.code}}
            self._live.send(
                connection_id,
                {"id": message_id, "type": MessageType.ERROR.value, "payload": [error]},
            )
            return None
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict | None):
            return Close(4400, "Invalid subscribe payload")
        if not isinstance(operation_name, str | None):
            return Close(4400, "Invalid subscribe payload")
        return _Request(query, variables, operation_name or None)

    async def _first_result(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Context,
    ) -> ExecutionResult | None:
        try:
            results = await self._schema.stream(
                query=query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=_OVER_A_SOCKET,
            )
        except CannotGetOperationTypeError as refused:
            # Over HTTP, a 400 with this reason (several operations and no operationName,
            # or an operationName the document does not have).
            error = GraphQLError(refused.as_http_error_reason(), extensions={"code": "BAD_REQUEST"})
            return ExecutionResult(data=None, errors=[error])
        try:
            async for result in results:
                if not isinstance(result, ExecutionResult):  # @defer/@stream: not in this schema
                    raise TypeError("an incremental result over a WebSocket")
                return self._schema.shaped(result, context)
        finally:
            await results.aclose()
        return None

    # --- publishing a change ----------------------------------------------------------------
    def render(
        self, job: DomainJob, subscriptions: Sequence[Subscription], request_id: str
    ) -> list[tuple[Subscription, list[dict[str, Any]]]]:
        """Each subscription's messages for the job's new state. Subscriptions that ask the
        same (document, variables) share one execution."""
        groups: dict[tuple[str, str | None, str], list[Subscription]] = {}
        for subscription in subscriptions:
            key = (
                subscription.query,
                subscription.operation_name,
                json.dumps(subscription.variables, sort_keys=True),
            )
            groups.setdefault(key, []).append(subscription)
        results = asyncio.run(self._execute_all(job, list(groups.values()), request_id))
        rendered: list[tuple[Subscription, list[dict[str, Any]]]] = []
        for members, result in zip(groups.values(), results, strict=True):
            for subscription in members:
                messages = [_next(subscription.id, result)]
                if job.status.terminal and subscription.ends_with_its_job:
                    messages.append({"id": subscription.id, "type": MessageType.COMPLETE.value})
                rendered.append((subscription, messages))
        return rendered

    async def _execute_all(
        self, job: DomainJob, groups: list[list[Subscription]], request_id: str
    ) -> list[ExecutionResult]:
        executions = (self._execute(job, members[0], request_id) for members in groups)
        return list(await asyncio.gather(*executions))

    async def _execute(
        self, job: DomainJob, subscription: Subscription, request_id: str
    ) -> ExecutionResult:
        context = self._context(subscription.subscriber, request_id, None)
        return await self._schema.execute(
            subscription.query,
            variable_values=dict(subscription.variables or {}),
            context_value=context,
            root_value=Job.of(job),
            operation_name=subscription.operation_name,
            allowed_operation_types=_EVENTS_ONLY,
        )

    def _context(
        self, caller: Caller | None, request_id: str, listener: Listener | None
    ) -> Context:
        return Context(
            services=self._services,
            caller=caller,
            request_id=request_id,
            budget=self._services.budget(),
            loaders={},
            live=listener,
            # What one message carries: the answer's estimate is held to it before anything
            # runs (a subscription's at subscribe, for every later update too).
            max_answer_bytes=MAX_MESSAGE_BYTES,
        )


def _payload(result: ExecutionResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [e.formatted for e in result.errors]
    return payload


def _next(message_id: str, result: ExecutionResult) -> dict[str, Any]:
    return {"id": message_id, "type": MessageType.NEXT.value, "payload": _payload(result)}


def _error(message_id: str, result: ExecutionResult) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": MessageType.ERROR.value,
        "payload": [e.formatted for e in result.errors or ()],
    }
