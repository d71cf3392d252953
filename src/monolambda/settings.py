"""Configuration, read once from the environment at the edge; the only reader of os.environ.

Each environment (dev, prod) has a profile of safe defaults; single variables may override it.
A missing or malformed variable fails loudly at start-up with the variable's name.
"""

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from monolambda.domain.budget import WorkLimits
from monolambda.domain.names import MODEL_NAME

# Lambda's synchronous invocation payload limit (6 MB). A body at or above it could never have
# arrived inside an event anyway; answering 413 early keeps the local stack honest about it.
LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
# Images per job unless JOB_MAX_IMAGES says otherwise.
DEFAULT_JOB_IMAGES = 500


class SettingsError(Exception):
    """A configuration variable is missing or malformed."""


class Environment(StrEnum):
    DEV = "dev"
    PROD = "prod"


# The settings are records of plain values, immutable, as NamedTuples: five frozen
# dataclasses with 53 fields cost 40 M instructions to define, on every cold start of every
# route (their methods are generated and compiled at import); these cost about a quarter.
class GraphQLLimits(NamedTuple):
    # Depth 10: today's deepest query is 2 levels (health -> checks) and the planned job
    # queries need about 5; 10 leaves room for fragments while stopping recursive abuse.
    # Introspection fields are not counted (they are governed by the introspection switch).
    max_depth: int = 10
    # 2,000 tokens is about 10x a large hand-written query and 4x GraphiQL's introspection
    # query; parsing stops at the limit, so a huge document costs bounded CPU.
    max_tokens: int = 2_000
    # 15 aliases: enough to fetch a handful of jobs by id in one request, too few to
    # multiply one expensive field into a denial of service.
    max_aliases: int = 15
    # Parsed and validated documents kept per container (least recently used). Bounded so
    # that unique query texts cannot grow memory without limit.
    document_cache_size: int = 256
    # 0 turns operation batching off; n > 0 accepts batches of at most n operations.
    max_batch: int = 0
    # Fields marked costly (predict, predictBatch) per operation: one, so a request's work is
    # known before anything runs; aliases or fragments cannot repeat an inference.
    max_costly_fields: int = 1
    # Fields once every fragment spread is expanded, over all of a document's operations:
    # bounds what validation and execution walk (a fragment spread twice by the next, twenty
    # levels deep, is a million fields in 830 bytes). GraphiQL's introspection query counts
    # 469 (its fragments count where spread and once standing alone).
    max_fields: int = 1_000
    # Values an answer could hold (each field of each object, lists at their longest or as
    # long as `first:` asks), estimated before anything is read. Executing costs about 6 us a
    # value here (bench/answers.py): 80,000 is about half a second, and a page of 20 jobs
    # with every label of 64 results each. The answer's bytes are estimated and bounded too.
    max_response_values: int = 80_000
    # Stored items an answer could read (api.guard.response_size: a page of jobs reads one per job,
    # and each field that needs a whole job reads it): bounds the time a read-only request
    # can take, whatever its answer's size. 400 is a page of 100 jobs with their results, and
    # a second page of summaries; with the values, the worst accepted read stays under a
    # second here (bench/answers.py prints it).
    max_store_reads: int = 400
    # Operations in one document (one runs; every one is validated, each costing a few
    # traversals): enough for a GraphiQL tab of saved queries.
    max_operations: int = 20
    # Items of one list (or keys of one object) in the variables, refused before coercion;
    # never below the longest list an argument takes (a job's images, a request's).
    max_list_items: int = 500


_DEFAULTS = GraphQLLimits()
# A NamedTuple's class attribute is its field's accessor, not its default: defaults are read
# from an instance.
_WORK_DEFAULTS = WorkLimits()


class ModelSettings(NamedTuple):
    bucket: str
    prefix: str
    parameter_prefix: str
    cache_dir: str
    # Below the function's ephemeral storage (512 MB by default), leaving room for uploads.
    cache_mb: int
    # How long a read of a model's current-version pointer is trusted before SSM is asked again.
    pointer_max_age_s: int
    # The model a prediction uses when it names none (and whose pointer deep health reads).
    default_model: str


