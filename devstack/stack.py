"""The whole architecture on one machine: stand-ins, resources, the function, the API gateway
and the event sources, started in order and stopped in reverse."""

from __future__ import annotations

import gc
import json
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from devstack import auth
from devstack.event_sources import (
    NotificationPoller,
    Poller,
    SqsPoller,
    StreamPoller,
    Ticker,
    failure_reporter,
)
from devstack.gateway import Answer, Gateway
from devstack.graphiql import OfflineGraphiQL
from devstack.http_server import GatewayApp, LocalServer
from devstack.lambda_runtime import LocalFunction
from devstack.local import DEFAULT_STATE_DIR, LOCAL_REGION, ROOT
from devstack.metrics_view import MetricsView
from devstack.names import LocalNames, deployed_names
from devstack.resources import Endpoints, LocalResources
from devstack.seed import BUCKET as MODELS_BUCKET
from devstack.seed import ensure_models_built, models_built, seed
from devstack.standins import (
    PrerequisiteError,
    StandIn,
    dynamodb_local,
    free_port,
    moto_server,
    port_is_free,
)
from devstack.state import STATE_FILE, StackState, already_running, running_stack
from devstack.template import Function, LocalTemplate, load
from devstack.web import SIGN_IN_PATH, SIGN_OUT_PATH, TOKEN_PATH, WEB_DIST, WebClient
from devstack.websocket_gateway import WebSocketGateway

DEFAULT_OVERRIDES = {"Environment": "dev"}
DEV_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")
# The local user pool's public keys (GET, no key needed: they are public).
JWKS_PATH = "/_devstack/jwks.json"
METRICS_PATH = "/_devstack/metrics"
# What the local WebSocket API carried (its largest post, posts refused for their size).
WEBSOCKETS_PATH = "/_devstack/websockets"


class AlreadyRunningError(PrerequisiteError):
    """Another local stack uses the same state directory."""


