# The two commands: `make dev` (run it locally) and `make test` (every check). Each sets itself up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# sam and cfn-lint need a region even offline; no credentials are read by these targets.
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: emulator emulator-test docs docs-serve diagrams help venv web web-types web-check metrics-templates deploy-template destroy user login dev token predict models eval-digits train-digits seed-models test lint typecheck template-lint pytest lock build bench deploy clean schema mutation trusted-client web-dev

help:
	@echo "make dev    the whole stack locally: API on http://127.0.0.1:3000/graphql, DynamoDB Local,"
	@echo "            moto (SQS, S3, SSM), the SQS and stream mappings, S3 notifications and the"
	@echo "            schedule, all to the one function, and the browser client on"
	@echo "            http://127.0.0.1:3000/ (sets itself up; ARGS=--help)"
	@echo "make token  a JWT for the local authorizer: make token USER=bob GROUPS=admins"
	@echo "            (STATE_DIR=.dev: the stack whose key signs it, for make dev/token/predict)"
	@echo "make predict IMAGE=samples/seven.png [MODEL=digits]  classify a file with the running stack"
	@echo "make models rebuild the bundled models into build/models (make dev does it once)"
	@echo "make eval-digits  the digits model's top-1 on the reserved MNIST samples, drawn and"
	@echo "            photographed, through the API's preprocessing (EVAL_MODEL=build/models/digits/1"
	@echo "            for another version; ARGS='--seed 7 --seed 8' for other draws)"
	@echo "make train-digits retrain models/digits/3 (PyTorch, in its own .venv-train; ~30 min;"
	@echo "            TRAIN_OUT=dir to write elsewhere, ARGS='--epochs 2' for the script's options)"
	@echo "make test   ruff, mypy, the web client's types, template lint, pytest (sets itself up)"
	@echo "make docs   build the docs site into build/site (strict: broken links fail); make"
	@echo "            docs-serve serves it with reload on http://127.0.0.1:8001/"
	@echo "make diagrams  render docs/assets/*.dot to SVG (Graphviz's dot)"
	@echo "make web    build the browser client into web/dist (make dev serves it at /)"
	@echo "make web-dev  Vite's dev server with hot reload on http://127.0.0.1:5173/, in front"
	@echo "            of the running make dev stack"
	@echo "make web-types  after a change to schema.graphql or web/src/graphql: the client's"
	@echo "            types and the trusted-documents manifest the function ships"
	@echo "make trusted-client NAME=team-b MANIFEST=path  register another client's operations"
	@echo "            (Code Generator's or Apollo's manifest), checked against the schema"
	@echo "make bench  start-up, artifact, validation, prediction, cost, local-stack, job, live-update and"
	@echo "            web benchmarks"
	@echo "            (ONLY=startup runs bench/startup.py alone; ARGS for its options)"
	@echo "make build  sam build, with the git revision and build time recorded (ARCH=x86_64)"
	@echo "make deploy build, then sam deploy (ENV=dev|prod, ARCH=arm64|x86_64, PARAMS=\"Name=Value ...\","
	@echo "            CONFIRM=no for no changeset prompt), then the stack's secrets and models"
	@echo "make deploy-template  build, then the built template with its language extensions"
	@echo "            resolved (ENV, PARAMS); make deploy RESOLVED=1 deploys that one"
	@echo "make seed-models ENV=dev  upload the bundled models to a deployed stack's bucket"
	@echo "make destroy ENV=dev CONFIRM_STACK=monolambda-dev  empty the stack's bucket, delete its"
	@echo "            secrets, then the stack"
	@echo "make user ENV=dev EMAIL=a@example.com [GROUPS=admins]  a user of a deployed stack's pool"
	@echo "make login ENV=dev EMAIL=a@example.com  (PASSWORD=...) its token for the API (dev only)"
	@echo "make emulator-test  deploy to an AWS emulator here (ministack), smoke-test, destroy"
	@echo "make mutation  mutants of the request guard's modules against the unit tests, and"
	@echo "            each module's score (goal >= 90 %; minutes, so not in make test)"
	@echo "make lock   re-pin requirements-dev.txt and src/requirements.txt from pyproject.toml"
	@echo "make metrics-templates  after a change to monolambda.metrics.METRICS or Powertools:"
	@echo "            each metric's EMF line as Powertools writes it (src/monolambda/emf-templates.json)"
	@echo "make schema write schema.graphql from the code, listing each change as breaking,"
	@echo "            dangerous or safe (a breaking one is not written: ARGS=--allow-breaking)"

venv:
	@scripts/bootstrap.sh

# The browser client (web/): built into web/dist when a source is newer than the build.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
  web/vite.config.ts web/tsconfig.json web/package-lock.json
web/dist/index.html: $(WEB_SOURCES) | venv
	npm run --prefix web --silent build
web: web/dist/index.html