class JobSettings(NamedTuple):
    table: str
    queue_url: str
    # The queue's maxReceiveCount (one template value sets both): on that delivery a job that
    # keeps failing is marked FAILED before its message is dead-lettered.
    max_receives: int
    # The function's timeout: a worker's lease on a running job outlives it.
    function_timeout_s: int
    # A failed message comes back after this, doubled per delivery (not the queue's
    # visibility timeout, which is 6x the function's timeout).
    retry_delay_s: int
    progress_interval_s: int
    max_images: int
    # SSM SecureString holding the key that signs list cursors (None: jobs() is UNAVAILABLE).
    cursor_key_parameter: str | None
    # The sweeper (services/sweeper.py): how long an open job may stay unchanged, how many
    # jobs one run looks at, how many re-enqueues before a job is failed.
    sweep_stale_after_s: int = 900
    sweep_max_jobs: int = 200
    sweep_max_requeues: int = 3
    # SSM SecureString holding the key that signs webhooks (None: callbackUrl is refused).
    webhook_key_parameter: str | None = None
    # Dev only by default: callbacks to 127.0.0.0/8 and ::1 (and plain http to them).
    webhook_allow_loopback: bool = False


class LiveSettings(NamedTuple):
    """Live job updates over the WebSocket API (docs/live-updates.md, "Live updates")."""

    connections_table: str
    # The management API's endpoint: https://{api-id}.execute-api.{region}.amazonaws.com/{stage}
    management_url: str
    # The user pool whose tokens a connection_init may carry (None: no authorizer, and every
    # connection acts as the anonymous caller).
    issuer: str | None
    audiences: tuple[str, ...]
    jwks_url: str | None
    max_subscriptions: int = 20


