#!/usr/bin/env bash
# The seed quickstart's curl flow against a running ferrule-server, then the
# current docs' flow (events array, content blocks, agent_toolset).
# Usage: BASE_URL=http://127.0.0.1:PORT/api/v1/cloud QODER_PAT=KEY quickstart.sh
set -euo pipefail
: "${BASE_URL:?set BASE_URL to http://HOST:PORT/api/v1/cloud}"
: "${QODER_PAT:?set QODER_PAT to an API key}"
AUTH=(-H "Authorization: Bearer $QODER_PAT")
fail() { echo "quickstart: $*" >&2; exit 1; }

# Reads the SSE stream of a session until its first session.status_idle
# (30 s at most); prints the event types seen, one per line.
stream_until_idle() {
  local session=$1 out
  out=$(mktemp)
  curl -s -N "$BASE_URL/sessions/$session/events/stream" "${AUTH[@]}" >"$out" &
  local pid=$!
  for _ in $(seq 300); do
    grep -q '^event: session.status_idle' "$out" && break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sed -n 's/^event: //p' "$out" | sed '/^session.status_idle$/q'
  rm -f "$out"
}

echo "== seed flow"
ENV_ID=$(curl -s "$BASE_URL/environments" "${AUTH[@]}" | jq -r '.data[0].id')
[[ "$ENV_ID" == env_* ]] || fail "no environment listed on a fresh server: $ENV_ID"

AGENT=$(curl -s -X POST "$BASE_URL/agents" "${AUTH[@]}" -H "Content-Type: application/json" \
  -d '{"name":"seed-agent","model":"ultimate","system":"You are a helpful coding assistant.","tools":[{"type":"bash_20250124"}]}')
AGENT_ID=$(echo "$AGENT" | jq -r '.id')
[[ "$AGENT_ID" == agent_* ]] || fail "agent create: $AGENT"

SESSION=$(curl -s -X POST "$BASE_URL/sessions" "${AUTH[@]}" -H "Content-Type: application/json" \
  -d "{\"agent\": \"$AGENT_ID\", \"environment_id\": \"$ENV_ID\"}")
SESSION_ID=$(echo "$SESSION" | jq -r '.id')
[[ "$SESSION_ID" == sess_* ]] || fail "session create: $SESSION"
[ "$(echo "$SESSION" | jq -r '.status')" = idle ] || fail "new session not idle: $SESSION"

SENT=$(curl -s -X POST "$BASE_URL/sessions/$SESSION_ID/events" "${AUTH[@]}" -H "Content-Type: application/json" \
  -d '{"type":"user.message","content":"Write a Python function that returns the nth Fibonacci number and test it."}')
[[ "$(echo "$SENT" | jq -r '.data[0].id')" == evt_* ]] || fail "send: $SENT"

SEEN=$(stream_until_idle "$SESSION_ID")
echo "$SEEN"
for expected in user.message session.status_running span.model_request_start agent.tool_use agent.tool_result agent.message span.model_request_end session.status_idle; do
  grep -qx "$expected" <<<"$SEEN" || fail "stream lacks $expected"
done

echo "== FAQ: errors"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/agents" -H "Authorization: Bearer wrong-token")
[ "$CODE" = 401 ] || fail "bad token gave $CODE"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE_URL/agents" "${AUTH[@]}" -d '{"name":"x","model":"ultimate","tools":"bash"}')
[ "$CODE" = 400 ] || fail "tools not an array gave $CODE"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE_URL/agents" "${AUTH[@]}" -d '{"name":"x","model":7}')
[ "$CODE" = 400 ] || fail "bad model gave $CODE"

echo "== docs flow"
AGENT_ID=$(curl -s -X POST "$BASE_URL/agents" "${AUTH[@]}" -H "Content-Type: application/json" \
  -d '{"name":"my-first-agent","model":"ultimate","system":"You are efficient.","tools":[{"type":"agent_toolset_20260401","enabled_tools":["Bash","Read","Write","Edit","Glob","Grep","WebFetch","WebSearch"]}]}' | jq -r '.id')
[[ "$AGENT_ID" == agent_* ]] || fail "docs agent create"
SESSION_ID=$(curl -s -X POST "$BASE_URL/sessions" "${AUTH[@]}" -H "Content-Type: application/json" \
  -d "{\"agent\": \"$AGENT_ID\", \"environment_id\": \"$ENV_ID\"}" | jq -r '.id')
curl -s -X POST "$BASE_URL/sessions/$SESSION_ID/events" "${AUTH[@]}" -H "Content-Type: application/json" \
  -d '{"events":[{"type":"user.message","content":[{"type":"text","text":"Print Hello World and tell me the current system time."}]}]}' >/dev/null
SEEN=$(stream_until_idle "$SESSION_ID")
grep -qx agent.message <<<"$SEEN" || fail "docs flow stream lacks agent.message: $SEEN"
LAST=$(curl -s "$BASE_URL/sessions/$SESSION_ID/events?order=desc&limit=1" "${AUTH[@]}" | jq -r '.data[0].stop_reason.type')
[ "$LAST" = end_turn ] || fail "docs flow ended with $LAST"
echo "quickstart: ok"
