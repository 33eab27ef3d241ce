#!/usr/bin/env bash
# Runs the README's first command (set up and serve the repo's own model), asks it one
# question on each API, and stops it. Used by CI after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
command=$(grep -m1 -E '^npx .* heylook serve' README.md)
port=18080
log=$(mktemp)
echo "ci: README command 1: $command --port $port"
setsid bash -c "$command --port $port" >"$log" 2>&1 &
pid=$!
# The command is a chain (npx → pnpm → node): stop its whole process group.
cleanup() { kill -- "-$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "ci: the server exited" >&2; exit 1; }
  sleep 0.5
done
openai=$(curl -sf "http://127.0.0.1:$port/v1/completions" -d '{"model":"stories260K","prompt":"Once upon a time","max_tokens":12,"temperature":0}')
ollama=$(curl -sf "http://127.0.0.1:$port/api/generate" -d '{"model":"stories260K","prompt":"Once upon a time","raw":true,"stream":false,"options":{"num_predict":12,"temperature":0}}')
echo "$openai" | grep -q '"text":", there was a little girl' || { echo "ci: unexpected OpenAI answer: $openai" >&2; exit 1; }
echo "$ollama" | grep -q '"response":", there was a little girl' || { echo "ci: unexpected Ollama answer: $ollama" >&2; exit 1; }
echo "ci: README command 1 serves the repo's model on both APIs"
