"""One botocore session for the process (adapters.aws), whose data loader reads less for the
same answers (adapters.sdk_data): PynamoDB's models, boto3 and the management API's client
all make their clients from it, and everything the loader answers is what botocore's own
loader answers."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from typing import Any

import botocore.loaders
import botocore.session
import pynamodb.connection.base
import pytest
from botocore.exceptions import UnknownServiceError

from monolambda.adapters import aws, dynamo_tables, sdk_data
from monolambda.adapters.dynamo_connections import ConnectionRecord
from monolambda.adapters.dynamo_job_items import JobRecord

SERVICES = aws.SERVICES


@pytest.fixture
def fresh() -> Iterator[None]:
    """A process whose session and clients are not made yet, and are forgotten after."""
    aws.botocore_session.cache_clear()
    aws.session.cache_clear()
    aws.forget_clients()
    yield
    aws.botocore_session.cache_clear()
    aws.session.cache_clear()
    aws.forget_clients()


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


def test_pynamodb_looks_its_session_up_where_it_is_pointed() -> None:
    """PynamoDB has no setting for a session: if it stops calling the module's get_session,
    every model makes its own again (about 290 M instructions each on a cold start)."""
    session = vars(pynamodb.connection.base.Connection)["session"]
    assert "get_session()" in inspect.getsource(session.fget)
    looked_up = vars(pynamodb.connection.base)["get_session"]
    assert looked_up is not botocore.session.get_session
    assert looked_up.__module__ == dynamo_tables.__name__


@pytest.mark.usefixtures("fresh", "local_aws")
@pytest.mark.parametrize("service", ["lambda", "sns", "DynamoDB"])
def test_a_client_for_a_service_the_build_does_not_ship_is_refused(service: str) -> None:
    """The deploy build ships the SDK data of aws.SERVICES alone (scripts/slim_sdk.py): a new
    service fails here, in the tests, not once deployed."""
    with pytest.raises(aws.UnshippedServiceError, match="SERVICES"):
        aws.botocore_session().create_client(service, region_name="us-east-1")
    with pytest.raises(aws.UnshippedServiceError):
        aws.client(service)


@pytest.mark.usefixtures("fresh", "local_aws")
def test_the_credential_providers_services_are_shipped_too() -> None:
    for service in aws.CREDENTIAL_SERVICES:
        made = aws.botocore_session().create_client(service, region_name="us-east-1")
        assert made.meta.service_model.service_name == service


@pytest.mark.usefixtures("fresh", "local_aws")
def test_every_client_is_made_from_the_one_session(monkeypatch: pytest.MonkeyPatch) -> None:
    one = aws.botocore_session()
    for model in (ConnectionRecord, JobRecord):
        monkeypatch.setattr(model.Meta, "table_name", "table")
        monkeypatch.setattr(model, "_connection", None)
        assert model._get_connection().connection.session is one
    assert aws.session()._session is one  # boto3's
    management = aws.management_client("http://127.0.0.1:9/live")
    assert management.meta.service_model.service_name == "apigatewaymanagementapi"


@pytest.mark.usefixtures("fresh", "local_aws")
def test_clients_are_made_one_at_a_time_from_any_thread() -> None:
    """botocore's sessions are not thread-safe while they make clients: the one session
    makes them under a lock, whoever asks (PynamoDB made a session per thread for this)."""
    one = aws.botocore_session()
    made: list[Any] = []
    errors: list[BaseException] = []

    def make(service: str) -> None:
        try:
            made.append(one.create_client(service, endpoint_url="http://127.0.0.1:9"))
        except BaseException as e:  # noqa: BLE001 - handed to the test
            errors.append(e)

    threads = [threading.Thread(target=make, args=(s,)) for s in SERVICES * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == len(SERVICES) * 4


def test_the_loader_answers_as_botocores_own() -> None:
    ours, theirs = sdk_data.data_loader(None), botocore.loaders.create_loader(None)
    assert ours.search_paths == theirs.search_paths
    assert ours.load_data("endpoints") == theirs.load_data("endpoints")
    assert ours.load_data("partitions") == theirs.load_data("partitions")
    for service in SERVICES:
        for kind in ("service-2", "endpoint-rule-set-1"):
            assert ours.load_service_model(service, kind) == theirs.load_service_model(
                service, kind
            ), (service, kind)
            assert service in ours.list_available_services(kind)
    assert list(ours.list_available_services("service-2")) == theirs.list_available_services(
        "service-2"
    )


@pytest.mark.parametrize("name", ["nosuchservice", "../dynamodb", "DynamoDB", ""])
def test_an_unknown_service_is_refused_as_botocore_refuses_it(name: str) -> None:
    ours, theirs = sdk_data.data_loader(None), botocore.loaders.create_loader(None)
    assert name not in ours.list_available_services("service-2")
    with pytest.raises(UnknownServiceError) as found:
        ours.load_service_model(name, "service-2")
    with pytest.raises(UnknownServiceError) as expected:
        theirs.load_service_model(name, "service-2")
    assert str(found.value) == str(expected.value)


def test_aws_data_path_comes_first(tmp_path: Any) -> None:
    (tmp_path / "endpoints.json").write_text('{"partitions": [], "version": 3}')
    loader = sdk_data.data_loader(f"{tmp_path}:~/elsewhere")
    assert loader.search_paths[0] == str(tmp_path)
    assert loader.load_data("endpoints") == {"partitions": [], "version": 3}
    assert (
        loader.search_paths
        == botocore.loaders.create_loader(f"{tmp_path}:~/elsewhere").search_paths
    )
