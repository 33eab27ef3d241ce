// Installs Python mlx-vlm, pinned, as the reference for provider-mlx's vision towers. It goes into
// its own cache folder keyed by the pinned versions ($HEYLOOK_CACHE or ~/.cache/heylook) with
// --no-deps, and runs on top of bench/install-mlx-lm.mjs's install (PYTHONPATH: this folder, then
// mlx-lm's), so both references use the one mlx-cpu wheel the addon builds against and the same
// transformers. mlx-vlm's imports need Pillow besides what mlx-lm brings; its other dependencies
// (audio, opencv, the server) are not imported by the model code the tests use. Idempotent.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMlxLm } from './install-mlx-lm.mjs';

const packages = ['mlx-vlm==0.7.10', 'pillow==13.0.0'];
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');
export const mlxVlmPath = path.join(cache, `mlx-vlm-${packages.map((spec) => spec.split('==')[1]).join('-')}`);

/** Installs mlx-lm and mlx-vlm if needed; returns the PYTHONPATH that imports mlx_vlm. */
export function installMlxVlm() {
  const mlxLmPath = installMlxLm();
  const stamp = path.join(mlxVlmPath, '.heylook-installed');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== packages.join(' ')) {
    execFileSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-deps', '--target', mlxVlmPath, '--upgrade', ...packages], {
      stdio: 'inherit',
    });
    writeFileSync(stamp, packages.join(' '));
  }
  return [mlxVlmPath, mlxLmPath].join(path.delimiter);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`mlx-vlm ready: PYTHONPATH=${installMlxVlm()}`);
}
