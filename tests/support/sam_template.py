"""template.yaml as the real parsers read it: cfn-lint's decoder, then (for what AWS would
deploy) the language extensions resolved and SAM's own translator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode
from samtranslator.translator.transform import transform

from devstack.language_extensions import resolve_conditions

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


def deployed(monkeypatch: pytest.MonkeyPatch, **parameters: str) -> dict[str, Any]:
    """The resources CloudFormation would make (the resolver already dropped those whose
    condition is false)."""
    resources: dict[str, Any] = transformed(monkeypatch, **parameters)["Resources"]
    return resources
