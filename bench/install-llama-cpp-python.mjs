// Installs llama-cpp-python's server (heylookitsanllm's GGUF stack), pinned, into a virtual
// environment in the cache folder ($HEYLOOK_CACHE or ~/.cache/heylook), for bench/peers.mjs.
// pip builds it from the PyPI source, with the llama.cpp that source vendors (its own release,
// not node-llama-cpp's) and llama.cpp's default native CPU flags: ~15 minutes on 2 cores, once.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const llamaCppPythonVersion = '0.3.36';
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');
const venv = path.join(cache, `llama-cpp-python-${llamaCppPythonVersion}`);
export const llamaCppPython = path.join(venv, 'bin', 'python');

export function installLlamaCppPython() {
  const stamp = path.join(venv, '.heylook-installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === llamaCppPythonVersion) return llamaCppPython;
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(llamaCppPython, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-cache-dir', `llama-cpp-python[server]==${llamaCppPythonVersion}`], {
    stdio: 'inherit',
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: String(os.cpus().length) },
  });
  writeFileSync(stamp, llamaCppPythonVersion);
  return llamaCppPython;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(`llama-cpp-python ready: ${installLlamaCppPython()}`);
}
