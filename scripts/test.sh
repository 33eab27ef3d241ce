#!/usr/bin/env bash
# Sets up the workspace from nothing and runs every test. Used by the README and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tests use the repository's own models/ folder; HEYLOOK_FIXTURES points them elsewhere.
if [ -n "${HEYLOOK_FIXTURES:-}" ] && [ ! -f "$HEYLOOK_FIXTURES/stories260K.gguf" ]; then
  echo "HEYLOOK_FIXTURES=$HEYLOOK_FIXTURES holds no stories260K.gguf; unset it to use ./models." >&2
  exit 1
fi
npx -y pnpm@10 install --frozen-lockfile
# MLX: the pinned mlx-cpu wheel (pip) and the native addon (cmake-js); idempotent.
npx -y pnpm@10 run build:native
# Python mlx-lm on the same wheel, the reference provider-mlx's agreement tests compare with (cached outside the repo).
node bench/install-mlx-lm.mjs
# transformers + Pillow (no torch), the reference provider-mlx's image preprocessing is compared with.
node bench/install-vision-reference.mjs
# Python mlx-vlm on the same wheel, the reference for the vision towers and prompts with images.
node bench/install-mlx-vlm.mjs
npx -y pnpm@10 run build
# Sources and tests, every package (the build compiles sources only).
npx -y pnpm@10 run type-check
# llama.cpp's llama-server and rpc-server for provider-llama-server's tests, from the source
# node-llama-cpp ships (offline), cached by release tag outside the repo: 5.6 min on two idle
# cores the first time, nothing after. Its tests then fail rather than skip without it.
sh packages/provider-llama-server/scripts/build-llama-server.sh
export HEYLOOK_REQUIRE_LLAMA_SERVER=1
log=$(mktemp)
status=0
npx -y pnpm@10 exec turbo run test --concurrency=1 --continue --output-logs=full 2>&1 | tee "$log" || status=$?
# One closing line over all packages, in the plain "N passed, N failed" form.
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8").replace(/\x1b\[[0-9;]*m/g, "");
  const count = (pattern, text) => Number((pattern.exec(text) || [0, 0])[1]);
  let passed = 0, failed = 0, brokenFiles = 0;
  for (const line of text.split("\n")) {
    const files = /\bTest Files\s+(.*)\(\d+\)\s*$/.exec(line);
    if (files) brokenFiles = count(/(\d+) failed/, files[1]);
    const tests = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
    if (!tests) continue;
    passed += count(/(\d+) passed/, tests[1]);
    const failedTests = count(/(\d+) failed/, tests[1]);
    // A test file that fails to load counts no tests; count it as one failure.
    failed += failedTests > 0 ? failedTests : brokenFiles;
    brokenFiles = 0;
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$log"
rm -f "$log"
exit "$status"
