"""The function's metrics: one EMF document per set of dimensions, written as an invocation
ends, with dimensions from bounded sets only (a document's names never become one)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from monolambda import metrics
from monolambda.triggers.stream import StreamTrigger
from scripts import emf_templates
from tests.conftest import Invoke
from tests.support.apigw import http_api_event
from tests.support.job_fakes import FakeQueue
from tests.support.processes import ROOT
from tests.support.records import job_image, stream_record


def documents(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def values(out: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each metric written, by name and dimensions (service left out), summed."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for document in documents(out):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "monolambda"
        (names,) = directive["Dimensions"]
        dimensions = tuple(sorted((n, document[n]) for n in names if n != "service"))
        for metric in directive["Metrics"]:
            value = document[metric["Name"]]
            total = sum(value) if isinstance(value, list) else value
            key = (metric["Name"], dimensions)
            found[key] = found.get(key, 0) + total
    return found


def request(invoke: Invoke, body: dict[str, Any]) -> None:
    invoke(http_api_event(body, claims={"sub": "alice"}))


def test_a_request_counts_its_operation_and_outcome(
    invoke: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    request(invoke, {"query": "query Mine { health { status } }"})
    written = values(capsys.readouterr().out)
    key = ("Requests", (("operation", "health"), ("outcome", "ok"), ("route", "http")))
    assert written[key] == 1


@pytest.mark.parametrize(
    ("query", "operation", "outcome"),
    [
        # No jobs table is configured here: the resolver's own code.
        ('{ job(id: "nope") { id } }', "job", "UNAVAILABLE"),
        ("{ health { nosuchfield } }", "health", "GRAPHQL_VALIDATION_FAILED"),
        ("{ attackerChosenName123 }", "other", "GRAPHQL_VALIDATION_FAILED"),
        ("{ __schema { queryType { name } } }", "introspection", "ok"),
        ("{ health {", "none", "GRAPHQL_PARSE_FAILED"),
    ],
)
def test_dimensions_come_from_bounded_sets(
    invoke: Invoke,
    capsys: pytest.CaptureFixture[str],
    query: str,
    operation: str,
    outcome: str,
) -> None:
    capsys.readouterr()
    request(invoke, {"query": query})
    written = values(capsys.readouterr().out)
    requests = {k[1]: v for k, v in written.items() if k[0] == "Requests"}
    assert requests == {(("operation", operation), ("outcome", outcome), ("route", "http")): 1}


def test_a_refused_body_counts_its_code(invoke: Invoke, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    invoke(http_api_event("not json", headers={"content-type": "application/json"}))
    written = values(capsys.readouterr().out)
    assert [k for k in written if k[0] == "Requests"] == [
        ("Requests", (("operation", "none"), ("outcome", "BAD_REQUEST"), ("route", "http")))
    ]


def test_the_first_invocation_counts_a_cold_start(
    invoke: Invoke, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(metrics._state, "cold", True)  # as in a new container
    capsys.readouterr()
    request(invoke, {"query": "{ health { status } }"})
    request(invoke, {"query": "{ health { status } }"})
    written = values(capsys.readouterr().out)
    assert written[("ColdStart", (("route", "http"),))] == 1
    # The second document is the first's shape with its own value (metrics._document).
    key = ("Requests", (("operation", "health"), ("outcome", "ok"), ("route", "http")))
    assert written[key] == 2


def test_disabled_metrics_write_nothing(
    invoke: Invoke, capsys: pytest.CaptureFixture[str], configure: Callable[..., None]
) -> None:
    configure(POWERTOOLS_METRICS_DISABLED="true")  # a container's environment
    capsys.readouterr()
    request(invoke, {"query": "{ health { status } }"})
    assert documents(capsys.readouterr().out) == []


def test_a_containers_namespace_is_its_environments_and_each_line_its_own_values(
    configure: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    """The environment is read once per container (bootstrap.reset forgets it), and the
    lines made from a series' cached text still carry each invocation's values and time."""
    for namespace in ("team-a", "team-b"):
        configure(POWERTOOLS_METRICS_NAMESPACE=namespace)
        capsys.readouterr()
        for value in (2, 5):
            with metrics.invocation("dynamodb-stream"):
                metrics.count("JobsSubmitted", value)
                metrics.count("JobsFinished", 1, status="SUCCEEDED")
                metrics.count("JobsFinished", 1, status="SUCCEEDED")
        written = documents(capsys.readouterr().out)
        assert {d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in written} == {namespace}
        assert [d["JobsSubmitted"] for d in written if "JobsSubmitted" in d] == [[2.0], [5.0]]
        assert [d["JobsFinished"] for d in written if "JobsFinished" in d] == [[1.0, 1.0]] * 2
        assert all(isinstance(d["_aws"]["Timestamp"], int) for d in written)


def test_the_outbox_counts_jobs_submitted_and_finished_by_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = [
        stream_record("INSERT", job_image(), None, "1"),
        stream_record("MODIFY", job_image("RUNNING"), job_image("QUEUED"), "2"),
        stream_record("MODIFY", job_image("SUCCEEDED"), job_image("RUNNING"), "3"),
        # A later change of a finished job (its webhook's record): not finished again.
        stream_record("MODIFY", job_image("SUCCEEDED"), job_image("SUCCEEDED"), "4"),
        stream_record("MODIFY", job_image("CANCELLED"), job_image("QUEUED"), "5"),
    ]
    capsys.readouterr()
    with metrics.invocation("dynamodb-stream"):
        StreamTrigger(queue=FakeQueue)({"Records": records}, None)
    written = values(capsys.readouterr().out)
    assert written[("JobsSubmitted", ())] == 1
    assert written[("JobsFinished", (("status", "SUCCEEDED"),))] == 1
    assert written[("JobsFinished", (("status", "CANCELLED"),))] == 1
    assert not any(k[0] == "Requests" for k in written)


def test_the_shipped_lines_are_what_powertools_writes_today() -> None:
    """emf-templates.json holds Powertools' document of each declared metric: a change of
    Powertools' format, or of METRICS, fails here until `make metrics-templates`."""
    assert json.loads(metrics.TEMPLATES_FILE.read_text()) == emf_templates.templates()