class Settings(NamedTuple):
    environment: Environment
    service_name: str
    limits: GraphQLLimits
    introspection: bool
    graphiql: bool
    field_suggestions: bool
    # Off in prod: a document that fails validation gets one message naming nothing of the
    # schema (the details are logged under the request id).
    validation_messages: bool
    # Refuse every document that is not one of the clients' trusted documents
    # (api.guard.trusted_documents), before it is parsed. Off by default; the prod example
    # turns it on.
    trusted_documents_only: bool
    # True on a stack deployed without an authorizer: requests act as the anonymous caller.
    anonymous_access: bool
    max_body_bytes: int
    memory_mb: int | None
    work: WorkLimits
    # None when MODELS_BUCKET is not set: the prediction fields answer UNAVAILABLE.
    models: ModelSettings | None = None
    # None when JOBS_TABLE is not set: the job fields answer UNAVAILABLE.
    jobs: JobSettings | None = None
    # None when CONNECTIONS_TABLE is not set: the WebSocket route refuses to run.
    live: LiveSettings | None = None
    # Where automatic persisted queries' registrations are kept (PERSISTED_QUERIES_TABLE);
    # None: none are (a hash no manifest holds always needs its text).
    persisted_queries_table: str | None = None

    @property
    def is_dev(self) -> bool:
        return self.environment is Environment.DEV

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        environment = _environment(env)
        dev = environment is Environment.DEV
        work = WorkLimits(
            max_images=_int(env, "REQUEST_MAX_IMAGES", _WORK_DEFAULTS.max_images, minimum=1),
            max_pixels=_int(env, "REQUEST_MAX_PIXELS", _WORK_DEFAULTS.max_pixels, minimum=1),
        )
        jobs = _jobs(env, dev=dev)
        # A list argument must never be refused for a length its own limit allows.
        longest_list = max(work.max_images, jobs.max_images if jobs else 0)
        limits = GraphQLLimits(
            max_depth=_int(env, "GRAPHQL_MAX_DEPTH", _DEFAULTS.max_depth, minimum=1),
            max_tokens=_int(env, "GRAPHQL_MAX_TOKENS", _DEFAULTS.max_tokens, minimum=10),
            max_aliases=_int(env, "GRAPHQL_MAX_ALIASES", _DEFAULTS.max_aliases, minimum=0),
            document_cache_size=_int(
                env, "GRAPHQL_CACHE_SIZE", _DEFAULTS.document_cache_size, minimum=1
            ),
            max_batch=_int(env, "GRAPHQL_MAX_BATCH", _DEFAULTS.max_batch, minimum=0),
            max_costly_fields=_int(
                env, "GRAPHQL_MAX_COSTLY_FIELDS", _DEFAULTS.max_costly_fields, minimum=1
            ),
            max_fields=_int(env, "GRAPHQL_MAX_FIELDS", _DEFAULTS.max_fields, minimum=1),
            max_response_values=_int(
                env, "GRAPHQL_MAX_RESPONSE_VALUES", _DEFAULTS.max_response_values, minimum=1
            ),
            max_store_reads=_int(
                env, "GRAPHQL_MAX_STORE_READS", _DEFAULTS.max_store_reads, minimum=1
            ),
            max_operations=_int(env, "GRAPHQL_MAX_OPERATIONS", _DEFAULTS.max_operations, minimum=1),
            max_list_items=_int(
                env,
                "GRAPHQL_MAX_LIST_ITEMS",
                max(_DEFAULTS.max_list_items, longest_list),
                minimum=longest_list,
            ),
        )
        return cls(
            environment=environment,
            service_name=env.get("POWERTOOLS_SERVICE_NAME", "monolambda"),
            limits=limits,
            introspection=_bool(env, "GRAPHQL_INTROSPECTION", default=dev),
            graphiql=_bool(env, "GRAPHIQL", default=dev),
            field_suggestions=_bool(env, "GRAPHQL_FIELD_SUGGESTIONS", default=dev),
            validation_messages=_bool(env, "GRAPHQL_VALIDATION_MESSAGES", default=dev),
            trusted_documents_only=_bool(env, "TRUSTED_DOCUMENTS_ONLY", default=False),
            anonymous_access=_bool(env, "ANONYMOUS_ACCESS", default=False),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", LAMBDA_SYNC_PAYLOAD_BYTES, minimum=1024),
            memory_mb=_int(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 0, minimum=0) or None,
            work=work,
            models=_models(env),
            jobs=jobs,
            live=_live(env, anonymous_access=_bool(env, "ANONYMOUS_ACCESS", default=False)),
            persisted_queries_table=env.get("PERSISTED_QUERIES_TABLE", "").strip() or None,
        )


def _jobs(env: Mapping[str, str], *, dev: bool) -> JobSettings | None:
    table = env.get("JOBS_TABLE", "").strip()
    if not table:
        return None
    queue_url = env.get("JOBS_QUEUE_URL", "").strip()
    if not queue_url.startswith(("https://", "http://")):
        raise SettingsError("JOBS_QUEUE_URL must be set (the queue's URL) when JOBS_TABLE is")
    if not env.get("MODELS_BUCKET", "").strip():
        raise SettingsError("jobs need MODELS_BUCKET (models, uploads and large results)")
    return JobSettings(
        table=table,
        queue_url=queue_url,
        max_receives=_int(env, "JOBS_MAX_RECEIVES", 3, minimum=1),
        function_timeout_s=_int(env, "FUNCTION_TIMEOUT_S", 29, minimum=1),
        retry_delay_s=_int(env, "JOB_RETRY_DELAY_S", 10, minimum=0),
        progress_interval_s=_int(env, "JOB_PROGRESS_INTERVAL_S", 5, minimum=1),
        max_images=_int(env, "JOB_MAX_IMAGES", DEFAULT_JOB_IMAGES, minimum=1),
        cursor_key_parameter=env.get("CURSOR_KEY_PARAMETER", "").strip() or None,
        sweep_stale_after_s=_int(env, "SWEEP_STALE_AFTER_S", 900, minimum=1),
        sweep_max_jobs=_int(env, "SWEEP_MAX_JOBS", 200, minimum=1),
        sweep_max_requeues=_int(env, "SWEEP_MAX_REQUEUES", 3, minimum=0),
        webhook_key_parameter=env.get("WEBHOOK_KEY_PARAMETER", "").strip() or None,
        webhook_allow_loopback=_bool(env, "WEBHOOK_ALLOW_LOOPBACK", default=dev),
    )


