// Two models decoding at the same time in one process: does each keep a fair share of the
// machine, or do their thread pools fight over the cores? Prints each model's single-stream
// tokens/s alone and together, for two GGUF models (node-llama-cpp's shared thread budget) and
// for a GGUF and an MLX model (OpenBLAS's threads beside llama.cpp's). Uses the random ~78M
// Llama of bench/random-models.mjs (Q8_0 GGUF and float32 MLX of the same weights, made once).
// Run after `pnpm build:native && pnpm build`: node bench/multi-model.mjs
import { createTestModel } from '../packages/core/dist/testing/index.js';
import ggufProvider from '../packages/provider-gguf/dist/index.js';
import mlxProvider from '../packages/provider-mlx/dist/index.js';
import { randomModel } from './random-models.mjs';

const { gguf: ggufFile, folder: dir } = await randomModel('rand100m');
const gguf = (id) => createTestModel(ggufProvider, { model_path: ggufFile, stop_on_bos: false }, { id, baseDir: dir });
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
