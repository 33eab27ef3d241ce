#!/bin/sh
# Builds llama.cpp's llama-server and rpc-server (CPU; Metal on macOS; CUDA when nvcc exists)
# from the source node-llama-cpp ships, into ~/.cache/heylook/llama.cpp/<tag>/bin.
# Idempotent: a second run returns at once. Cache that folder in CI (key: the tag, printed last).
# Usage: sh packages/provider-llama-server/scripts/build-llama-server.sh [--force] [--jobs=N]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$here/dist/bin/build-llama-server.js" ]; then
  (cd "$here" && npx tsc -p tsconfig.build.json)
fi
exec node "$here/dist/bin/build-llama-server.js" "$@"
