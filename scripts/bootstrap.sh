#!/usr/bin/env bash
# Creates or refreshes .venv with exactly the locked dev set (requirements-dev.txt), compiled
# to bytecode. Does nothing when the lock has not changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.lock-hash"
lock_hash="$(cat requirements-dev.txt scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
  exit 0
fi

python="$(scripts/find-python.sh)"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import sys; sys.exit(sys.version_info[:2] != (3, 13))"; then
  echo "creating $venv with $python" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi

uv_version="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements-dev.txt)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
# PYTHONDONTWRITEBYTECODE may be set in the caller's environment; compile explicitly so that
# start-up measurements and tests see the same bytecode Lambda would.
"$venv/bin/uv" pip sync --quiet --python "$venv/bin/python" --compile-bytecode requirements-dev.txt
echo "$lock_hash" > "$stamp"