@pytest.mark.parametrize("name", sorted(metrics.METRICS))
def test_a_written_line_reads_as_the_providers_own_document(name: str) -> None:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (  # noqa: PLC0415
        AmazonCloudWatchEMFProvider,
    )

    unit, dimensions = metrics.METRICS[name]
    labels = {d: f'{d}-value "quoted" {{braced}}' for d in dimensions}
    provider = AmazonCloudWatchEMFProvider(namespace="monolambda", service="monolambda")
    for value in (3.25, 1.5):
        provider.add_metric(name=name, unit=unit, value=value)
    for dimension, label in labels.items():
        provider.add_dimension(name=dimension, value=label)
    expected: dict[str, Any] = dict(provider.serialize_metric_set())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        metrics._flush([(name, 3.25, labels), (name, 1.5, labels)])
    (line,) = out.getvalue().splitlines()
    written = json.loads(line)
    assert isinstance(written["_aws"].pop("Timestamp"), int)
    expected["_aws"].pop("Timestamp")
    assert written == expected


def test_every_metric_the_code_writes_is_declared() -> None:
    """Each `metrics.count("...")` and `metrics.milliseconds("...")` in the function (and the
    worker's `_count_failure("...")`, a count) names a metric of METRICS with that unit: an
    undeclared one would not be written."""
    call = re.compile(r'(metrics\.count|metrics\.milliseconds|_count_failure)\(\s*"(\w+)"')
    found = set()
    for path in (ROOT / "src" / "monolambda").rglob("*.py"):
        for function, name in call.findall(path.read_text()):
            found.add(name)
            unit = "Milliseconds" if function.endswith("milliseconds") else "Count"
            assert metrics.METRICS[name][0] == unit, (path, name)
    assert found | {"Requests", "RequestsByClient", "ColdStart"} == set(metrics.METRICS)
