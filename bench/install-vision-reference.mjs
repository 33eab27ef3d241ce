// Installs the Python reference for provider-mlx's image preprocessing: Hugging Face transformers'
// image processors with their PIL/numpy backend (no torch), pinned to the transformers mlx-lm and
// mlx-vlm resolve to today, into a cache folder outside the repo keyed by the pinned versions
// ($HEYLOOK_CACHE or ~/.cache/heylook), like bench/install-mlx-lm.mjs. Idempotent. Used by
// bench/vision-reference.py's callers: provider-mlx's test/vision tests (scripts/test.sh runs it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = ['transformers==5.25.0', 'pillow==13.0.0', 'numpy==2.4.6'];
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');
export const visionReferencePath = path.join(cache, `vision-reference-${packages.map((spec) => spec.split('==')[1]).join('-')}`);

export function installVisionReference() {
  const stamp = path.join(visionReferencePath, '.heylook-installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === packages.join(' ')) return visionReferencePath;
  execFileSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--target', visionReferencePath, '--upgrade', ...packages], { stdio: 'inherit' });
  writeFileSync(stamp, packages.join(' '));
  return visionReferencePath;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`vision reference ready in ${installVisionReference()}`);
}
