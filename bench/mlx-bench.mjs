// MLX provider vs Python mlx-lm, same mlx-cpu wheel, same folder, same prompt, one run:
// prompt and generation tokens/s on stories260K-hf and on a generated random-weights Llama.
// Run after `pnpm build:native && pnpm build`: node bench/mlx-bench.mjs
// Installs mlx-lm (pinned, into ~/.cache/heylook) on first use.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestModel, fixturesDir } from '../packages/core/dist/testing/index.js';
import mlxProvider from '../packages/provider-mlx/dist/index.js';
import { installMlxLm } from './install-mlx-lm.mjs';
import { makeRandomLlama } from './make-random-llama.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pythonPath = installMlxLm();
const prompt = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. '.repeat(12);
const maxTokens = 200;

async function ours(dir) {
  const model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, parallel: 1 }, { id: 'b', baseDir: dir });
  await model.load();
  const run = async () => {
    let finish;
    for await (const part of model.complete({ prompt, maxTokens, temperature: 0 })) if (part.type === 'finish') finish = part;
    // Overwrite the slot so the next run evaluates the whole prompt again.
    for await (const _part of model.complete({ prompt: 'x', maxTokens: 1 }));
    return finish.usage;
  };
  await run();
  const usage = await run();
  await model.unload();
  return {
    prompt_tokens: usage.promptTokens,
    prompt_tps: usage.promptTokens / (usage.timings.promptMs / 1000),
    generation_tokens: usage.completionTokens,
    generation_tps: usage.completionTokens / (usage.timings.generationMs / 1000),
  };
}

function reference(dir) {
  const output = execFileSync('python3', [path.join(here, 'mlx-lm-reference.py'), dir, prompt, String(maxTokens)], {
    env: { ...process.env, PYTHONPATH: pythonPath },
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1));
}

const random = path.join(tmpdir(), 'heylook-bench-random-llama');
const { parameters } = await makeRandomLlama(random, { hidden: 512, layers: 8 });
for (const [name, dir] of [
  ['stories260K-hf', path.join(fixturesDir, 'stories260K-hf')],
  [`random Llama ${(parameters / 1e6).toFixed(0)}M`, random],
]) {
  const mine = await ours(dir);
  const theirs = reference(dir);
  console.log(`${name}: prompt ${mine.prompt_tokens} tokens, generate ${mine.generation_tokens}`);
  console.log(`  prompt      heylook ${mine.prompt_tps.toFixed(0)} tok/s   mlx-lm ${theirs.prompt_tps.toFixed(0)} tok/s   ratio ${(mine.prompt_tps / theirs.prompt_tps).toFixed(2)}`);
  console.log(`  generation  heylook ${mine.generation_tps.toFixed(0)} tok/s   mlx-lm ${theirs.generation_tps.toFixed(0)} tok/s   ratio ${(mine.generation_tps / theirs.generation_tps).toFixed(2)}`);
}

// Concurrent requests are decoded in one batch: aggregate throughput at 1, 2, 4 streams.
{
  const model = createTestModel(mlxProvider, { model_path: random, stop_on_bos: false, parallel: 4 }, { id: 'c', baseDir: random });
  await model.load();
  const generate = async (seed) => {
    let tokens = 0;
    for await (const part of model.complete({ prompt: `Once upon a time ${seed}`, maxTokens: 64, temperature: 0.8, seed })) {
      if (part.type === 'finish') tokens = part.usage.completionTokens;
    }
    return tokens;
  };
  let single;
  for (const streams of [1, 2, 4]) {
    const started = performance.now();
    const tokens = (await Promise.all(Array.from({ length: streams }, (_, index) => generate(index + 1)))).reduce((sum, count) => sum + count, 0);
    const rate = tokens / ((performance.now() - started) / 1000);
    single ??= rate;
    console.log(`concurrent x${streams} (random Llama): ${rate.toFixed(1)} tok/s aggregate (${(rate / single).toFixed(2)}x one stream)`);
  }
  const stats = model.decodeStats();
  console.log(`mean decode batch: ${(stats.rows / stats.batches).toFixed(2)} rows`);
  await model.unload();
}