@dataclass
class StackOptions:
    template: Path = ROOT / "template.yaml"
    host: str = "127.0.0.1"
    port: int = 3000
    dynamodb_port: int = 8000
    moto_port: int = 5000
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    env_vars: Path | None = None
    moto_only: bool = False
    state_dir: Path = DEFAULT_STATE_DIR
    quiet: bool = False
    region: str = LOCAL_REGION
    # 0.0.0.0 lets `sam local` containers reach moto through host.docker.internal.
    standin_bind: str = "127.0.0.1"
    # The name of a deployed stack whose resources to use instead of stand-ins.
    aws_stack: str | None = None
    # How long a request's body may take to arrive (then 408).
    request_timeout_s: float = 10.0
    # False: no event source runs (the queue and the stream keep what they get; tests and
    # debugging consume them by hand).
    event_sources: bool = True
    # Every schedule this often rather than at its rate (None: as the template says).
    schedule_every_s: float | None = None
    # The lifetime of the tokens the page's sign-in issues (the page renews them before).
    token_ttl_s: int = 3600
    # When the user's command began (time.time()): `make dev`'s own start, so that "ready in"
    # counts its set-up too. None: when start() was called.
    began: float | None = None
    # Of that, the seconds `make dev` spent before the stack (.venv, node_modules, the web
    # build: seconds on a first run or after a lock changed, nothing otherwise).
    set_up_s: float = 0.0


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state_file = options.state_dir / STATE_FILE
        self.template: LocalTemplate | None = None
        self.standins: list[StandIn] = []
        self.functions: dict[str, LocalFunction] = {}
        self.pollers: list[Poller] = []
        self.tickers: list[Ticker] = []
        # What the function's metrics say (GET /_devstack/metrics).
        self.metrics = MetricsView()
        self.resources: LocalResources | None = None
        self.server: LocalServer | None = None
        self.endpoints: Endpoints | None = None
        self.token = ""
        # The local user pool: a user name -> an ID token (None: no authorizer, or --aws).
        self._mint: Callable[[str], str] | None = None
        # New each start: a webhook's POST (the function's, to a loopback callback in dev)
        # and a page's script can reach /_devstack/..., but neither can read the state dir.
        self.control_key = secrets.token_urlsafe(32)
        self.failure: str | None = None
        self._stopping = threading.Event()
        self._names: LocalNames | None = None
        # What this start did that later ones will not (building the models), for the banner.
        self._first_run: list[str] = []
        if options.set_up_s >= 1:
            self._first_run.append(f"{options.set_up_s:.1f} s of it setting up")
        self._jwks: dict[str, Any] = {"keys": []}
        # Variables the local stack gives the function besides the template's.
        self._local_environment: dict[str, str] = {}

    # --- start -----------------------------------------------------------------------------
    def start(self) -> list[str]:
        """Starts everything; returns the banner. On any failure, stops what had started."""
        started = time.monotonic()
        try:
            self.refuse_a_second_stack()
            template = load(
                self.options.template, self.options.parameter_overrides, DEFAULT_OVERRIDES
            )
            self.template = template
            _require_one_function(template)
            api_port = self._port(self.options.port, "API")
            api = f"http://{self.options.host}:{api_port}"
            if self.options.aws_stack:
                names, created, verifiers = self._start_against_aws(
                    template, api, self.options.aws_stack
                )
            else:
                names, created, verifiers = self._start_local(template, api)
            web = WebClient(WEB_DIST, mint=self._mint, ttl_s=self.options.token_ttl_s)
            websockets = (
                WebSocketGateway(
                    template.websocket_apis[0], self.functions, log=not self.options.quiet
                )
                if template.websocket_apis
                else None
            )
            stack_routes: dict[tuple[str, str], Callable[[bytes], Answer]] = {
                ("POST", "/_devstack/reset"): self._reset_answer,
                ("POST", "/_devstack/tick"): self._tick_answer,
                ("GET", JWKS_PATH): self._jwks_answer,
                ("GET", METRICS_PATH): self.metrics.answer,
                ("POST", SIGN_IN_PATH): web.sign_in,
                ("POST", TOKEN_PATH): web.refresh,
                ("POST", SIGN_OUT_PATH): web.sign_out,
            }
            if websockets is not None:
                stack_routes["GET", WEBSOCKETS_PATH] = websockets.stats_answer
            gateway = Gateway(
                template,
                self.functions,
                authorizers=verifiers,
                graphiql=OfflineGraphiQL(token=self.token if verifiers and self.token else None),
                # In dev, pages served from this machine (the stack's own, an app's dev
                # server) may call the API, whatever origins the template allows.
                dev_origins=DEV_ORIGINS if template.parameters.get("Environment") == "dev" else (),
                extra_routes=stack_routes,
                web=web,
            )
            self.server = LocalServer(
                GatewayApp(
                    gateway,
                    control_key=self.control_key,
                    extra_hosts=_explicit_hosts(self.options.host),
                    body_timeout_s=self.options.request_timeout_s,
                    access_log=not self.options.quiet,
                    websockets=websockets,
                ),
                self.options.host,
                api_port,
            )
            # With --aws, the deployed mappings and rules are live.
            if self.endpoints is not None:
                self.tickers = [
                    Ticker(
                        schedule,
                        invoke=self.functions[schedule.function].invoke_event,
                        region=self.options.region,
                        account=names.account,
                        interval_s=self.options.schedule_every_s,
                    )
                    for schedule in template.schedules
                ]
                if self.options.event_sources:
                    self._start_pollers(template, names, self.endpoints)
            StackState(
                pid=os.getpid(),
                api=api,
                dynamodb=self.endpoints.dynamodb if self.endpoints else "",
                moto=self.endpoints.moto if self.endpoints else "",
                token=self.token,
                region=self.options.region,
                started=time.time(),
                control_key=self.control_key,
            ).write(self.state_file)
            seconds = time.monotonic() - started
            if self.options.began is not None:
                seconds = time.time() - self.options.began
            return self._banner(template, api, created, verifiers, seconds)
        except BaseException:
            self.stop()
            raise

    def _start_against_aws(
        self, template: LocalTemplate, api: str, stack_name: str
    ) -> tuple[LocalNames, list[str], dict[str, auth.JwtVerifier]]:
        """The function against a deployed stack's resources (--aws)."""
        names = deployed_names(template, stack_name, self.options.region)
        names.api_base = api  # the sockets are held here, whatever the stack
        self._start_functions(template, names, None)
        self._watch_metrics()
        verifiers = {
            name: auth.jwks_verifier(
                str(names.resolve(a.issuer)), [str(x) for x in names.resolve(a.audience)]
            )
            for name, a in template.authorizers.items()
        }
        return names, [f"using the deployed stack {stack_name}"], verifiers

    def _start_local(
        self, template: LocalTemplate, api: str
    ) -> tuple[LocalNames, list[str], dict[str, auth.JwtVerifier]]:
        """The stand-ins, the template's resources, the models and the function, all here."""
        self._say("starting DynamoDB Local (on Java) and moto ...")
        endpoints = self._start_standins()
        names = LocalNames(template, region=self.options.region, sqs_endpoint=endpoints.moto)
        names.api_base = api
        self.resources = LocalResources(template, names, endpoints)
        self._say("creating the template's tables, queues, bucket and parameters ...")
        created = self.resources.create_all()
        self._build_models_once(template)
        created += seed(template, names, endpoints.client("s3"))
        self._names = names
        key = auth.signing_key(self.options.state_dir / auth.KEY_FILE.name)
        if template.authorizers:  # no authorizer: nothing to sign in to
            self.token = auth.mint("dev", groups=["admins"], key=key)
            # The page's sign-in: tokens of --token-ttl, which the page renews.
            self._mint = partial(auth.mint, key=key, ttl_s=self.options.token_ttl_s)
        self._jwks = auth.jwks(key)
        # The function checks a WebSocket's token itself, with the local user pool's
        # keys, as on AWS with the pool's published ones.
        self._local_environment = {"JWT_JWKS_URL": f"{api}{JWKS_PATH}"}
        self._say("starting the function, its event sources and the API ...")
        self._start_functions(template, names, endpoints)
        self._watch_metrics()
        self._write_sam_local_env(template, names, endpoints)
        verifiers = {
            name: auth.verifier(
                str(names.resolve(a.issuer)), [str(x) for x in names.resolve(a.audience)], key
            )
            for name, a in template.authorizers.items()
        }
        return names, created, verifiers

    def refuse_a_second_stack(self) -> None:
        other = running_stack(self.options.state_dir)
        if other is not None and other.pid != os.getpid():
            raise AlreadyRunningError(already_running(other))
        self.state_file.unlink(missing_ok=True)  # left by a stack that was killed

    def _port(self, port: int, what: str) -> int:
        if port == 0:
            return free_port(self.options.host)
        if not port_is_free(self.options.host, port):
            raise PrerequisiteError(
                f"{what} port {self.options.host}:{port} is already in use; choose another "
                f"(--{'port' if what == 'API' else what.lower() + '-port'})"
            )
        return port

    def _build_models_once(self, template: LocalTemplate) -> None:
        """The bundled models, built into build/models on a first run (seed uploads them)."""
        if MODELS_BUCKET not in template.resources or models_built():
            return
        self._say("building the bundled models into build/models (the first run only) ...")
        building = time.monotonic()
        ensure_models_built()
        seconds = time.monotonic() - building
        self._first_run.append(f"{seconds:.1f} s of it building the bundled models, once")

    def _start_standins(self) -> Endpoints:
        logs = self.options.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        moto = moto_server(
            self._port(self.options.moto_port, "moto"), logs / "moto.log", self.options.standin_bind
        )
        self.standins.append(moto)
        if not self.options.moto_only:
            dynamodb = dynamodb_local(
                self._port(self.options.dynamodb_port, "DynamoDB"), logs / "dynamodb.log"
            )
            self.standins.append(dynamodb)
        for standin in self.standins:
            standin.start()
        with ThreadPoolExecutor(max_workers=len(self.standins)) as pool:
            for future in [pool.submit(s.wait_ready) for s in self.standins]:
                future.result()
        dynamodb_url = moto.url if self.options.moto_only else self.standins[-1].url
        self.endpoints = Endpoints(dynamodb=dynamodb_url, moto=moto.url, region=self.options.region)
        return self.endpoints

    def _start_functions(
        self, template: LocalTemplate, names: LocalNames, endpoints: Endpoints | None
    ) -> None:
        overrides = _env_vars(self.options.env_vars)
        for name, function in template.functions.items():
            declared = _declared_environment(function, names)
            # As sam local does: --env-vars override only variables the template declares.
            chosen = {**(overrides.get("Parameters") or {}), **(overrides.get(name) or {})}
            declared.update({k: str(v) for k, v in chosen.items() if k in declared})
            self.functions[name] = LocalFunction(
                function,
                {
                    **(endpoints.environment() if endpoints else {}),
                    **self._local_for(declared),
                    **declared,
                },
                region=self.options.region,
                memory_mb=int(names.resolve(function.memory_mb)),
                timeout_s=int(names.resolve(function.timeout_s)),
            )

    def _watch_metrics(self) -> None:
        """The function's EMF documents, handed over in-process as it writes them (when the
        function is this project's: its metrics module is the one the handler imports)."""
        try:
            from monolambda import metrics  # noqa: PLC0415
        except ImportError:
            return
        metrics.observe(self.metrics.take)

    def _local_for(self, declared: dict[str, str]) -> dict[str, str]:
        """What the stack adds to a function's environment: where the local user pool's keys
        are, for a function that checks tokens itself (it declares JWT_ISSUER)."""
        return self._local_environment if "JWT_ISSUER" in declared else {}

    def _write_sam_local_env(
        self, template: LocalTemplate, names: LocalNames, endpoints: Endpoints
    ) -> None:
        """What `sam local` in Docker needs to run against these stand-ins
        (docs/local-stack.md, "Docker users"): an --env-vars file with the same names, every
        address of the stand-ins written for a container (host.docker.internal), and a
        samconfig with this stack's ports."""
        moto = _in_docker(endpoints.moto)
        dynamodb = _in_docker(endpoints.dynamodb)
        files: dict[str, dict[str, str]] = {}
        here: dict[str, dict[str, str]] = {}
        for name, function in template.functions.items():
            declared = _declared_environment(function, names)
            files[name] = {
                **{k: _in_docker(v) for k, v in declared.items()},  # the queue's URL, say
                "AWS_ENDPOINT_URL": moto,
                "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                # sam local runs without an authorizer (it emulates none for HTTP APIs), so
                # AuthEnabled=false below, and the function must take the anonymous caller.
                "ANONYMOUS_ACCESS": "true",
            }
            here[name] = {**endpoints.environment(), **self._local_for(declared), **declared}
        state_dir = self.options.state_dir.resolve()
        env_vars = state_dir / "sam-local-env.json"
        env_vars.write_text(json.dumps(files, indent=2) + "\n")
        overrides = (
            "Environment=dev AuthEnabled=false "
            f"LocalAwsEndpoint={moto} LocalDynamoDbEndpoint={dynamodb}"
        )
        section = f'env_vars = "{env_vars}"\nparameter_overrides = "{overrides}"\n'
        (state_dir / "samconfig.toml").write_text(
            "# Written by make dev for this stack: sam local start-api --config-file "
            f"{state_dir / 'samconfig.toml'}\n"
            "version = 0.1\n\n"
            f'[default.local_start_api.parameters]\nwarm_containers = "EAGER"\n{section}\n'
            f"[default.local_invoke.parameters]\n{section}"
        )
        # The same for a process on this machine acting as another of the function's
        # containers (the tests' own workers; a debugger).
        (self.options.state_dir / "function-env.json").write_text(json.dumps(here, indent=2) + "\n")

    def _start_pollers(
        self, template: LocalTemplate, names: LocalNames, endpoints: Endpoints
    ) -> None:
        sqs = endpoints.client("sqs")
        concurrency: dict[str, int] = {}
        sqs_pollers: list[SqsPoller] = []
        for mapping in template.sqs_mappings:
            function = self.functions[mapping.function]
            # One poller per concurrent invocation the mapping may make (MaximumConcurrency;
            # locally at most 5, enough to show a busy group beside an idle one).
            cap = mapping.maximum_concurrency
            pollers = min(int(names.resolve(cap)), 5) if cap is not None else 2
            concurrency[mapping.function] = concurrency.get(mapping.function, 0) + pollers
            sqs_pollers.append(
                SqsPoller(
                    mapping,
                    sqs=sqs,
                    queue_url=names.queue_url(mapping.queue),
                    queue_arn=names.get_att(mapping.queue, "Arn"),
                    region=self.options.region,
                    invoke=function.invoke_event,
                    concurrency=pollers,
                )
            )
        stream_pollers: list[StreamPoller] = []
        for stream in template.stream_mappings:
            function = self.functions[stream.function]
            concurrency[stream.function] = concurrency.get(stream.function, 0) + 1
            stream_pollers.append(
                StreamPoller(
                    stream,
                    streams=endpoints.client("dynamodbstreams"),
                    stream_arn=self._stream_arn_of(names, stream.table),
                    region=self.options.region,
                    invoke=function.invoke_event,
                    report_failure=failure_reporter(sqs, names.queue_url(stream.on_failure))
                    if stream.on_failure
                    else None,
                )
            )
        notification_pollers = [
            NotificationPoller(
                sqs=sqs,
                queue_url=names.notification_queue_url(n.bucket),
                invoke=self.functions[n.function].invoke_event,
                name=names.physical_name(n.bucket),
            )
            for n in template.bucket_notifications
        ]
        for n in template.bucket_notifications:
            concurrency[n.function] = concurrency.get(n.function, 0) + 1
        for ticker in self.tickers:
            concurrency[ticker.schedule.function] = concurrency.get(ticker.schedule.function, 0) + 1
        for name, count in concurrency.items():
            self.functions[name].set_event_concurrency(count)
        self.pollers += sqs_pollers
        self.pollers += stream_pollers
        self.pollers += notification_pollers
        self.pollers += self.tickers
        for poller in self.pollers:
            poller.start()

    @staticmethod
    def _stream_arn_of(names: LocalNames, table: str) -> Callable[[], str | None]:
        # Learned when the table is made, and again after every reset.
        return lambda: names.learned.get((table, "StreamArn"))

    def _tick_answer(self, _body: bytes = b"") -> Answer:
        """Every schedule once, now (tests and operators need not wait for the rate)."""
        answers = {t.schedule.logical_id: t.tick() for t in self.tickers}
        return 200, [("content-type", "application/json")], json.dumps(answers).encode()

    def _jwks_answer(self, _body: bytes = b"") -> Answer:
        """The local user pool's public keys, as Cognito publishes a pool's."""
        return 200, [("content-type", "application/json")], json.dumps(self._jwks).encode()

    def _reset_answer(self, _body: bytes = b"") -> Answer:
        if self.resources is None:  # never wipe a deployed stack's data
            return 409, [("content-type", "application/json")], b'{"reset": false}'
        self.resources.reset()
        self.metrics.reset()
        if self.template is not None and self.endpoints is not None and self._names is not None:
            seed(self.template, self._names, self.endpoints.client("s3"))
        return 200, [("content-type", "application/json")], b'{"reset": true}'

    def _banner(
        self,
        template: LocalTemplate,
        api: str,
        created: list[str],
        verifiers: dict[str, Any],
        seconds: float,
    ) -> list[str]:
        endpoints = self.endpoints or Endpoints("-", "-", self.options.region)
        lines = [
            f"  {r.method:<5} {api}{r.path}  -> {r.function}" + (" (JWT)" if r.authorizers else "")
            for r in template.routes
        ]
        ws = api.replace("http://", "ws://", 1)
        lines += [
            f"  WS    {ws}/graphql  -> "
            + ", ".join(sorted(set(w.routes.values())))
            + f" (graphql-transport-ws; {', '.join(sorted(w.routes))}; management API"
            f" {api}/{w.stage}/@connections)"
            for w in template.websocket_apis
        ]
        built = (WEB_DIST / "index.html").exists()
        lines.append(
            f"  WEB   {api}/  -> the browser client"
            + (" (web/dist)" if built else " (not built: `make web`)")
        )
        lines.append(
            f"  METRICS {api}{METRICS_PATH}  (the function's EMF metrics, summed; with the "
            "header x-devstack-key: the control_key of stack.json)"
        )
        lines += [f"  {line}" for line in created]
        lines += [
            f"  SQS -> {m.function}: {m.queue} "
            f"(batch {m.batch_size}, window {m.batching_window_s:g} s"
            + (", ReportBatchItemFailures)" if m.report_batch_item_failures else ")")
            for m in template.sqs_mappings
        ]
        lines += [
            f"  stream -> {m.function}: {m.table} (batch {m.batch_size}, "
            f"{m.maximum_retry_attempts} retries"
            + (f", failures to {m.on_failure})" if m.on_failure else ")")
            for m in template.stream_mappings
        ]
        lines += [
            f"  S3 -> {n.function}: {', '.join(n.events)} in {n.bucket}"
            + "".join(f" ({name} {value})" for name, value in n.filter_rules)
            for n in template.bucket_notifications
        ]
        lines += [
            f"  schedule -> {t.schedule.function}: every {t.interval_s:g} s"
            f" ({t.schedule.expression}; POST {api}/_devstack/tick runs it now,"
            " with x-devstack-key)"
            for t in self.tickers
        ]
        if not self.options.event_sources:
            lines.append("  event sources off (--no-event-sources): queues and streams keep it all")
        if self.options.aws_stack:
            lines.append("  AWS: the caller's credentials; SQS mappings run in AWS, not here")
        lines.append(
            f"  DynamoDB   {endpoints.dynamodb}"
            + ("  (moto's: it differs from AWS in edge cases)" if self.options.moto_only else "")
        )
        lines.append(f"  SQS/S3/SSM {endpoints.moto}")
        if verifiers and not self.token:
            lines.append("  JWT authorizer: send tokens from the deployed user pool")
        elif verifiers:
            state_dir = self.options.state_dir
            where = "" if state_dir == DEFAULT_STATE_DIR else f" STATE_DIR={state_dir}"
            lines.append(
                f"  dev token (user 'dev', group admins; `make token USER=alice{where}` for "
                f"others):\n    {self.token}"
            )
        else:
            lines.append("  no authorizer (AuthEnabled=false): requests are the anonymous caller")
        lines.append(self._banner_ready_line(api, seconds))
        return lines

    def _banner_ready_line(self, api: str, seconds: float) -> str:
        """The line that says the stack is up, and what a first run spent of its seconds."""
        notes = "; ".join(self._first_run)
        return (
            f"ready in {seconds:.1f} s{f' ({notes})' if notes else ''}: the app at {api}/, "
            f"GraphQL at {api}/graphql (GraphiQL in a browser); Ctrl-C stops"
        )

    def _say(self, doing: str) -> None:
        """What the stack is doing while it starts (stderr: the banner is stdout's)."""
        if not self.options.quiet:
            print(doing, file=sys.stderr, flush=True)

    # --- run and stop --------------------------------------------------------------------
    def serve(self) -> int:
        """Serves until Ctrl-C (0) or until a stand-in dies (1)."""
        if self.server is None:
            raise RuntimeError("start() the stack first")
        with self.server.stopped_by_signals():
            threading.Thread(target=self._watch, args=(self.server,), daemon=True).start()
            # Everything built so far (the template's translator, the SDK clients, the
            # stand-ins' bookkeeping) lives as long as the stack: kept out of the collector's
            # full passes, which otherwise put tens of milliseconds into a request now and then.
            gc.collect()
            gc.freeze()
            self.server.serve()
        return 1 if self.failure else 0

    def _watch(self, server: LocalServer) -> None:
        while self.failure is None and not self._stopping.is_set():
            for standin in self.standins:
                if not standin.alive() and not self._stopping.is_set():
                    code = standin.process.returncode if standin.process else "?"
                    self.failure = (
                        f"{standin.name} exited unexpectedly (code {code}); stopping the stack"
                    )
                    print(f"error: {self.failure}", file=sys.stderr)
                    server.shutdown()
                    return
            time.sleep(0.3)

    def stop(self) -> None:
        """Stops whatever has started, in reverse order; safe to call more than once."""
        self._stopping.set()
        for poller in self.pollers:
            poller.stop()
        if self.server is not None:
            self.server.close()
            self.server = None
        for function in self.functions.values():
            function.close()
        for standin in reversed(self.standins):
            standin.stop()
        try:
            if (
                self.state_file.exists()
                and json.loads(self.state_file.read_text()).get("pid") == os.getpid()
            ):
                self.state_file.unlink()
        except (OSError, ValueError):
            pass


