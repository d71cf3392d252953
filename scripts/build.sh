#!/usr/bin/env bash
# The deploy build: sam build, then the build info and bytecode that make the artifact start fast.
#   scripts/build.sh [BUILD_DIR] [ARCHITECTURE]   (defaults: .aws-sam/build, the template's arm64)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${1:-.aws-sam/build}"
arch="${2:-}"
python313="$(scripts/find-python.sh)"
overrides=()
[[ -n "$arch" ]] && overrides=(--parameter-overrides "Architecture=$arch")

# sam build resolves the runtime (python3.13) from PATH.
PATH="$(dirname "$python313"):$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" \
  .venv/bin/sam build --template-file template.yaml --build-dir "$build_dir" "${overrides[@]}"

artifact="$build_dir/MonolambdaFunction"
# The lock's boto3 and botocore, the pair the tests run, shadow the Lambda runtime's; their
# data only for the services the function calls (the rest is 17 MiB, and reading the whole
# endpoint data is a twentieth of a live route's cold start: the script says why each goes).
.venv/bin/python scripts/slim_sdk.py "$artifact"
# What no route imports or loads: tests, headers, stubs, tools, unused libraries (the script
# says why each can go); Lambda allows 250 MiB unzipped, and this keeps it under 130.
.venv/bin/python scripts/trim_artifact.py "$artifact"
.venv/bin/python scripts/build_info.py "$artifact/monolambda/build_info.json"
# Bytecode for the runtime's Python (3.13), whatever Python runs this script.
"$python313" scripts/compile_artifact.py "$artifact"
# What the routes make Python compile for itself at a cold start (dataclasses' methods,
# namedtuples, string annotations, regular expressions), compiled now: recorded with the
# venv's copies of the lock's packages, whose generated text is the artifact's.
.venv/bin/python scripts/precompile.py "$artifact/monolambda/precompiled.bin"
