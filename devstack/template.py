"""What the local stack needs from template.yaml, read as AWS reads it.

The template goes through the same steps CloudFormation applies at deploy time — the
AWS::LanguageExtensions processing, then SAM's own translator — and the routes are taken from
the API definitions SAM generates, so the local gateway serves what a deploy would.
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
from samcli.lib.cfn_language_extensions.api import process_template
from samtranslator.intrinsics.resolver import IntrinsicsResolver
from samtranslator.sdk.parameter import SamParameterValues
from samtranslator.translator.transform import transform

# The translator reports usage metrics on exit unless published; there is nowhere to publish.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
# SAM's integration URI names the function as ${Logical.Arn} inside an Fn::Sub.
_FUNCTION_IN_URI = re.compile(r"\$\{(\w+)\.Arn\}")


class TemplateError(Exception):
    """template.yaml cannot be read or has something the local stack cannot run."""


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    code_dir: Path
    environment: dict[str, str]
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
class LocalTemplate:
    functions: dict[str, Function]
    routes: list[Route]
    parameters: dict[str, str] = field(default_factory=dict)

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


def load(path: Path, overrides: Mapping[str, str] | None = None) -> LocalTemplate:
    raw, problems = decode(str(path))
    if problems or raw is None:
        raise TemplateError(f"{path}: {problems[0] if problems else 'empty template'}")
    raw = dict(raw)
    parameters = _parameters(raw, overrides or {})
    os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)
    processed = process_template(raw, parameters)
    processed["Transform"] = "AWS::Serverless-2016-10-31"
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
    resolver = IntrinsicsResolver(_with_pseudo_parameters(processed, parameters))
    functions = {
        logical_id: _function(logical_id, resource["Properties"], code_dirs, resolver)
        for logical_id, resource in output["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and logical_id in code_dirs
    }
    routes = [
        route
        for logical_id, resource in output["Resources"].items()
        for route in _routes(logical_id, resource)
    ]
    return LocalTemplate(functions=functions, routes=routes, parameters=parameters)


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


def _with_pseudo_parameters(
    template: Mapping[str, Any], parameters: dict[str, str]
) -> dict[str, Any]:
    values = SamParameterValues(parameters)
    values.add_default_parameter_values(dict(template))
    resolved: dict[str, Any] = dict(values.parameter_values)
    resolved.update(
        {
            "AWS::Region": os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION),
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": "monolambda-local",
            "AWS::URLSuffix": "amazonaws.com",
        }
    )
    return resolved


def _function(
    logical_id: str,
    properties: Mapping[str, Any],
    code_dirs: Mapping[str, Path],
    resolver: IntrinsicsResolver,
) -> Function:
    variables = resolver.resolve_parameter_refs(
        (properties.get("Environment") or {}).get("Variables") or {}
    )
    unresolved = sorted(
        k for k, v in variables.items() if not isinstance(v, str | int | float | bool)
    )
    if unresolved:
        raise TemplateError(
            f"{logical_id}: environment variable(s) {', '.join(unresolved)} refer to resources; "
            "give them values with --env-vars"
        )
    return Function(
        logical_id=logical_id,
        handler=str(properties["Handler"]),
        code_dir=code_dirs[logical_id],
        environment={k: str(v) for k, v in variables.items()},
        memory_mb=int(resolver.resolve_parameter_refs(properties.get("MemorySize", 128))),
        timeout_s=int(resolver.resolve_parameter_refs(properties.get("Timeout", 3))),
    )


def _routes(api_id: str, resource: Mapping[str, Any]) -> list[Route]:
    kind = resource.get("Type")
    if kind not in ("AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi"):
        return []
    body = (resource.get("Properties") or {}).get("Body") or {}
    default_version = "2.0" if kind == "AWS::ApiGatewayV2::Api" else "1.0"
    routes: list[Route] = []
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in operations.items():
            integration = operation.get("x-amazon-apigateway-integration") or {}
            uri = integration.get("uri") or {}
            found = _FUNCTION_IN_URI.search(
                str(uri.get("Fn::Sub", "")) if isinstance(uri, dict) else ""
            )
            if not found:
                continue
            routes.append(
                Route(
                    method="ANY" if method == "x-amazon-apigateway-any-method" else method.upper(),
                    path=path,
                    function=found.group(1),
                    payload_version=str(integration.get("payloadFormatVersion", default_version)),
                    api=api_id,
                    authorizers=tuple(
                        name for req in operation.get("security") or [] for name in req
                    ),
                )
            )
    return routes
