#!/usr/bin/env bash
# Debian's Chromium for the headless GraphiQL test (tests/e2e). No browser download of
# Playwright's own: it drives this one. Installs only where it can (root with apt-get).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "warning: chromium is not installed and cannot be installed here (needs root and apt-get);" \
     "the browser test will be skipped outside CI" >&2
