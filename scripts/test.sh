#!/usr/bin/env bash
# Sets up the workspace from nothing and runs every test. Used by the README and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export HEYLOOK_FIXTURES="${HEYLOOK_FIXTURES:-$(cd .. && pwd)/shared/models}"
npx -y pnpm@10 install --frozen-lockfile
npx -y pnpm@10 run build
npx -y pnpm@10 exec turbo run test --concurrency=1
