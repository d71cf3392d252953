"""template.yaml, read with the real parsers (cfn-lint's decoder, SAM's translator)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.support.sam_template import template as _template
from tests.support.sam_template import transformed as _transformed


def test_function_runtime_and_handler() -> None:
    template = _template()
    function = template["Resources"]["MonolambdaFunction"]["Properties"]
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    assert function["CodeUri"] == "src/"
    module_name, _, attribute = function["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module_name), attribute))
    assert globals_["Environment"]["Variables"]["APP_ENV"] == {"Ref": "Environment"}


def test_routes_are_post_and_get_graphql() -> None:
    events = _template()["Resources"]["MonolambdaFunction"]["Properties"]["Events"]
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"])
        for e in events.values()
        if e["Type"] == "HttpApi"
    }
    assert routes == {("POST", "/graphql"), ("GET", "/graphql")}


def _http_api(output: dict[str, Any]) -> dict[str, Any]:
    api: dict[str, Any]
    (api,) = [
        r
        for r in output["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Api"
        and r["Properties"].get("ProtocolType") != "WEBSOCKET"
    ]
    return api


def _security(output: dict[str, Any]) -> dict[str, Any]:
    api = _http_api(output)
    paths = api["Properties"]["Body"]["paths"]["/graphql"]
    return {method: op.get("security") for method, op in paths.items()}


def test_jwt_authorizer_guards_operations_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    output = _transformed(monkeypatch, AuthEnabled="true")
    # GET serves only the GraphiQL page, which a browser opens without a token.
    assert _security(output) == {"post": [{"CognitoJwt": []}], "get": [{"NONE": []}]}
    api = _http_api(output)
    scheme = api["Properties"]["Body"]["components"]["securitySchemes"]["CognitoJwt"]
    jwt = scheme["x-amazon-apigateway-authorizer"]["jwtConfiguration"]
    # The pool's issuer, as ProviderURL reads, by a Sub every CloudFormation resolves.
    assert jwt["issuer"] == {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool}"
    }
    assert jwt["audience"] == [{"Ref": "UserPoolClient"}]


def test_authorizer_switches_off(monkeypatch: pytest.MonkeyPatch) -> None:
    output = _transformed(monkeypatch, AuthEnabled="false")
    assert _security(output) == {"post": None, "get": None}


def _environment(output: dict[str, Any]) -> dict[str, Any]:
    function = output["Resources"]["MonolambdaFunction"]["Properties"]
    variables: dict[str, Any] = function["Environment"]["Variables"]
    return variables


def test_deployed_functions_get_no_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = _environment(_transformed(monkeypatch))
    assert "AWS_ENDPOINT_URL" not in variables
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in variables


def test_sam_local_can_point_the_function_at_the_stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = _environment(
        _transformed(
            monkeypatch,
            LocalAwsEndpoint="http://host.docker.internal:5000",
            LocalDynamoDbEndpoint="http://host.docker.internal:8000",
        )
    )
    assert variables["AWS_ENDPOINT_URL"] == "http://host.docker.internal:5000"
    assert variables["AWS_ENDPOINT_URL_DYNAMODB"] == "http://host.docker.internal:8000"


@pytest.mark.parametrize(("auth", "anonymous"), [("true", "false"), ("false", "true")])
def test_without_the_authorizer_the_function_serves_the_anonymous_caller(
    monkeypatch: pytest.MonkeyPatch, auth: str, anonymous: str
) -> None:
    # External finding: deployed with AuthEnabled=false, models and predict answered
    # UNAUTHENTICATED, so a no-auth stack could not predict at all.
    variables = _environment(_transformed(monkeypatch, AuthEnabled=auth))
    assert variables["ANONYMOUS_ACCESS"] == anonymous


def test_no_web_origin_is_allowed_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _http_api(_transformed(monkeypatch))["Properties"]["Body"]
    assert "x-amazon-apigateway-cors" not in body
    named = _transformed(monkeypatch, WebOrigins="https://app.example.com,https://b.example.com")
    cors = _http_api(named)["Properties"]["Body"]["x-amazon-apigateway-cors"]
    assert cors == {
        "allowOrigins": ["https://app.example.com", "https://b.example.com"],
        "allowMethods": ["GET", "POST"],
        "allowHeaders": ["authorization", "content-type"],
        "maxAge": 600,
    }


def test_the_hosted_sign_in_needs_a_domain_and_callback_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The browser client signs in through the user pool's hosted UI (code flow with PKCE),
    which sends users back to the client's own URLs only."""
    assert _template()["Resources"]["UserPoolDomain"]["Condition"] == "HasHostedSignIn"
    plain = _transformed(monkeypatch)["Resources"]
    assert "AllowedOAuthFlows" not in plain["UserPoolClient"]["Properties"]
    no_urls = _transformed(monkeypatch, AuthDomainPrefix="monolambda-test")["Resources"]
    assert "AllowedOAuthFlows" not in no_urls["UserPoolClient"]["Properties"]
    hosted = _transformed(
        monkeypatch, AuthDomainPrefix="monolambda-test", WebCallbackUrls="https://app.example.com/"
    )["Resources"]
    assert hosted["UserPoolDomain"]["Properties"]["Domain"] == "monolambda-test"
    client = hosted["UserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["CallbackURLs"] == ["https://app.example.com/"]
    assert client["LogoutURLs"] == ["https://app.example.com/"]
    # The password flow (make login) in dev only; prod keeps SRP.
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    prod = _transformed(monkeypatch, Environment="prod")["Resources"]["UserPoolClient"]
    assert prod["Properties"]["ExplicitAuthFlows"] == [
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]


def _statements(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every IAM statement the deployed template grants: inline role policies and
    AWS::IAM::Policy / ManagedPolicy documents, with the resource that holds each."""
    found = []
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        documents = []
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p.get("PolicyDocument") for p in properties.get("Policies") or []]
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(properties.get("PolicyDocument"))
        for document in documents:
            statements = (document or {}).get("Statement") or []
            for statement in statements if isinstance(statements, list) else [statements]:
                found.append((logical_id, statement))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("auth", ["true", "false"])
def test_no_policy_statement_grants_on_every_resource(
    monkeypatch: pytest.MonkeyPatch, auth: str
) -> None:
    """Least privilege, checked over what SAM makes of the template: no statement names "*"
    as its resource (none of this function's actions needs it)."""
    resources = _transformed(monkeypatch, AuthEnabled=auth)["Resources"]
    statements = _statements(resources)
    assert statements  # the function's role has its inline policies
    wildcards = [
        (logical_id, statement.get("Action"))
        for logical_id, statement in statements
        if "*" in _as_list(statement.get("Resource"))
    ]
    assert wildcards == []
