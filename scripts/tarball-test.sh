#!/usr/bin/env bash
# Proves the published packages work: packs every package and, with plain npm in temp folders
# outside the workspace,
#   (a) cli + servers + provider-gguf + the example provider: `npx heylook serve`, one answer
#       on each API (OpenAI, Ollama, Anthropic if packages/server-anthropic exists), the example
#       provider listed and served;
#   (b) core + server-openai + provider-mlx only: the addon builds on install, stories260K-hf answers;
#   (c) examples/custom-app, compiled against the tarballs' types, answering on both APIs.
# Slow things are cached outside the repo: npm's cache and the MLX wheel + built addon in
# $HEYLOOK_CACHE (default ~/.cache/heylook). Prints timings and install sizes; exits non-zero
# with a message on the first failure. Usage: scripts/tarball-test.sh [a|b|c ...] (default: all).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export HEYLOOK_FIXTURES="${HEYLOOK_FIXTURES:-$root/models}"
export HEYLOOK_CACHE="${HEYLOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/heylook}"
export npm_config_cache="${npm_config_cache:-$HEYLOOK_CACHE/npm}"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
parts=("${@:-a b c}")
parts=(${parts[*]})

work="$(mktemp -d "${TMPDIR:-/tmp}/heylook-tarballs.XXXXXX")"
server_pid=""
# setsid (util-linux) gives each server its own process group; without it only the first process is stopped.
detach="$(command -v setsid || true)"
cleanup() {
  if [ -n "$server_pid" ]; then kill -- "-$server_pid" 2>/dev/null || kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -z "${KEEP_TARBALL_TEST:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

fail() {
  echo "tarball test FAILED: $*" >&2
  exit 1
}
step_start=0
step() {
  step_start=$(date +%s)
  echo "== $*"
}
took() { echo "   $1 took $(($(date +%s) - step_start)) s"; }
size() { du -sh "$1" 2>/dev/null | cut -f1; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# POST JSON and print the body; fails on a non-2xx status.
post() { curl -sS --fail-with-body --max-time 120 -H 'content-type: application/json' "$@"; }
wait_for_health() {
  local url="$1" log="$2"
  for _ in $(seq 1 120); do
    if curl -sf "$url/health" >/dev/null 2>&1 || curl -sf "$url/v1/models" >/dev/null 2>&1; then return 0; fi
    if [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then cat "$log" >&2; fail "the server exited during start-up"; fi
    sleep 0.5
  done
  cat "$log" >&2
  fail "the server did not answer on $url within 60 s"
}
# Servers start in their own process group (setsid), so this stops npx and the heylook it runs:
# npm exec does not pass SIGTERM on, and heylook used to outlive the test.
stop_server() {
  kill -TERM -- "-$server_pid" 2>/dev/null || kill -TERM "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
# Writes package.json for an app that installs the given packages from their tarballs. Every
# @heylook package is pinned to its tarball through overrides, so nothing comes from the registry.
write_app() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  node - "$dir" "$work/tarballs" "$@" <<'EOF'
const fs = require('fs'), path = require('path');
const [dir, tarballs, ...wanted] = process.argv.slice(2);
const byName = {};
for (const file of fs.readdirSync(tarballs)) {
  const name = file.replace(/-\d+\.\d+\.\d+.*\.tgz$/, '').replace(/^heylook-(?!provider-markov)/, '@heylook/');
  byName[name] = `file:${path.join(tarballs, file)}`;
}
const existing = fs.existsSync(path.join(dir, 'package.json')) ? JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) : {};
const dependencies = { ...(existing.dependencies ?? {}) };
for (const name of Object.keys(dependencies)) if (byName[name]) dependencies[name] = byName[name];
for (const name of wanted) {
  if (!byName[name]) { console.error(`no tarball for ${name}`); process.exit(1); }
  dependencies[name] = byName[name];
}
const overrides = Object.fromEntries(Object.entries(byName).filter(([name]) => name.startsWith('@heylook/')));
const json = { name: path.basename(dir), version: '0.0.0', private: true, type: 'module', ...existing, dependencies, overrides };
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json, null, 2));
EOF
}

