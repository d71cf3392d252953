"""Issue 29, findings 3, 5 and 6: the template as `make deploy RESOLVED=1` deploys it (the
language extensions resolved here, scripts/deploy.py), for each profile a user deploys.

- Environment values are strings (a Number parameter reached the function as a number, and
  on an emulator every invocation failed before the handler).
- It lints clean with cfn-lint and `sam validate --lint` (resources switched off by their
  condition kept their type with their properties resolved away: E3003 on the alarms'
  dimensions, UserPoolDomain without UserPoolId and Domain).
- Its WebConfig output is JSON or absent (with a pool but no hosted sign-in it was a
  sentence, which the static-deploy recipe wrote into config.json)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.slow

HOSTED = "AuthDomainPrefix=monolambda-x WebCallbackUrls=https://app.example.com/"
ALARMS = "AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:alarms"
PROFILES = {
    "dev": ("dev", ""),
    "dev, no pool": ("dev", "AuthEnabled=false"),
    "prod": ("prod", ""),
    "prod, hosted sign-in and alarms": ("prod", f"{HOSTED} {ALARMS}"),
    "prod, snapstart": ("prod", "SnapStart=PublishedVersions ReservedConcurrency=20"),
}


def resolved(tmp_path: Path, env: str, params: str) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "template.resolved.json"
    done = subprocess.run(
        [
            ROOT / ".venv/bin/python",
            "scripts/deploy.py",
            "template",
            env,
            "--params",
            params,
            "--source",
            str(ROOT / "template.yaml"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out, json.loads(out.read_text())


@pytest.mark.parametrize("profile", PROFILES)
def test_the_resolved_template_lints_clean(tmp_path: Path, profile: str) -> None:
    out, template = resolved(tmp_path, *PROFILES[profile])
    assert "Conditions" not in template
    assert not [name for name, r in template["Resources"].items() if "Condition" in r]
    lint = subprocess.run(
        [ROOT / ".venv/bin/cfn-lint", str(out)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout
    validate = subprocess.run(
        [ROOT / ".venv/bin/sam", "validate", "--lint", "--template-file", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={"SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


@pytest.mark.parametrize("profile", PROFILES)
def test_environment_values_are_strings(tmp_path: Path, profile: str) -> None:
    _, template = resolved(tmp_path, *PROFILES[profile])
    function = template["Resources"]["MonolambdaFunction"]["Properties"]
    variables = {
        **template["Globals"]["Function"]["Environment"]["Variables"],
        **function["Environment"]["Variables"],
    }
    assert variables["JOBS_MAX_RECEIVES"] == "3"
    assert variables["FUNCTION_TIMEOUT_S"] == "29"
    not_strings = {k: v for k, v in variables.items() if not isinstance(v, str | dict)}
    assert not_strings == {}


def test_alarms_and_the_hosted_sign_in_exist_only_when_asked(tmp_path: Path) -> None:
    _, bare = resolved(tmp_path, "prod", "")
    _, full = resolved(tmp_path, "prod", f"{HOSTED} {ALARMS}")
    alarms = {n for n, r in full["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) == 6
    assert "UserPoolDomain" in full["Resources"]
    assert not alarms & set(bare["Resources"])
    assert "UserPoolDomain" not in bare["Resources"]


def _as_deployed(value: Any) -> str:
    """An output's Fn::Sub with each ${...} replaced by a value of the kind it stands for."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return re.sub(r"\$\{([^}]+)\}", lambda m: f"x-{m.group(1).replace('.', '-')}", text)


@pytest.mark.parametrize(
    ("profile", "has_config", "kind"),
    [
        ("dev, no pool", True, "none"),
        ("dev", False, None),
        ("prod, hosted sign-in and alarms", True, "oidc"),
    ],
)
def test_the_web_config_output_is_json_or_absent(
    tmp_path: Path, profile: str, has_config: bool, kind: str | None
) -> None:
    _, template = resolved(tmp_path, *PROFILES[profile])
    outputs = template["Outputs"]
    assert ("WebConfig" in outputs) is has_config
    if has_config:
        config = json.loads(_as_deployed(outputs["WebConfig"]["Value"]))
        assert config["auth"]["kind"] == kind
        assert config["graphqlUrl"].endswith("/graphql")