def _explicit_hosts(host: str) -> tuple[str, ...]:
    """Besides loopback names, the address the user chose to serve on (not a wildcard)."""
    return () if host in ("0.0.0.0", "::", "") else (host,)  # noqa: S104 - compared, not bound


def _in_docker(value: str) -> str:
    """A stand-in's address as a container reaches this machine."""
    return value.replace("://127.0.0.1:", "://host.docker.internal:")


def _declared_environment(function: Function, names: LocalNames) -> dict[str, str]:
    """The function's environment as the template declares it, intrinsics resolved."""
    return {k: str(v) for k, v in names.resolve(function.raw_environment).items()}


def _require_one_function(template: LocalTemplate) -> None:
    # Functions run in this process and share its environment; this project deploys one.
    if len(template.functions) != 1:
        raise PrerequisiteError(
            f"the local stack runs one function; the template has {len(template.functions)}"
        )


def _env_vars(path: Path | None) -> dict[str, dict[str, str]]:
    """sam's --env-vars file: {"Parameters": {...}, "<FunctionLogicalId>": {...}}."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise PrerequisiteError(f"cannot read --env-vars {path}: {e}") from None
    if not isinstance(data, dict):
        raise PrerequisiteError(f"--env-vars {path}: expected a JSON object")
    return data


def check_prerequisites(options: StackOptions) -> None:
    if options.aws_stack is None and not options.moto_only and shutil.which("java") is None:
        raise PrerequisiteError(
            "java not found: DynamoDB Local needs Java 17+ "
            "(e.g. apt-get install openjdk-17-jre-headless), "
            "or run `make dev ARGS=--moto-only`"
        )
