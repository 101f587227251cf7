#!/bin/sh
# Installs the TypeScript Agent SDK from npm once, without its postinstall
# (which downloads Qoder's own runtime; the suite points the SDK at ferrule).
set -eu
dir=${FERRULE_SDK_NPM:-/var/cache/ferrule/npm-sdk}
version=1.0.39
if [ -f "$dir/node_modules/@qoder-ai/qoder-agent-sdk/package.json" ] &&
    grep -q "\"version\": \"$version\"" "$dir/node_modules/@qoder-ai/qoder-agent-sdk/package.json"; then
    exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name": "ferrule-sdk-tests", "private": true}' > "$dir/package.json"
cd "$dir"
npm install --no-audit --no-fund --ignore-scripts --silent "@qoder-ai/qoder-agent-sdk@$version"
