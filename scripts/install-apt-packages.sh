#!/usr/bin/env bash
# Debian's packages the tests use: chromium for the browser tests (tests/e2e; Playwright
# drives this one, no browser download of its own) and graphviz, whose `dot` renders the docs'
# diagrams (tests/unit/test_docs_diagrams.py). Installs only where it can (root with apt-get).
set -euo pipefail
missing=()
if ! command -v chromium >/dev/null 2>&1 && [[ ! -x /usr/bin/chromium ]]; then
  missing+=(chromium)
fi
if ! command -v dot >/dev/null 2>&1; then
  missing+=(graphviz)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "warning: ${missing[*]} not installed and cannot be installed here (needs root and apt-get);" \
     "the tests that need them will be skipped outside CI" >&2
