"""--env-vars in sam's format: declared variables are overridden, others ignored (as sam does)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.processes import stop
from tests.support.stack import FIXTURE_TEMPLATE, http, launch


def test_env_vars_file_overrides_declared_variables(tmp_path: Path) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps(
            {
                "Parameters": {"FILES_BUCKET": "from-parameters", "UNDECLARED_TABLE": "ignored"},
                "Worker": {"GREETING_PARAMETER": "/from/function"},
            }
        )
    )
    stack = launch(
        tmp_path / "state", "--template", str(FIXTURE_TEMPLATE), "--env-vars", str(env_file)
    )
    try:
        status, _, raw = http(
            f"{stack.api}/echo", data=b"{}", headers={"content-type": "application/json"}
        )
        assert status == 200
        environment = json.loads(raw)["environment"]
        assert environment["FILES_BUCKET"] == "from-parameters"
        assert environment["GREETING_PARAMETER"] == "/from/function"
        assert environment["ITEMS_TABLE"] == "monolambda-local-ItemsTable"  # untouched
        assert "UNDECLARED_TABLE" not in environment  # the echo shows *_TABLE names
    finally:
        stop(stack.process)
    assert stack.process.returncode == 0
