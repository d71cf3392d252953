"""Webhooks: which callback URLs are accepted, the signature, a delivery's tries and what
is recorded, and which stream records send a webhook message."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from monolambda.domain.errors import BadUserInputError
from monolambda.domain.jobs import JobMessage, JobStatus, MessageKind
from monolambda.domain.webhooks import (
    MAX_URL_CHARS,
    CallbackPolicy,
    CallbackTarget,
    RefusedAddressError,
    WebhookState,
    WebhookStatus,
    signature,
)
from monolambda.services.job_runner import RetryLaterError
from monolambda.services.webhooks import WebhookOutcome, WebhookService, check_callback
from monolambda.triggers.stream import StreamTrigger
from tests.support.job_fakes import (
    Clock,
    FakeJobStore,
    FakeQueue,
    FakeResults,
    job_service,
    submit,
)
from tests.support.records import JOB_ID, job_image, stream_record

PROD = CallbackPolicy(allow_loopback=False)
DEV = CallbackPolicy(allow_loopback=True)
KEY = b"webhook-test-key"


class Resolver:
    def __init__(self, **names: list[str]) -> None:
        self.names = names

    def addresses(self, host: str, port: int) -> list[str]:
        return self.names.get(host.replace(".", "_"), [host])


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # prod: https only
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https://user@hooks.example.com/x",  # a user name alone is credentials too
        "https://:pw@hooks.example.com/x",  # and a password alone
        "https:///no-host",
        "https://hooks.example.com:99999/x",
        "https://hooks.example.com/x#fragment",
        "not a url",
        "https://example.com/" + "a" * 2048,
        "https://" + "a" * 1000 + ".example.com/" + "b" * 1037,  # 2,049 characters
        "",
        "https://",
        "mailto:hooks@example.com",
    ],
)
def test_malformed_or_plain_http_callbacks_are_refused_in_prod(url: str) -> None:
    with pytest.raises(BadUserInputError, match="callbackUrl"):
        check_callback(PROD, Resolver(), url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "must be an https:// URL"),  # prod: https only
        ("ftp://hooks.example.com/x", "must be an https:// URL"),
        ("https:///no-host", "must be an https:// URL"),
        ("https://user:pw@hooks.example.com/x", "must not carry credentials"),
        ("https://user@hooks.example.com/x", "must not carry credentials"),
        ("https://:pw@hooks.example.com/x", "must not carry credentials"),
        ("https://hooks.example.com:99999/x", "is not a URL"),
        ("https://hooks.example.com/x#fragment", "must not have a #fragment"),
    ],
)
def test_each_malformed_callback_is_refused_for_its_own_reason(url: str, why: str) -> None:
    """By the URL alone, before any name is resolved."""
    with pytest.raises(BadUserInputError, match=why):
        PROD.target(url)


@pytest.mark.parametrize(
    ("policy", "url", "target"),
    [
        (PROD, "https://h.example/x?a=1&b=2", ("https", "h.example", 443, "/x?a=1&b=2")),
        (PROD, "https://h.example", ("https", "h.example", 443, "/")),
        (PROD, "https://h.example/", ("https", "h.example", 443, "/")),
        (PROD, "https://h.example:8443/p", ("https", "h.example", 8443, "/p")),
        (PROD, "https://[2606:4700::1111]:8443/p", ("https", "2606:4700::1111", 8443, "/p")),
        (DEV, "http://127.0.0.1/hook", ("http", "127.0.0.1", 80, "/hook")),
        (DEV, "http://127.0.0.1:8080/hook?x", ("http", "127.0.0.1", 8080, "/hook?x")),
        (DEV, "HTTPS://H.Example/Path", ("https", "h.example", 443, "/Path")),
    ],
)
def test_a_callbacks_parts_are_read_exactly(
    policy: CallbackPolicy, url: str, target: tuple[str, str, int, str]
) -> None:
    found = policy.target(url)
    assert (found.scheme, found.host, found.port, found.path) == target
    assert found.url == url


def test_a_callback_url_of_exactly_the_limit_is_taken() -> None:
    host = "hooks.example.com"
    url = f"https://{host}/" + "p" * (MAX_URL_CHARS - len(f"https://{host}/"))
    assert len(url) == MAX_URL_CHARS
    assert check_callback(PROD, Resolver(hooks_example_com=["93.184.216.34"]), url) == url
    with pytest.raises(BadUserInputError, match=f"longer than {MAX_URL_CHARS:,}"):
        check_callback(PROD, Resolver(hooks_example_com=["93.184.216.34"]), url + "p")


@pytest.mark.parametrize(
    ("url", "resolver"),
    [
        ("https://10.0.0.1/hook", Resolver()),
        ("https://169.254.169.254/latest/meta-data", Resolver()),
        ("https://[::1]/hook", Resolver()),
        ("https://[::ffff:10.0.0.1]/hook", Resolver()),
        ("https://100.64.0.1/hook", Resolver()),  # shared address space (carrier NAT)
        ("https://192.0.2.10/hook", Resolver()),  # documentation
        ("https://224.0.0.1/hook", Resolver()),
        ("https://127.0.0.1/hook", Resolver()),
        ("https://localhost.example/hook", Resolver(localhost_example=["127.0.0.1"])),
        # One private address among public ones is enough to refuse.
        ("https://mixed.example/hook", Resolver(mixed_example=["93.184.216.34", "10.1.2.3"])),
        ("https://nowhere.example/hook", Resolver(nowhere_example=[])),
    ],
)
def test_callbacks_at_non_public_addresses_are_refused_at_submit(
    url: str, resolver: Resolver
) -> None:
    with pytest.raises(BadUserInputError, match="callbackUrl is refused"):
        check_callback(PROD, resolver, url)


def test_public_https_callbacks_are_accepted_and_dev_allows_loopback() -> None:
    public = Resolver(hooks_example_com=["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    assert check_callback(PROD, public, "https://hooks.example.com/h?a=1")
    assert check_callback(DEV, Resolver(), "http://127.0.0.1:8080/hook")
    assert check_callback(DEV, Resolver(), "https://[::1]/hook")
    with pytest.raises(BadUserInputError, match="refused"):
        check_callback(DEV, Resolver(), "https://10.0.0.1/hook")
    with pytest.raises(BadUserInputError, match="refused"):  # plain http: loopback only
        check_callback(DEV, public, "http://hooks.example.com/h")


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"jobId":"x"}'
    header = signature(KEY, 1795390000, body)
    timestamp, digest = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(KEY, b"1795390000." + body, hashlib.sha256).hexdigest()
    assert (timestamp, digest) == ("1795390000", expected)


# --- a delivery -------------------------------------------------------------------------
class Sender:
    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, bytes, Mapping[str, str]]] = []

    def post(self, target: CallbackTarget, body: bytes, headers: Mapping[str, str]) -> int:
        self.sent.append((target.url, body, dict(headers)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def finished_job(
    store: FakeJobStore, clock: Clock, url: str = "https://hooks.example.com/h"
) -> str:
    # The URL as check_callback passed it at submit (tested above).
    service = job_service(store, clock=clock, callbacks=lambda u: u)
    job = submit(service, callback_url=url).job
    store.jobs[job.id] = job._replace(status=JobStatus.SUCCEEDED, finished_at=clock(), done=1)
    return job.id


def webhooks(store: FakeJobStore, sender: Sender, clock: Clock) -> WebhookService:
    return WebhookService(
        store=store,
        sender=lambda: sender,
        results=FakeResults,
        key=lambda: KEY,
        policy=PROD,
        max_attempts=3,
        clock=clock,
    )


def test_a_receiver_failing_twice_gets_the_third_try_and_it_is_recorded_once() -> None:
    store, clock = FakeJobStore(), Clock()
    job_id = finished_job(store, clock)
    sender = Sender(500, OSError("timed out"), 204)
    service = webhooks(store, sender, clock)
    for attempt in (1, 2):
        with pytest.raises(RetryLaterError):
            service.deliver(job_id, owner="alice", attempt=attempt)
        state = store.jobs[job_id].webhook
        assert state is not None
        assert (state.status, state.attempts) == (WebhookStatus.PENDING, attempt)
    assert store.jobs[job_id].webhook.last_error == "could not reach the receiver: OSError"  # type: ignore[union-attr]
    assert service.deliver(job_id, owner="alice", attempt=3) is WebhookOutcome.DELIVERED
    state = store.jobs[job_id].webhook
    assert state is not None
    assert (state.status, state.attempts, state.last_error) == (WebhookStatus.DELIVERED, 3, None)
    # A duplicate message sends nothing more.
    assert service.deliver(job_id, owner="alice", attempt=1) is WebhookOutcome.SETTLED
    assert len(sender.sent) == 3
    _, body, headers = sender.sent[-1]
    assert headers["Monolambda-Delivery"] == job_id
    assert headers["Monolambda-Signature"] == signature(KEY, int(clock().timestamp()), body)
    assert b'"status":"SUCCEEDED"' in body


def test_the_last_attempt_that_fails_records_failed() -> None:
    store, clock = FakeJobStore(), Clock()
    job_id = finished_job(store, clock)
    service = webhooks(store, Sender(503), clock)
    assert service.deliver(job_id, owner="alice", attempt=3) is WebhookOutcome.FAILED
    state = store.jobs[job_id].webhook
    assert state is not None
    assert (state.status, state.last_error) == (WebhookStatus.FAILED, "HTTP 503")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (302, "HTTP 302: redirects are not followed"),
        (RefusedAddressError("hooks.example.com is at 10.0.0.1"), "refused: hooks.example.com"),
    ],
)
def test_a_redirect_or_a_refused_address_fails_at_once(answer: int | Exception, error: str) -> None:
    store, clock = FakeJobStore(), Clock()
    job_id = finished_job(store, clock)
    service = webhooks(store, Sender(answer), clock)
    assert service.deliver(job_id, owner="alice", attempt=1) is WebhookOutcome.FAILED
    state = store.jobs[job_id].webhook
    assert state is not None
    assert state.last_error is not None
    assert state.last_error.startswith(error)


def test_a_job_of_another_owner_or_without_callback_sends_nothing() -> None:
    store, clock = FakeJobStore(), Clock()
    job_id = finished_job(store, clock)
    sender = Sender()
    service = webhooks(store, sender, clock)
    assert service.deliver(job_id, owner="mallory", attempt=1) is WebhookOutcome.NOTHING_TO_SEND
    store.jobs[job_id] = store.jobs[job_id]._replace(callback_url=None)
    assert service.deliver(job_id, owner="alice", attempt=1) is WebhookOutcome.NOTHING_TO_SEND
    assert sender.sent == []


def test_a_callback_needs_webhooks_configured_and_is_part_of_the_request() -> None:
    service = job_service()
    with pytest.raises(BadUserInputError, match="not configured"):
        submit(service, idempotency_key="k", callback_url="https://hooks.example.com/h")
    service = job_service(callbacks=lambda u: u)
    first = submit(service, idempotency_key="k", callback_url="https://hooks.example.com/a")
    assert first.job.callback_url == "https://hooks.example.com/a"
    with pytest.raises(BadUserInputError, match="different request"):
        submit(service, idempotency_key="k", callback_url="https://hooks.example.com/b")


# --- the stream -------------------------------------------------------------------------
def test_a_job_with_a_callback_reaching_a_terminal_state_sends_its_webhook_message() -> None:
    queue = FakeQueue()
    url = "https://hooks.example.com/h"
    records = [
        stream_record(
            "MODIFY",
            job_image("SUCCEEDED", callback_url=url),
            job_image("RUNNING", callback_url=url),
            "1",
        ),
        stream_record(
            "MODIFY",
            job_image("CANCELLED", callback_url=url),
            job_image("QUEUED", callback_url=url),
            "2",
        ),
        # The webhook's own record on a finished job, and a job without a callback: nothing.
        stream_record(
            "MODIFY",
            job_image("SUCCEEDED", callback_url=url),
            job_image("SUCCEEDED", callback_url=url),
            "3",
        ),
        stream_record("MODIFY", job_image("FAILED"), job_image("RUNNING"), "4"),
    ]
    assert StreamTrigger(queue=lambda: queue)({"Records": records}, None) == {
        "batchItemFailures": []
    }
    webhook = JobMessage(
        job_id=JOB_ID, owner="alice", correlation_id="corr-1", kind=MessageKind.WEBHOOK
    )
    assert queue.sent == [webhook, webhook]
    assert JobMessage.parse(webhook.body()) == webhook


def test_a_message_of_an_unknown_kind_is_not_a_job_message() -> None:
    with pytest.raises(ValueError, match="kind"):
        JobMessage.parse(
            '{"jobId":"%s","owner":"a","correlationId":"c","kind":"other"}' % JOB_ID  # noqa: UP031
        )


def test_webhook_states_come_back_from_the_job_store() -> None:
    store = FakeJobStore()
    clock = Clock()
    job_id = finished_job(store, clock)
    when = datetime(2026, 11, 23, tzinfo=UTC)

    assert store.record_webhook(job_id, WebhookState(WebhookStatus.DELIVERED, 1, when))
    assert not store.record_webhook(job_id, WebhookState(WebhookStatus.FAILED, 2, when))


def test_the_payload_names_the_large_results_url_as_the_schema_does() -> None:
    # Found as a new user: the webhook said resultsUrl where the schema says resultUrl.
    store, clock = FakeJobStore(), Clock()
    job_id = finished_job(store, clock)
    store.jobs[job_id] = store.jobs[job_id]._replace(result_key="results/x.json")
    sender = Sender(204)
    webhooks(store, sender, clock).deliver(job_id, owner="alice", attempt=1)
    payload = json.loads(sender.sent[0][1])
    assert payload["resultUrl"]
    assert "resultsUrl" not in payload
