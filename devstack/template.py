"""What the local stack needs from template.yaml, read as AWS reads it.

The template goes through the same steps CloudFormation applies at deploy time — the
AWS::LanguageExtensions processing, then SAM's own translator — and everything is taken from
the CloudFormation that comes out: functions, the routes of the API definitions SAM generates,
tables, queues, buckets, parameters and event-source mappings. The local stack therefore runs
what a deploy would create.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from samtranslator.sdk.parameter import SamParameterValues
from samtranslator.translator.transform import transform

from devstack.language_extensions import resolve_conditions
from devstack.local import LOCAL_REGION

# The translator reports usage metrics on exit unless published; there is nowhere to publish.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)

# SAM's integration URI names the function as ${Logical.Arn} inside an Fn::Sub.
_FUNCTION_IN_URI = re.compile(r"\$\{(\w+)\.Arn\}")


class TemplateError(Exception):
    """template.yaml cannot be read or has something the local stack cannot run."""


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    code_dir: Path
    # As in the template: values may still be Ref / Fn::GetAtt / Fn::Sub to resources, which
    # only have local names once the stand-ins run (devstack.names resolves them).
    raw_environment: dict[str, Any]
    memory_mb: int
    timeout_s: int


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # as declared: /graphql, /items/{id}, /{proxy+}
    function: str
    payload_version: str  # "2.0" for HttpApi by default, "1.0" for REST (Api)
    api: str
    authorizers: tuple[str, ...] = ()

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        return match_path(self.path, path)


@dataclass(frozen=True)
class Resource:
    """A CloudFormation resource after SAM's translation (a SimpleTable is a Table by then)."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    # What CloudFormation does with it when the stack is deleted (Retain: it stays).
    deletion_policy: str = "Delete"


@dataclass(frozen=True)
class SqsMapping:
    """An AWS::Lambda::EventSourceMapping from an SQS queue to a function."""

    logical_id: str
    function: str
    queue: str  # the queue's logical id
    batch_size: int
    batching_window_s: float
    report_batch_item_failures: bool
    enabled: bool
    # ScalingConfig.MaximumConcurrency as declared (a number or a Ref); None: no cap but the
    # function's.
    maximum_concurrency: Any = None


@dataclass(frozen=True)
class StreamMapping:
    """An AWS::Lambda::EventSourceMapping from a DynamoDB table's stream to a function."""

    logical_id: str
    function: str
    table: str  # the table's logical id
    batch_size: int
    batching_window_s: float
    starting_position: str
    report_batch_item_failures: bool
    bisect_on_error: bool
    maximum_retry_attempts: int  # -1: until the record expires
    on_failure: str | None  # an SQS queue's logical id
    enabled: bool


@dataclass(frozen=True)
class BucketNotification:
    """A bucket's NotificationConfiguration.LambdaConfigurations entry: which new objects
    invoke which function (asynchronously, as S3 does)."""

    bucket: str  # the bucket's logical id
    function: str
    events: tuple[str, ...]
    # S3's own filter rules, as the API takes them: [{"Name": "prefix", "Value": ...}].
    filter_rules: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Schedule:
    """An AWS::Events::Rule with a rate() expression whose target is a function."""

    logical_id: str
    function: str
    expression: str
    interval_s: float
    enabled: bool


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: Any  # intrinsics until devstack.names resolves them
    audience: list[Any]
    identity_source: str


@dataclass(frozen=True)
class Cors:
    """An HTTP API's CorsConfiguration (its OpenAPI x-amazon-apigateway-cors)."""

    origins: tuple[str, ...]
    methods: tuple[str, ...] = ("GET", "POST")
    headers: tuple[str, ...] = ("authorization", "content-type")
    max_age: int | None = None


@dataclass(frozen=True)
class WebSocketApi:
    """An AWS::ApiGatewayV2::Api of ProtocolType WEBSOCKET: its routes' functions by route
    key ($connect, $default, $disconnect, or a custom key) and its stage."""

    logical_id: str
    routes: dict[str, str]
    route_selection: str
    stage: str
    rate_limit: Any = None
    burst_limit: Any = None


