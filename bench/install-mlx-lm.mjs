// Installs Python mlx-lm, pinned, on the same mlx-cpu wheel the addon builds against, into
// bench/.mlx-lm (git-ignored). Idempotent: does nothing when that version is there. Used by
// bench/mlx-bench.mjs and by provider-mlx's mlx-lm agreement tests; CI runs it once (cache bench/.mlx-lm).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const mlxLmPath = path.join(here, '.mlx-lm');
const packages = ['mlx==0.32.4', 'mlx-cpu==0.32.4', 'mlx-lm==0.32.2'];

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