[ -f "$HEYLOOK_FIXTURES/stories260K.gguf" ] || fail "test models not found in $HEYLOOK_FIXTURES; set HEYLOOK_FIXTURES"
command -v npm >/dev/null || fail "npm is not installed"
echo "work folder $work; caches: npm $npm_config_cache, heylook $HEYLOOK_CACHE"

step "build and pack"
cd "$root"
npx -y pnpm@10 build >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "the build failed"; }
mkdir -p "$work/tarballs"
npx -y pnpm@10 -r --filter './packages/*' --filter heylook-provider-markov pack --pack-destination "$work/tarballs" >"$work/pack.log" 2>&1 ||
  { tail -30 "$work/pack.log" >&2; fail "pnpm pack failed"; }
for tarball in "$work"/tarballs/*.tgz; do
  tar -xzf "$tarball" -O package/LICENSE >/dev/null 2>&1 || fail "$(basename "$tarball") has no LICENSE"
  tar -xzf "$tarball" -O package/README.md >/dev/null 2>&1 || fail "$(basename "$tarball") has no README.md"
  printf '   %-42s %s\n' "$(basename "$tarball")" "$(size "$tarball")"
done
# Every source map must name files the tarball ships (no maps into unshipped sources).
node - "$work/tarballs" <<'MAPS' || fail "source maps name files the tarballs do not ship"
const { execFileSync } = require('child_process'), fs = require('fs'), path = require('path'), os = require('os');
let broken = 0;
for (const file of fs.readdirSync(process.argv[2]).filter((name) => name.endsWith('.tgz'))) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heylook-maps-'));
  execFileSync('tar', ['-xzf', path.join(process.argv[2], file), '-C', dir]);
  const walk = (folder) => fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(path.join(folder, entry.name)) : [path.join(folder, entry.name)]));
  for (const map of walk(dir).filter((name) => name.endsWith('.map'))) {
    for (const source of JSON.parse(fs.readFileSync(map, 'utf8')).sources ?? []) {
      if (!fs.existsSync(path.resolve(path.dirname(map), source))) {
        console.error(`${file}: ${path.relative(dir, map)} names ${source}, which is not shipped`);
        broken++;
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(broken ? 1 : 0);
MAPS
took "build and pack"
anthropic=""
[ -d "$root/packages/server-anthropic" ] && anthropic="@heylook/server-anthropic"

for part in "${parts[@]}"; do
  case "$part" in
  a)
    app="$work/app-a"
    step "(a) npm install cli + servers + provider-gguf + heylook-provider-markov"
    write_app "$app" @heylook/cli @heylook/server-openai @heylook/server-ollama @heylook/provider-gguf heylook-provider-markov $anthropic
    (cd "$app" && npm install --no-package-lock >"$work/install-a.log" 2>&1) || { tail -30 "$work/install-a.log" >&2; fail "(a) npm install failed"; }
    took "(a) install"
    echo "   (a) node_modules: $(size "$app/node_modules"); of it node-llama-cpp builds: $(du -shc "$app"/node_modules/@node-llama-cpp/* 2>/dev/null | tail -1 | cut -f1)"
    cat >"$app/models.yaml" <<EOF
models:
  - id: stories
    provider: gguf
    config: { model_path: $HEYLOOK_FIXTURES/stories260K.gguf, n_ctx: 512, n_threads: 1 }
  - id: fable
    provider: markov
    config: { model_path: node_modules/heylook-provider-markov/corpus/fox-and-crow.txt, temperature: 0 }
EOF
    (cd "$app" && npx heylook providers) | tee "$work/providers-a.txt"
    grep -E '^markov +heylook-provider-markov .*ready' "$work/providers-a.txt" >/dev/null || fail "(a) heylook providers does not list the markov provider as ready"
    grep -E '^gguf .*ready' "$work/providers-a.txt" >/dev/null || fail "(a) heylook providers does not list gguf as ready"
    step "(a) npx heylook serve"
    port="$(free_port)"
    url="http://127.0.0.1:$port"
    (cd "$app" && exec $detach npx heylook serve --port "$port" --log-level warn) >"$work/serve-a.log" 2>&1 &
    server_pid=$!
    wait_for_health "$url" "$work/serve-a.log"
    took "(a) start"
    step "(a) one answer per API, the example provider listed and served"
    openai="$(post "$url/v1/chat/completions" -d '{"model":"stories","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,"temperature":0}')" ||
      fail "(a) OpenAI chat completion: $openai"
    node -e 'const b=JSON.parse(process.argv[1]); const t=b.choices[0].message.content; if(!t) throw new Error("empty"); console.log("   OpenAI  /v1/chat/completions:", JSON.stringify(t))' "$openai" ||
      fail "(a) OpenAI answer has no text: $openai"
    ollama="$(post "$url/api/generate" -d '{"model":"stories","prompt":"Once upon a time","raw":true,"stream":false,"options":{"num_predict":16,"temperature":0}}')" ||
      fail "(a) Ollama generate: $ollama"
    node -e 'const b=JSON.parse(process.argv[1]); if(!b.response) throw new Error("empty"); console.log("   Ollama  /api/generate:", JSON.stringify(b.response))' "$ollama" ||
      fail "(a) Ollama answer has no text: $ollama"
    if [ -n "$anthropic" ]; then
      messages="$(post "$url/v1/messages" -H 'anthropic-version: 2023-06-01' -d '{"model":"stories","max_tokens":16,"messages":[{"role":"user","content":"Once upon a time"}]}')" ||
        fail "(a) Anthropic messages: $messages"
      node -e 'const b=JSON.parse(process.argv[1]); const t=b.content.map(c=>c.text??"").join(""); if(!t) throw new Error("empty"); console.log("   Anthropic /v1/messages:", JSON.stringify(t))' "$messages" ||
        fail "(a) Anthropic answer has no text: $messages"
    else
      echo "   (no packages/server-anthropic: /v1/messages not tested)"
    fi
    curl -sf "$url/v1/models" | grep -q '"fable"' || fail "(a) /v1/models does not list the markov model"
    curl -sf "$url/api/tags" | grep -q '"fable:latest"' || fail "(a) /api/tags does not list the markov model"
    fable="$(post "$url/api/chat" -d '{"model":"fable","messages":[{"role":"user","content":"The fox"}],"stream":false,"options":{"num_predict":12}}')" ||
      fail "(a) the markov model did not answer: $fable"
    node -e 'const b=JSON.parse(process.argv[1]); if(!b.message.content) throw new Error("empty"); console.log("   markov  /api/chat:", JSON.stringify(b.message.content))' "$fable" ||
      fail "(a) the markov answer has no text: $fable"
    stop_server
    took "(a) requests"
    ;;
  b)
    app="$work/app-b"
    step "(b) npm install core + server-openai + provider-mlx (builds the addon on install)"
    write_app "$app" @heylook/core @heylook/server-openai @heylook/provider-mlx
    (cd "$app" && npm install --no-package-lock --foreground-scripts >"$work/install-b.log" 2>&1) || { tail -30 "$work/install-b.log" >&2; fail "(b) npm install failed"; }
    grep '@heylook/provider-mlx:' "$work/install-b.log" | sed 's/^/   /' || true
    took "(b) install"
    echo "   (b) node_modules: $(size "$app/node_modules"); MLX and OpenBLAS wheels in $HEYLOOK_CACHE: $(size "$HEYLOOK_CACHE/mlx-cpu-"*) + $(size "$HEYLOOK_CACHE/scipy-openblas32-"*)"
    cat >"$app/serve-mlx.mjs" <<'EOF'
// core + provider-mlx + the OpenAI server, no CLI: answers one request on stories260K-hf.
import path from 'node:path';
import { defineModel, ModelRouter, ProviderRegistry } from '@heylook/core';
import mlx from '@heylook/provider-mlx';
import openaiServer from '@heylook/server-openai';
import Fastify from 'fastify';

const readiness = await mlx.check();
if (!readiness.ready) throw new Error(`mlx not ready: ${readiness.problem}. Fix: ${readiness.fix}`);
// On Linux the installed addon must put OpenBLAS under MLX's float32 products, not the wheel's reference BLAS.
if (process.platform === 'linux' && !/BLAS: OpenBLAS/.test(readiness.detail)) throw new Error(`mlx runs without OpenBLAS: ${readiness.detail}`);
const registry = new ProviderRegistry();
registry.register(mlx);
const modelPath = path.join(process.env.HEYLOOK_FIXTURES, 'stories260K-hf');
const router = new ModelRouter({ registry, models: [defineModel({ id: 'stories-hf', provider: 'mlx', config: { model_path: modelPath } })] });
const app = Fastify();
await app.register(openaiServer, { router });
const response = await app.inject({
  method: 'POST',
  url: '/v1/completions',
  payload: { model: 'stories-hf', prompt: 'Once upon a time', max_tokens: 16, temperature: 0 },
});
await app.close();
await router.close();
if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}: ${response.body}`);
const text = response.json().choices[0].text;
if (!text) throw new Error(`no text: ${response.body}`);
console.log(`   MLX /v1/completions (${readiness.detail}):`, JSON.stringify(text));
EOF
    step "(b) load stories260K-hf with MLX and answer"
    (cd "$app" && node serve-mlx.mjs) || fail "(b) the MLX model did not answer"
    took "(b) request"
    ;;
  c)
    app="$work/app-c"
    step "(c) examples/custom-app from tarballs"
    mkdir -p "$app"
    cp -r "$root/examples/custom-app/src" "$root/examples/custom-app/tsconfig.json" "$root/examples/custom-app/tsconfig.build.json" "$app/"
    node -e '
      const p = require(process.argv[1] + "/examples/custom-app/package.json");
      delete p.devDependencies.vitest; delete p.scripts.test;
      require("fs").writeFileSync(process.argv[2] + "/package.json", JSON.stringify(p, null, 2));
    ' "$root" "$app"
    write_app "$app"
    (cd "$app" && npm install --no-package-lock >"$work/install-c.log" 2>&1) || { tail -30 "$work/install-c.log" >&2; fail "(c) npm install failed"; }
    took "(c) install"
    step "(c) compile against the published types, start, answer"
    (cd "$app" && npx tsc -p tsconfig.build.json) || fail "(c) the custom app does not compile against the published types"
    port="$(free_port)"
    url="http://127.0.0.1:$port"
    (cd "$app" && PORT="$port" exec $detach node dist/main.js) >"$work/serve-c.log" 2>&1 &
    server_pid=$!
    wait_for_health "$url" "$work/serve-c.log"
    answer="$(post "$url/v1/completions" -d '{"model":"stories","prompt":"Once upon a time","max_tokens":12,"temperature":0}')" || fail "(c) OpenAI completion: $answer"
    echo "   custom app /v1/completions: $(node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]).choices[0].text))' "$answer")"
    curl -sf "$url/api/tags" | grep -q '"stories:latest"' || fail "(c) /api/tags does not list the model"
    stop_server
    echo "   (c) node_modules: $(size "$app/node_modules")"
    took "(c) build and requests"
    ;;
  *) fail "unknown part '$part' (use a, b or c)" ;;
  esac
done
echo "tarball test passed (${parts[*]})"