# Vite's dev server with hot reload at http://127.0.0.1:5173/, in front of the running
# `make dev` stack of STATE_DIR (its API, sign-in and WebSocket API through Vite's proxy).
web-dev: venv
	@test -f $(STATE_DIR)/stack.json || { echo "no stack running: start one with make dev (STATE_DIR=$(STATE_DIR))"; exit 2; }
	MONOLAMBDA_STACK=$$($(PY) -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' $(STATE_DIR)/stack.json) \
	  npm run --prefix web dev

# After changing schema.graphql or web/src/graphql/*.graphql: the client's types and the
# trusted-documents manifest, copied into the function (src/monolambda/api/).
web-types: venv
	npm run --prefix web --silent codegen
	$(PY) scripts/trusted_documents.py add web web/src/gql/persisted-documents.json

# Another team's client: its operations registered (or updated) from the manifest its own
# tooling writes (GraphQL Code Generator's persisted documents, or Apollo's persisted query
# manifest), checked against schema.graphql and prod's limits (scripts/trusted_documents.py).
trusted-client: venv
	@test -n "$(NAME)" -a -n "$(MANIFEST)" || { echo "usage: make trusted-client NAME=team-b MANIFEST=path/to/manifest.json"; exit 2; }
	$(PY) scripts/trusted_documents.py add "$(NAME)" "$(MANIFEST)"

# In `make test`: the operations are valid against schema.graphql and their generated types
# are current (codegen --check), and the client type-checks.
web-check: venv
	npm run --prefix web --silent codegen:check
	npm run --prefix web --silent typecheck

PORT ?= 3000
# The stack's state (signing key, logs, stack.json); another one runs a second stack beside.
STATE_DIR ?= .dev
# When `make dev` began (read before its set-up runs), so that the banner's "ready in" counts it.
DEV_BEGAN := $(if $(filter dev,$(MAKECMDGOALS)),$(shell date +%s.%N))
dev: venv web
	DEVSTACK_BEGAN=$(DEV_BEGAN) $(PY) -m devstack --port $(PORT) --state-dir $(STATE_DIR) $(ARGS)

MODEL ?= digits
TOPK ?= 3
predict: venv
	@test -n "$(IMAGE)" || { echo "usage: make predict IMAGE=path.png [MODEL=digits] [TOPK=3]"; exit 2; }
	@$(PY) scripts/predict.py "$(IMAGE)" --model $(MODEL) --top-k $(TOPK) --state-dir $(STATE_DIR)

models: venv
	$(PY) scripts/build_models.py build/models

EVAL_MODEL ?= models/digits/3
eval-digits: venv
	$(PY) -m training.evaluate --model $(EVAL_MODEL) $(ARGS)

# PyTorch (the `train` extra) is too large for `make test`'s set-up: its own Python 3.11 venv
# (the CPU wheel on hand is for 3.11), used only here. The result is committed.
TRAIN_VENV := .venv-train
TRAIN_OUT ?= models/digits/3
train-digits: venv
	@test -x $(TRAIN_VENV)/bin/python || python3.11 -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[train]"
	$(TRAIN_VENV)/bin/python training/train_digits.py --out $(TRAIN_OUT) $(ARGS)
	$(PY) -m training.evaluate --model $(TRAIN_OUT)

USER ?= alice
token: venv
	@$(PY) -m devstack.tokens $(USER) --groups "$(GROUPS)" --state-dir $(STATE_DIR)

test: venv lint typecheck web-check template-lint docs pytest

# The docs site (mkdocs.yml; docs/): strict, so a broken link, anchor or snippet fails.
export NO_MKDOCS_2_WARNING := 1
docs: venv
	$(BIN)/mkdocs build --strict --quiet

docs-serve: venv
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8001

# The docs' diagrams, rendered from their Graphviz sources (a test holds them equal).
DIAGRAMS := $(patsubst %.dot,%.svg,$(wildcard docs/assets/*.dot))
diagrams: $(DIAGRAMS)
docs/assets/%.svg: docs/assets/%.dot
	dot -Tsvg $< -o $@

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

template-lint:
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template-file template.yaml

# The models' evaluations run beside the rest of the suite (scripts/run_pytest.py); given
# PYTEST_ARGS, pytest runs those alone.
pytest: web emulator
	@scripts/install-apt-packages.sh
	$(PY) scripts/run_pytest.py $(PYTEST_ARGS)

schema: venv
	$(PY) scripts/schema_contract.py $(ARGS)

# The guard's modules ([tool.mutmut] in pyproject.toml) mutated, each mutant run against the
# unit tests that reach it; then each module's score, message-only mutants left out.
MUTATION_VENV := .venv-mutation
mutation: venv
	@test -x $(MUTATION_VENV)/bin/python || $(PY) -m venv $(MUTATION_VENV)
	$(BIN)/uv pip sync --quiet --python $(MUTATION_VENV)/bin/python requirements-mutation.txt
	@echo "../../../../src" > "$$($(MUTATION_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/monolambda-src.pth"
	rm -rf mutants
	@echo "mutmut run: about 7 minutes on 2 cores"
	$(MUTATION_VENV)/bin/mutmut run --max-children 2 > mutants.log 2>&1 || true
	$(PY) scripts/mutation_report.py $(ARGS)

# The deploy test's AWS emulator (ministack, pinned in requirements-emulator.txt) in a venv
# of its own: it pins botocore and graphql-core to versions of its own. `make emulator-test`
# runs that test alone: deploy to it, the smoke test, destroy (tests/e2e/test_emulator_deploy.py).
EMULATOR_VENV := .venv-emulator
$(EMULATOR_VENV)/synced: requirements-emulator.txt | venv
	@test -x $(EMULATOR_VENV)/bin/python || $(PY) -m venv $(EMULATOR_VENV)
	@echo "  $(EMULATOR_VENV): the AWS emulator the deploy test deploys to (requirements-emulator.txt)"
	@$(BIN)/uv pip sync --quiet --python $(EMULATOR_VENV)/bin/python requirements-emulator.txt
	@touch $@
emulator: $(EMULATOR_VENV)/synced
emulator-test: venv emulator
	$(PY) -m pytest -rA tests/e2e/test_emulator_deploy.py $(PYTEST_ARGS)

metrics-templates: venv
	$(PY) scripts/emf_templates.py

lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.13 \
	  --no-header --annotation-style line -o requirements-dev.txt -q
	$(BIN)/uv pip compile pyproject.toml -c requirements-dev.txt --python-version 3.13 \
	  --python-platform aarch64-manylinux_2_28 --no-header --annotation-style line \
	  -o src/requirements.txt -q
	$(BIN)/uv pip compile requirements-mutation.in --override requirements-mutation-overrides.txt \
	  --python-version 3.13 --no-header --annotation-style line -o requirements-mutation.txt -q
	$(BIN)/uv pip compile requirements-emulator.in --python-version 3.13 --no-header \
	  --annotation-style line -o requirements-emulator.txt -q

# The function's architecture: the template's default (arm64) unless ARCH says otherwise.
ARCH ?=
BUILD_DIR ?= .aws-sam/build
build: venv
	scripts/build.sh $(BUILD_DIR) $(ARCH)

BENCHES := startup artifact validation predict amplification local_stack jobs job_fairness live web
ONLY ?= $(BENCHES)
bench: venv
	@for name in $(ONLY); do \
	  test -f bench/$$name.py || { echo "no bench/$$name.py (one of: $(BENCHES))"; exit 2; }; \
	  echo "== bench/$$name.py"; $(PY) bench/$$name.py $(ARGS) || exit 1; \
	done

# PARAMS="Name=Value ..." over the environment's parameter_overrides; CONFIRM=no (or no
# terminal) deploys without showing the changeset for confirmation (scripts/deploy.py);
# RESOLVED=1 deploys the built template with AWS::LanguageExtensions resolved here, for
# CloudFormation implementations (emulators) that do not run that transform.
PARAMS ?=
CONFIRM ?= auto
RESOLVED ?=
deploy: build
	$(PY) scripts/deploy.py deploy $(or $(ENV),dev) --arch "$(ARCH)" --params "$(PARAMS)" \
	  --confirm $(CONFIRM) --build-dir $(BUILD_DIR) $(if $(RESOLVED),--resolved)

# The built template with AWS::LanguageExtensions resolved for ENV, ARCH and PARAMS
# ($(BUILD_DIR)/template.resolved.json): what `make deploy RESOLVED=1` deploys.
deploy-template: build
	$(PY) scripts/deploy.py template $(or $(ENV),dev) --arch "$(ARCH)" --params "$(PARAMS)" \
	  --build-dir $(BUILD_DIR)

# Empties what the stack owns (its data bucket, its secrets), then deletes it; only with
# CONFIRM_STACK naming the stack (devstack/teardown.py).
CONFIRM_STACK ?=
destroy: venv
	$(PY) -m devstack.teardown --config-env $(or $(ENV),dev) --confirm "$(CONFIRM_STACK)"

# A user of a deployed stack's user pool, and a token for the API (devstack/users.py):
# make user ENV=dev EMAIL=you@example.com [GROUPS=admins]; PASSWORD=... make login ENV=dev EMAIL=...
EMAIL ?=
user: venv
	@test -n "$(EMAIL)" || { echo "usage: make user ENV=dev EMAIL=you@example.com [GROUPS=admins]"; exit 2; }
	@$(PY) -m devstack.users add "$(EMAIL)" --groups "$(GROUPS)" --config-env $(or $(ENV),dev)
login: venv
	@test -n "$(EMAIL)" || { echo "usage: PASSWORD=... make login ENV=dev EMAIL=you@example.com"; exit 2; }
	@$(PY) -m devstack.users token "$(EMAIL)" --config-env $(or $(ENV),dev)

seed-models: venv
	$(PY) -m devstack.seed --config-env $(or $(ENV),dev)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