def _live(env: Mapping[str, str], *, anonymous_access: bool) -> LiveSettings | None:
    table = env.get("CONNECTIONS_TABLE", "").strip()
    if not table:
        return None
    management_url = env.get("WEBSOCKET_MANAGEMENT_URL", "").strip().rstrip("/")
    if not management_url.startswith(("https://", "http://")):
        raise SettingsError(
            "WEBSOCKET_MANAGEMENT_URL must be set (the WebSocket API's stage URL, https://"
            "{api}.execute-api.{region}.amazonaws.com/{stage}) when CONNECTIONS_TABLE is"
        )
    issuer = env.get("JWT_ISSUER", "").strip().rstrip("/") or None
    audiences = tuple(a.strip() for a in env.get("JWT_AUDIENCE", "").split(",") if a.strip())
    if issuer is None and not anonymous_access:
        raise SettingsError(
            "JWT_ISSUER and JWT_AUDIENCE must be set (the user pool and its app client) for "
            "the WebSocket route, unless ANONYMOUS_ACCESS is on"
        )
    if issuer is not None and not audiences:
        raise SettingsError("JWT_AUDIENCE must name the app client(s) when JWT_ISSUER is set")
    return LiveSettings(
        connections_table=table,
        management_url=management_url,
        issuer=issuer,
        audiences=audiences,
        jwks_url=(env.get("JWT_JWKS_URL", "").strip() or f"{issuer}/.well-known/jwks.json")
        if issuer
        else None,
        max_subscriptions=_int(env, "LIVE_MAX_SUBSCRIPTIONS", 20, minimum=1),
    )


def _models(env: Mapping[str, str]) -> ModelSettings | None:
    bucket = env.get("MODELS_BUCKET", "").strip()
    if not bucket:
        return None
    parameter_prefix = env.get("MODEL_PARAMETER_PREFIX", "").strip()
    if not parameter_prefix.startswith("/"):
        raise SettingsError(
            "MODEL_PARAMETER_PREFIX must be set (an SSM path such as /stack/models) "
            "when MODELS_BUCKET is"
        )
    return ModelSettings(
        bucket=bucket,
        prefix=env.get("MODELS_PREFIX", "models/").strip().strip("/") + "/",
        parameter_prefix=parameter_prefix.rstrip("/"),
        cache_dir=env.get("MODEL_CACHE_DIR", "/tmp/monolambda-models"),  # noqa: S108 - Lambda's scratch
        cache_mb=_int(env, "MODEL_CACHE_MB", 256, minimum=1),
        pointer_max_age_s=_int(env, "MODEL_POINTER_MAX_AGE_S", 60, minimum=0),
        default_model=_model_name(env.get("DEFAULT_MODEL", "digits")),
    )


def _model_name(raw: str) -> str:
    name = raw.strip()
    if not MODEL_NAME.match(name):
        raise SettingsError(f"DEFAULT_MODEL={raw!r} is not a model name (a-z, 0-9, -)")
    return name


def _environment(env: Mapping[str, str]) -> Environment:
    raw = env.get("APP_ENV")
    if raw is None:
        raise SettingsError("APP_ENV is not set; set it to one of: dev, prod")
    try:
        return Environment(raw.strip().lower())
    except ValueError:
        raise SettingsError(f"APP_ENV={raw!r} is not one of: dev, prod") from None


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} is below its minimum of {minimum}")
    return value


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (true/false)")


def load() -> Settings:
    """Settings from this process's environment."""
    return Settings.from_env(os.environ)
