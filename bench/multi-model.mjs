// Two models decoding at the same time in one process: does each keep a fair share of the
// machine, or do their thread pools fight over the cores? Prints each model's single-stream
// tokens/s alone and together, for two GGUF models (node-llama-cpp's shared thread budget) and
// for a GGUF and an MLX model (OpenBLAS's threads beside llama.cpp's). Uses the random ~78M
// Llama bench/peers.mjs generates (Q8_0 GGUF and float32 MLX of the same weights).
// Run after `pnpm build:native && pnpm build` and `node bench/peers.mjs` once: node bench/multi-model.mjs
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestModel } from '../packages/core/dist/testing/index.js';
import ggufProvider from '../packages/provider-gguf/dist/index.js';
import mlxProvider from '../packages/provider-mlx/dist/index.js';

const dir = path.join(process.env.HEYLOOK_CACHE ?? path.join(os.homedir(), '.cache', 'heylook'), 'bench-models', 'rand100m-768x12');
if (!existsSync(path.join(dir, 'model-q8_0.gguf'))) throw new Error(`${dir} has no model-q8_0.gguf: run node bench/peers.mjs --models=rand100m once`);
const gguf = (id) => createTestModel(ggufProvider, { model_path: path.join(dir, 'model-q8_0.gguf'), stop_on_bos: false }, { id, baseDir: dir });
const mlx = (id) => createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, parallel: 1 }, { id, baseDir: dir });

async function rate(model, tokens) {
  let finish;
  for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: tokens, temperature: 0 })) if (part.type === 'finish') finish = part;
  return finish.usage.completionTokens / (finish.usage.timings.generationMs / 1000);
}

for (const [name, a, b, tokensA, tokensB] of [
  ['two GGUF models', gguf('gguf-a'), gguf('gguf-b'), 128, 128],
  ['a GGUF and an MLX model', gguf('gguf'), mlx('mlx'), 128, 48],
]) {
  await a.load();
  await b.load();
  await rate(a, 8);
  await rate(b, 4);
  const alone = [await rate(a, tokensA), await rate(b, tokensB)];
  const together = await Promise.all([rate(a, tokensA), rate(b, tokensB)]);
  const line = (index) => `${together[index].toFixed(1)} tok/s (alone ${alone[index].toFixed(1)}, ${(together[index] / alone[index]).toFixed(2)}x)`;
  console.log(`${name}: ${line(0)} + ${line(1)}`);
  await a.unload();
  await b.unload();
}
