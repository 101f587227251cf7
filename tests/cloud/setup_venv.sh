#!/usr/bin/env bash
# Creates the venv for the qca-sdk suite when it is missing or incomplete:
# /var/cache/ferrule/venv-cloud (override with VENV=...), with qca-sdk and
# pytest from PyPI. Prints the venv's python on the last line.
set -euo pipefail
VENV=${VENV:-/var/cache/ferrule/venv-cloud}
PY=$VENV/bin/python
if ! "$PY" -c 'import qca, pytest' 2>/dev/null; then
  mkdir -p "$(dirname "$VENV")"
  exec 9>"$VENV.lock"
  flock 9
  if ! "$PY" -c 'import qca, pytest' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "qca-sdk==0.11.0" "pytest>=8,<9" >&2
  fi
fi
echo "$PY"
