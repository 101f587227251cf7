#!/bin/sh
# Creates the virtualenv the SDK suite runs in, once: the real Qoder Agent
# SDK from PyPI plus pytest. Reused when it already has them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${FERRULE_SDK_VENV:-/var/cache/ferrule/venv-sdk}
stamp="$venv/.ferrule-requirements"
# Test binaries (sdk-host, session) may run this at once: one at a time.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$here/requirements.txt"; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"
