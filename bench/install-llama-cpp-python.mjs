// Installs llama-cpp-python's server (heylookitsanllm's GGUF stack), pinned, into a virtual
// environment in the cache folder ($HEYLOOK_CACHE or ~/.cache/heylook), for bench/peers.mjs.
// pip builds it from the PyPI source, with the llama.cpp that source vendors (its own release,
// not node-llama-cpp's) and llama.cpp's default native CPU flags, AMX compiled out as for
// heylook's llama-server (core's llamaCppBuildFlags: on this Xeon AMX's Q8_0 kernel kills the
// process at the first Q8_0 product): ~10 minutes on 2 cores, once.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { llamaCppBuildFlags } from '../packages/core/dist/index.js';

export const llamaCppPythonVersion = '0.3.36';
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');
const venv = path.join(cache, `llama-cpp-python-${llamaCppPythonVersion}`);
export const llamaCppPython = path.join(venv, 'bin', 'python');

export function installLlamaCppPython() {
  const flags = llamaCppBuildFlags().join(' ');
  const recipe = `${llamaCppPythonVersion} ${flags}`;
  const stamp = path.join(venv, '.heylook-installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === recipe) return llamaCppPython;
  // A venv made with other flags gets llama-cpp-python rebuilt in it; its other packages stay.
  const fresh = !existsSync(llamaCppPython);
  if (fresh) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  const again = fresh ? [] : ['--force-reinstall', '--no-deps'];
  execFileSync(llamaCppPython, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-cache-dir', ...again, `llama-cpp-python[server]==${llamaCppPythonVersion}`], {
    stdio: 'inherit',
    env: {
      ...process.env,
      CMAKE_BUILD_PARALLEL_LEVEL: String(os.cpus().length),
      ...(flags ? { CMAKE_ARGS: `-DCMAKE_C_FLAGS='${flags}' -DCMAKE_CXX_FLAGS='${flags}'` } : {}),
    },
  });
  writeFileSync(stamp, recipe);
  return llamaCppPython;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`llama-cpp-python ready: ${installLlamaCppPython()}`);
}
