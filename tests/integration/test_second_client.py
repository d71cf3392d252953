"""Issue 27: a second team's client (examples/apollo-client: Apollo Client 4 in Node, its
types from GraphQL Code Generator, its manifest from Apollo's own generator, registered with
`make trusted-client`) against the local stack, in both modes, through Apollo's own links:

- trusted-only, its manifest registered: every operation takes one trip;
- documents not restricted, hashes made at run time (automatic persisted queries): the first
  request of an operation takes two trips, every later one takes one;
- trusted-only, an unregistered client: refused with a sentence that says how to register.

The example's query, mutation and subscription (a job watched to its end over the WebSocket
API) all run. Its generated files are checked current, as `make test` checks the web client's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts import trusted_documents
from tests.support.docs import named_block
from tests.support.processes import ROOT
from tests.support.stack import RunningStack, launch, shut_down

EXAMPLE = ROOT / "examples" / "apollo-client"
SEVEN = ROOT / "samples" / "seven.png"
NPX = shutil.which("npx") or "npx"
NODE = shutil.which("node") or "node"


def npm(*args: str) -> None:
    subprocess.run(
        [shutil.which("npm") or "npm", "run", "--silent", *args],
        cwd=EXAMPLE,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def built() -> Path:
    """The example compiled (dist/ is not committed), its generated files checked current."""
    npm("codegen:check")
    npm("manifest:check")
    npm("build")
    return EXAMPLE / "dist" / "main.js"


@pytest.fixture(scope="module")
def trusted_only_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = launch(
        tmp_path_factory.mktemp("trusted-only"),
        "--parameter-overrides",
        "TrustedDocumentsOnly=true",
    )
    yield stack
    shut_down(stack)


def run(main: Path, stack: RunningStack, mode: str) -> dict[str, Any]:
    finished = subprocess.run(
        [NODE, str(main), f"{stack.api}/graphql", ws_url(stack), mode, str(SEVEN)],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MONOLAMBDA_TOKEN": stack.token},
        check=False,
    )
    report: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    report["returncode"] = finished.returncode
    report["stderr"] = finished.stderr
    return report


def ws_url(stack: RunningStack) -> str:
    return stack.api.replace("http://", "ws://", 1) + "/graphql"


def test_the_registered_manifest_is_the_examples_own() -> None:
    """What `make trusted-client NAME=apollo-example MANIFEST=...` writes from the committed
    manifest is what ships: the example and its registration cannot drift apart."""
    manifest = json.loads((EXAMPLE / "persisted-query-manifest.json").read_text())
    documents = trusted_documents.documents_of(manifest)
    shipped = json.loads(
        (ROOT / "src/monolambda/api/guard/trusted-documents/apollo-example.json").read_text()
    )
    assert shipped == {f"sha256:{d}": text for d, text in documents.items()}


def test_a_registered_client_takes_one_trip_per_operation_in_trusted_only_mode(
    built: Path, trusted_only_stack: RunningStack
) -> None:
    report = run(built, trusted_only_stack, "trusted")
    assert report["returncode"] == 0, report
    assert report["trips"] == {"Session": 2, "RecentJobs": 2, "SubmitJob": 1}
    assert report["statuses"][-1] == "SUCCEEDED"
    assert report["best"] == "7"


def test_automatic_persisted_queries_register_on_the_first_request(
    built: Path, jobs_stack: RunningStack
) -> None:
    """Hashes made at run time, as Apollo's link makes them: the registered operations are
    the manifest's own (one trip each); Version, registered by nobody, is sent twice: the
    first takes two trips (PersistedQueryNotFound, then the text, which registers it), the
    second one."""
    jobs_stack.reset()
    report = run(built, jobs_stack, "apq")
    assert report["returncode"] == 0, report
    assert report["trips"] == {"Session": 2, "RecentJobs": 2, "Version": 3, "SubmitJob": 1}
    assert report["version_second"]  # answered, by its hash alone
    assert report["statuses"][-1] == "SUCCEEDED"
    # Registered for good: a new process (another container of the function serves it
    # from the store the first one wrote) takes one trip each.
    again = run(built, jobs_stack, "apq")
    assert again["trips"] == {"Session": 2, "RecentJobs": 2, "Version": 2, "SubmitJob": 1}


def test_an_unregistered_operation_is_refused_with_how_to_register_in_trusted_only_mode(
    built: Path, trusted_only_stack: RunningStack
) -> None:
    """Hashes made at run time match the registered manifest's (Apollo's generator made it
    as Apollo Client prints), so Session and RecentJobs run; Version, registered by nobody,
    is refused with a sentence that says how to register it."""
    report = run(built, trusted_only_stack, "apq")
    assert report["returncode"] == 1
    assert report["session_first"]
    assert "make trusted-client NAME=<client> MANIFEST=<its manifest>" in report["error"]
    assert "the client 'apollo-example' has registered none with this text" in report["error"]


def test_the_documented_manifest_commands_are_the_examples() -> None:
    """docs/clients/second-client.md installs Apollo's generator and runs it; the example has
    it pinned and runs it as `npm run manifest` (whose output `manifest:check` holds)."""
    commands = [
        line.split("#")[0].split()
        for line in named_block("apollo-manifest").text.splitlines()
        if line.strip()
    ]
    package = json.loads((EXAMPLE / "package.json").read_text())
    installed = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert commands[0][:3] == ["npm", "install", "--save-dev"]
    assert all(name in installed for name in commands[0][3:])
    assert commands[1][0] == "npx"
    assert package["scripts"]["manifest"] == " ".join(commands[1][1:])
