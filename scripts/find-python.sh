#!/usr/bin/env bash
# Prints the path of a CPython 3.13 interpreter (the Lambda runtime's Python), or explains
# what is missing and exits 1. $PYTHON, when set, wins.
set -euo pipefail

wanted="3.13"
is_wanted() { "$1" -c "import sys; sys.exit(sys.version_info[:2] != (3, 13) or sys.implementation.name != 'cpython')" 2>/dev/null; }

candidates=()
[[ -n "${PYTHON:-}" ]] && candidates+=("$PYTHON")
command -v "python$wanted" >/dev/null 2>&1 && candidates+=("$(command -v "python$wanted")")
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for dir in "$pyenv_root"/versions/"$wanted".*; do
  [[ -x "$dir/bin/python$wanted" ]] && candidates+=("$dir/bin/python$wanted")
done
for p in /usr/local/bin/python$wanted /usr/bin/python$wanted /opt/homebrew/bin/python$wanted; do
  [[ -x "$p" ]] && candidates+=("$p")
done

for candidate in "${candidates[@]}"; do
  # pyenv shims exist for versions that are not selected; only a working interpreter counts.
  if is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

{
  echo "error: CPython $wanted (the Lambda runtime's Python) was not found."
  echo "       Looked at: \$PYTHON, python$wanted on PATH, $pyenv_root/versions/$wanted.*, /usr/bin, /usr/local/bin."
  echo "       Install it (e.g. 'pyenv install $wanted' or your OS package python$wanted), or set PYTHON=/path/to/python$wanted."
} >&2
exit 1
