"""template.yaml as the real parsers read it: cfn-lint's decoder, then (for what AWS would
deploy) the language extensions resolved and SAM's own translator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode
from samtranslator.translator.transform import transform

from devstack.template import resolve_conditions

ROOT = Path(__file__).resolve().parents[2]


def template() -> dict[str, Any]:
    decoded, matches = decode(str(ROOT / "template.yaml"))
    assert not matches, matches
    assert decoded is not None
    return dict(decoded)


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def transformed(monkeypatch: pytest.MonkeyPatch, **parameters: str) -> dict[str, Any]:
    """The CloudFormation that AWS would deploy for these parameter values."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    resolved = resolve_conditions(template(), parameters)
    resolved["Resources"]["MonolambdaFunction"]["Properties"]["CodeUri"] = "s3://bucket/key.zip"
    result: dict[str, Any] = transform(resolved, parameters, _NoManagedPolicies())
    return result


def _holds(condition: Any, conditions: dict[str, Any]) -> bool:
    """A resolved condition's value (its parameters already replaced by their values)."""
    if not isinstance(condition, dict) or len(condition) != 1:
        raise ValueError(f"not a resolved condition: {condition!r}")
    ((function, argument),) = condition.items()
    if function == "Condition":
        return _holds(conditions[argument], conditions)
    if function == "Fn::Equals":
        left, right = argument
        return str(left) == str(right)
    if function == "Fn::Not":
        return not _holds(argument[0], conditions)
    if function == "Fn::And":
        return all(_holds(c, conditions) for c in argument)
    if function == "Fn::Or":
        return any(_holds(c, conditions) for c in argument)
    raise ValueError(f"unknown condition function {function}")


def deployed(monkeypatch: pytest.MonkeyPatch, **parameters: str) -> dict[str, Any]:
    """The resources CloudFormation would make: those whose Condition is false dropped."""
    output = transformed(monkeypatch, **parameters)
    conditions = output.get("Conditions") or {}
    resources: dict[str, Any] = {
        logical_id: resource
        for logical_id, resource in output["Resources"].items()
        if "Condition" not in resource or _holds({"Condition": resource["Condition"]}, conditions)
    }
    return resources