@dataclass(frozen=True)
class LocalTemplate:
    functions: dict[str, Function]
    routes: list[Route]
    parameters: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    sqs_mappings: list[SqsMapping] = field(default_factory=list)
    stream_mappings: list[StreamMapping] = field(default_factory=list)
    bucket_notifications: list[BucketNotification] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    authorizers: dict[str, JwtAuthorizer] = field(default_factory=dict)
    # Metadata.monolambda.SecureParameters: SecureString names (intrinsics unresolved) that
    # the deploy creates with a random value, and the local stack too.
    secure_parameters: list[Any] = field(default_factory=list)
    websocket_apis: list[WebSocketApi] = field(default_factory=list)
    # An HTTP API's logical id -> its CORS configuration, when it has one.
    cors: dict[str, Cors] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type == resource_type]

    def route_for(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        # Literal routes win over parameterised ones, as in API Gateway.
        candidates = sorted(self.routes, key=lambda r: ("{" in r.path, r.method == "ANY"))
        for route in candidates:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None


def match_path(template: str, path: str) -> dict[str, str] | None:
    pattern_parts: list[str] = []
    for part in template.strip("/").split("/"):
        if part.startswith("{") and part.endswith("+}"):
            pattern_parts.append(f"(?P<{part[1:-2]}>.+)")
        elif part.startswith("{") and part.endswith("}"):
            pattern_parts.append(f"(?P<{part[1:-1]}>[^/]+)")
        else:
            pattern_parts.append(re.escape(part))
    found = re.fullmatch("/" + "/".join(pattern_parts), path.rstrip("/") or "/")
    return found.groupdict() if found else None


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def load(
    path: Path,
    overrides: Mapping[str, str] | None = None,
    preferred: Mapping[str, str] | None = None,
) -> LocalTemplate:
    """`overrides` must name declared parameters; `preferred` values apply where declared."""
    raw, problems = decode(str(path))
    if problems or raw is None:
        raise TemplateError(f"{path}: {problems[0] if problems else 'empty template'}")
    raw = dict(raw)
    declared = raw.get("Parameters") or {}
    chosen = {k: v for k, v in (preferred or {}).items() if k in declared}
    parameters = _parameters(raw, {**chosen, **(overrides or {})})
    os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)
    processed = resolve_conditions(raw, parameters)
    code_dirs: dict[str, Path] = {}
    for logical_id, resource in processed.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            code_dirs[logical_id] = (path.parent / resource["Properties"]["CodeUri"]).resolve()
            # The translator wants an S3 location; the local stack runs the code in place.
            resource["Properties"]["CodeUri"] = "s3://local/code.zip"
    try:
        output = transform(copy.deepcopy(processed), parameters, _NoManagedPolicies())
    except Exception as e:
        raise TemplateError(f"{path}: SAM cannot translate it: {e}") from e
    resources = {
        logical_id: Resource(
            logical_id,
            resource["Type"],
            dict(resource.get("Properties") or {}),
            str(resource.get("DeletionPolicy") or "Delete"),
        )
        for logical_id, resource in output["Resources"].items()
    }
    functions = {
        logical_id: _function(logical_id, resource.properties, code_dirs[logical_id])
        for logical_id, resource in resources.items()
        if resource.type == "AWS::Lambda::Function" and logical_id in code_dirs
    }
    return LocalTemplate(
        functions=functions,
        routes=[route for r in resources.values() for route in _routes(r)],
        parameters=_with_defaults(processed, parameters),
        resources=resources,
        sqs_mappings=[m for r in resources.values() if (m := _sqs_mapping(r, resources))],
        stream_mappings=[
            stream for r in resources.values() if (stream := _stream_mapping(r, resources))
        ],
        bucket_notifications=[n for r in resources.values() for n in _bucket_notifications(r)],
        schedules=[s for r in resources.values() for s in _schedules(r, functions)],
        authorizers={a.name: a for r in resources.values() for a in _authorizers(r)},
        secure_parameters=list(
            ((raw.get("Metadata") or {}).get("monolambda") or {}).get("SecureParameters") or []
        ),
        websocket_apis=[w for r in resources.values() if (w := _websocket_api(r, resources))],
        cors={r.logical_id: c for r in resources.values() if (c := _cors(r))},
    )


def _parameters(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"unknown template parameter(s): {', '.join(unknown)}")
    values = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
    values.update(overrides)
    missing = sorted(set(declared) - set(values))
    if missing:
        raise TemplateError(f"template parameter(s) without a value: {', '.join(missing)}")
    return values


