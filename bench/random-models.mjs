// Random-weight Llamas for benchmarks, made here once and cached outside git
// (~/.cache/heylook/bench-models): an MLX-layout folder and a Q8_0 GGUF of the same weights.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMlxLm, mlxLmPath } from './install-mlx-lm.mjs';
import { makeRandomLlama } from './make-random-llama.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook');

export const randomShapes = {
  /** ~78M parameters, attention heads of 96. */
  rand100m: { dir: 'rand100m-768x12', hidden: 768, layers: 12 },
  /** ~78M parameters, attention heads of 64 (as most 0.5B-1B models have: Qwen2.5, Llama 3.2 1B, SmolLM2). */
  hd64: { dir: 'rand-hd64-768x12', hidden: 768, layers: 12, heads: 12, kvHeads: 4 },
  /** Two layers shaped like Phi-3 mini's (~230M parameters): heads of 96, no grouped-query attention. */
  phi3layers: { dir: 'rand-phi3ish-3072x2', hidden: 3072, layers: 2, heads: 32, kvHeads: 32 },
  /** ~176M parameters, attention heads of 128 (as most 3B-8B models have). */
  hd128: { dir: 'rand-hd128-2048x4', hidden: 2048, layers: 4, heads: 16, kvHeads: 4 },
};

/** The MLX-layout folder of a random model from randomShapes, made on first use (no GGUF). */
export async function randomFolder(name) {
  const { dir: leaf, ...shape } = randomShapes[name];
  const dir = path.join(cache, 'bench-models', leaf);
  if (!existsSync(path.join(dir, 'config.json'))) {
    mkdirSync(dir, { recursive: true });
    await makeRandomLlama(dir, shape);
  }
  return dir;
}

/** { gguf, folder } of a random model from randomShapes, made on first use. */
export async function randomModel(name) {
  const dir = await randomFolder(name);
  const gguf = path.join(dir, 'model-q8_0.gguf');
  if (!existsSync(gguf)) {
    // gguf-py comes with the llama.cpp source the llama-server build unpacks (cached after the first time).
    const { buildLlamaServer } = await import(path.join(root, 'packages/provider-llama-server/dist/index.js'));
    const llamaServer = await buildLlamaServer({ onProgress: (line) => console.error(line) });
    installMlxLm();
    const gguffPy = path.join(path.dirname(llamaServer.binDir), 'src', 'gguf-py');
    execFileSync('python3', [path.join(root, 'bench', 'make-random-gguf.py'), dir, `${gguf}.tmp`, 'q8_0'], {
      env: { ...process.env, PYTHONPATH: [gguffPy, mlxLmPath].join(path.delimiter) },
      stdio: 'inherit',
    });
    execFileSync('mv', [`${gguf}.tmp`, gguf]);
  }
  return { gguf, folder: dir };
}
