#!/usr/bin/env bash
# Creates, once, the Python venv the ferrule-mcp tests run their MCP servers
# in (the official `mcp` package), and installs the npm reference server
# `@modelcontextprotocol/server-everything` when npm is present.
# Idempotent and safe to run concurrently (flock).
#
#   tests/mcp/setup.sh      # venv in /var/cache/ferrule/venv-mcp,
#                           # npm packages in /var/cache/ferrule/npm-mcp
set -euo pipefail

venv="${FERRULE_MCP_VENV:-/var/cache/ferrule/venv-mcp}"
npm_dir="${FERRULE_MCP_NPM:-/var/cache/ferrule/npm-mcp}"
python="${PYTHON:-python3}"

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [ ! -f "$venv/.ready" ]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'mcp>=1.9,<2' uvicorn
    "$venv/bin/python" -c 'import mcp, uvicorn'
    touch "$venv/.ready"
fi

if command -v npm >/dev/null 2>&1 \
    && [ ! -f "$npm_dir/node_modules/@modelcontextprotocol/server-everything/package.json" ]; then
    mkdir -p "$npm_dir"
    npm install --silent --no-audit --no-fund --prefix "$npm_dir" \
        @modelcontextprotocol/server-everything >/dev/null \
        || echo "warning: npm install of @modelcontextprotocol/server-everything failed" >&2
fi
echo "mcp test environment ready: $venv"
