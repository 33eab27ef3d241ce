// Installs Python mlx-lm, pinned, on the same mlx-cpu wheel the addon builds against, into a
// cache folder outside the repo keyed by the pinned versions ($HEYLOOK_CACHE or
// ~/.cache/heylook), so clones and CI runs share one install. Idempotent. Used by
// bench/mlx-bench.mjs and by provider-mlx's mlx-lm agreement tests (scripts/test.sh runs it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = ['mlx==0.32.4', 'mlx-cpu==0.32.4', 'mlx-lm==0.32.2'];
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');
export const mlxLmPath = path.join(cache, `mlx-lm-${packages.map((spec) => spec.split('==')[1]).join('-')}`);

export function installMlxLm() {
  const stamp = path.join(mlxLmPath, '.heylook-installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === packages.join(' ')) return mlxLmPath;
  execFileSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--target', mlxLmPath, '--upgrade', ...packages], { stdio: 'inherit' });
  writeFileSync(stamp, packages.join(' '));
  return mlxLmPath;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`mlx-lm ready in ${installMlxLm()}`);
}