def _with_defaults(template: Mapping[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    values = SamParameterValues(parameters)
    values.add_default_parameter_values(dict(template))
    return {k: str(v) for k, v in values.parameter_values.items()}


def _function(logical_id: str, properties: Mapping[str, Any], code_dir: Path) -> Function:
    return Function(
        logical_id=logical_id,
        handler=str(properties["Handler"]),
        code_dir=code_dir,
        raw_environment=dict((properties.get("Environment") or {}).get("Variables") or {}),
        memory_mb=properties.get("MemorySize", 128),
        timeout_s=properties.get("Timeout", 3),
    )


def _routes(resource: Resource) -> list[Route]:
    if resource.type not in ("AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi"):
        return []
    body = resource.properties.get("Body") or {}
    default_version = "2.0" if resource.type == "AWS::ApiGatewayV2::Api" else "1.0"
    routes: list[Route] = []
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in operations.items():
            integration = operation.get("x-amazon-apigateway-integration") or {}
            uri = integration.get("uri") or {}
            sub = uri.get("Fn::Sub", "") if isinstance(uri, dict) else ""
            found = _FUNCTION_IN_URI.search(str(sub))
            if not found:
                continue
            routes.append(
                Route(
                    method="ANY" if method == "x-amazon-apigateway-any-method" else method.upper(),
                    path=path,
                    function=found.group(1),
                    payload_version=str(integration.get("payloadFormatVersion", default_version)),
                    api=resource.logical_id,
                    authorizers=tuple(
                        name
                        for req in operation.get("security") or []
                        for name in req
                        if name != "NONE"  # SAM's marker for an unguarded route
                    ),
                )
            )
    return routes


def _cors(resource: Resource) -> Cors | None:
    if resource.type != "AWS::ApiGatewayV2::Api":
        return None
    config = (resource.properties.get("Body") or {}).get("x-amazon-apigateway-cors")
    if not isinstance(config, dict):
        return None

    def strings(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = config.get(name)
        return tuple(str(v) for v in value if v) if isinstance(value, list) else default

    max_age = config.get("maxAge")
    return Cors(
        origins=strings("allowOrigins", ()),
        methods=tuple(m.upper() for m in strings("allowMethods", ("GET", "POST"))),
        headers=tuple(h.lower() for h in strings("allowHeaders", ())),
        max_age=int(max_age) if isinstance(max_age, int | str) else None,
    )


def _websocket_api(resource: Resource, resources: Mapping[str, Resource]) -> WebSocketApi | None:
    if resource.type != "AWS::ApiGatewayV2::Api":
        return None
    if resource.properties.get("ProtocolType") != "WEBSOCKET":
        return None

    def of_this_api(r: Resource) -> bool:
        return r.properties.get("ApiId") == {"Ref": resource.logical_id}

    integrations: dict[str, str] = {}
    for r in resources.values():
        if r.type == "AWS::ApiGatewayV2::Integration" and of_this_api(r):
            uri = r.properties.get("IntegrationUri") or {}
            sub = uri.get("Fn::Sub", "") if isinstance(uri, dict) else ""
            found = _FUNCTION_IN_URI.search(str(sub[0] if isinstance(sub, list) else sub))
            if found:
                integrations[r.logical_id] = found.group(1)
    routes: dict[str, str] = {}
    for r in resources.values():
        if r.type == "AWS::ApiGatewayV2::Route" and of_this_api(r):
            target = r.properties.get("Target") or {}
            text = target.get("Fn::Sub", "") if isinstance(target, dict) else str(target)
            found = re.fullmatch(r"integrations/\$\{(\w+)\}", str(text))
            if found and found.group(1) in integrations:
                routes[str(r.properties["RouteKey"])] = integrations[found.group(1)]
    stages = [
        r for r in resources.values() if r.type == "AWS::ApiGatewayV2::Stage" and of_this_api(r)
    ]
    if not stages:
        raise TemplateError(f"the WebSocket API {resource.logical_id} has no stage")
    settings = stages[0].properties.get("DefaultRouteSettings") or {}
    return WebSocketApi(
        logical_id=resource.logical_id,
        routes=routes,
        route_selection=str(resource.properties.get("RouteSelectionExpression", "")),
        stage=str(stages[0].properties["StageName"]),
        rate_limit=settings.get("ThrottlingRateLimit"),
        burst_limit=settings.get("ThrottlingBurstLimit"),
    )


def _authorizers(resource: Resource) -> list[JwtAuthorizer]:
    if resource.type != "AWS::ApiGatewayV2::Api":
        return []
    schemes = ((resource.properties.get("Body") or {}).get("components") or {}).get(
        "securitySchemes"
    ) or {}
    found: list[JwtAuthorizer] = []
    for name, scheme in schemes.items():
        config = scheme.get("x-amazon-apigateway-authorizer") or {}
        if config.get("type") != "jwt":
            continue  # Lambda authorizers are not emulated
        jwt = config.get("jwtConfiguration") or {}
        found.append(
            JwtAuthorizer(
                name=name,
                issuer=jwt.get("issuer"),
                audience=list(jwt.get("audience") or []),
                identity_source=str(config.get("identitySource", "$request.header.Authorization")),
            )
        )
    return found


def _sqs_mapping(resource: Resource, resources: Mapping[str, Resource]) -> SqsMapping | None:
    if resource.type != "AWS::Lambda::EventSourceMapping":
        return None
    props = resource.properties
    source = props.get("EventSourceArn")
    if not (isinstance(source, dict) and "Fn::GetAtt" in source):
        return None
    queue = str(source["Fn::GetAtt"][0])
    if resources.get(queue) is None or resources[queue].type != "AWS::SQS::Queue":
        return None
    return SqsMapping(
        logical_id=resource.logical_id,
        function=_function_of(props),
        queue=queue,
        batch_size=int(props.get("BatchSize", 10)),
        batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or []),
        enabled=bool(props.get("Enabled", True)),
        maximum_concurrency=(props.get("ScalingConfig") or {}).get("MaximumConcurrency"),
    )


def _stream_mapping(resource: Resource, resources: Mapping[str, Resource]) -> StreamMapping | None:
    if resource.type != "AWS::Lambda::EventSourceMapping":
        return None
    props = resource.properties
    source = props.get("EventSourceArn")
    if not (isinstance(source, dict) and "Fn::GetAtt" in source):
        return None
    table, attribute = _get_att(source["Fn::GetAtt"])
    if attribute != "StreamArn" or (resources.get(table) or Resource("", "", {})).type != (
        "AWS::DynamoDB::Table"
    ):
        return None
    destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    on_failure = (
        _get_att(destination["Fn::GetAtt"])[0]
        if isinstance(destination, dict) and "Fn::GetAtt" in destination
        else None
    )
    return StreamMapping(
        logical_id=resource.logical_id,
        function=_function_of(props),
        table=table,
        batch_size=int(props.get("BatchSize", 100)),
        batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        starting_position=str(props.get("StartingPosition", "LATEST")),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or []),
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        on_failure=on_failure,
        enabled=bool(props.get("Enabled", True)),
    )


def _bucket_notifications(resource: Resource) -> list[BucketNotification]:
    if resource.type != "AWS::S3::Bucket":
        return []
    configuration = resource.properties.get("NotificationConfiguration") or {}
    found: list[BucketNotification] = []
    for entry in configuration.get("LambdaConfigurations") or []:
        function = entry.get("Function")
        if not (isinstance(function, dict) and "Fn::GetAtt" in function):
            raise TemplateError(
                f"{resource.logical_id}: a notification's Function must be "
                "!GetAtt <function>.Arn locally"
            )
        rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        found.append(
            BucketNotification(
                bucket=resource.logical_id,
                function=_get_att(function["Fn::GetAtt"])[0],
                events=(str(entry["Event"]),),
                filter_rules=tuple((str(r["Name"]), str(r["Value"])) for r in rules),
            )
        )
    return found


def _schedules(resource: Resource, functions: Mapping[str, Function]) -> list[Schedule]:
    if resource.type != "AWS::Events::Rule" or "ScheduleExpression" not in resource.properties:
        return []
    expression = str(resource.properties["ScheduleExpression"])
    found = _RATE.fullmatch(expression)
    if found is None:
        raise TemplateError(
            f"{resource.logical_id}: the local stack runs rate() schedules only, not {expression}"
        )
    interval = int(found.group(1)) * _UNIT_S[found.group(2).rstrip("s")]
    return [
        Schedule(
            logical_id=resource.logical_id,
            function=function,
            expression=expression,
            interval_s=float(interval),
            enabled=resource.properties.get("State", "ENABLED") == "ENABLED",
        )
        for target in resource.properties.get("Targets") or []
        if isinstance(target.get("Arn"), dict)
        and "Fn::GetAtt" in target["Arn"]
        and (function := _get_att(target["Arn"]["Fn::GetAtt"])[0]) in functions
    ]


def _get_att(argument: Any) -> tuple[str, str]:
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return str(logical_id), str(attribute)


def _function_of(props: Mapping[str, Any]) -> str:
    function = props.get("FunctionName")
    return str(function.get("Ref")) if isinstance(function, dict) else str(function)
