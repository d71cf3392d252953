#!/usr/bin/env bash
# sam deploy for one environment of samconfig.toml, for the architecture the build used.
#   scripts/deploy.sh [ENV] [ARCHITECTURE]     (defaults: dev, the template's arm64)
# `sam deploy --parameter-overrides` replaces samconfig's overrides rather than adding to
# them, so an architecture is passed along with the environment's own overrides.
# DRY_RUN=1 prints the command instead of running it.
set -euo pipefail
cd "$(dirname "$0")/.."

env="${1:-dev}"
arch="${2:-}"
args=(deploy --config-env "$env")
if [[ -n "$arch" ]]; then
  overrides="$(.venv/bin/python - "$env" <<'PY'
import sys, tomllib
config = tomllib.load(open("samconfig.toml", "rb"))
print(config[sys.argv[1]]["deploy"]["parameters"].get("parameter_overrides", ""))
PY
)"
  read -r -a pairs <<< "$overrides"
  args+=(--parameter-overrides "${pairs[@]}" "Architecture=$arch")
fi
if [[ -n "${DRY_RUN:-}" ]]; then
  echo "sam ${args[*]}"
else
  SAM_CLI_TELEMETRY=0 .venv/bin/sam "${args[@]}"
  # The SecureStrings the template's Metadata names (the list cursors' key), made once.
  .venv/bin/python -m devstack.secrets --config-env "$env"
fi
