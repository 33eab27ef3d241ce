// MLX decode throughput in process: single-stream decode tokens/s and TTFT, and aggregate
// tokens/s of 4 concurrent streams (temperature 0.8, 200 tokens, as bench/peers.mjs asks), on
// stories260K-hf and on a random ~80M Llama (generated once into ~/.cache/heylook/bench-models).
// Run after `pnpm build:native && pnpm build`: node bench/mlx-decode-bench.mjs [runs=3] [--baseline DIR] [--only stories|random]
// --baseline: a copy of an older provider-mlx (its dist/ and build/Release/) inside
// packages/provider-mlx/build/ (so it resolves the workspace's packages); runs interleave, and
// the ratio is this build's figure over the baseline's.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestModel, fixturesDir } from '../packages/core/dist/testing/index.js';
import { randomFolder } from './random-models.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const baselineAt = argv.indexOf('--baseline');
const baseline = baselineAt >= 0 ? path.resolve(argv.splice(baselineAt, 2)[1]) : undefined;
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv.splice(onlyAt, 2)[1] : undefined;
const runs = Number(argv[0] ?? 3);
const maxTokens = 200;
const prompts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird'];

const random = only === 'stories' ? undefined : await randomFolder('rand100m');

const builds = [['this build', path.join(here, '../packages/provider-mlx/dist/index.js')]];
if (baseline) builds.unshift(['baseline', path.join(baseline, 'dist/index.js')]);
const providers = await Promise.all(builds.map(async ([name, file]) => [name, (await import(pathToFileURL(file).href)).default]));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function generate(model, prompt, seed) {
  let usage;
  // stop_on_bos is off and the prompts are short, but a sampled end-of-text can still end a run early: rates count what came.
  for await (const part of model.complete({ prompt, maxTokens, temperature: 0.8, seed })) if (part.type === 'finish') usage = part.usage;
  return usage;
}

/** One round on one build: a single stream (decode rate, TTFT), then 4 streams at once (aggregate rate). */
async function round(model, run) {
  const usage = await generate(model, prompts[run % prompts.length], run + 1);
  const started = performance.now();
  const all = await Promise.all(prompts.map((prompt, index) => generate(model, prompt, run * 10 + index + 1)));
  const seconds = (performance.now() - started) / 1000;
  return {
    single: usage.completionTokens / (usage.timings.generationMs / 1000),
    ttft: usage.timings.promptMs,
    aggregate: all.reduce((sum, each) => sum + each.completionTokens, 0) / seconds,
  };
}

for (const [name, dir] of [
  ['stories260K-hf', path.join(fixturesDir, 'stories260K-hf')],
  ['random Llama 768x12', random],
].filter(([name]) => !only || name.startsWith(only))) {
  const models = [];
  for (const [build, provider] of providers) {
    const model = createTestModel(provider, { model_path: dir, stop_on_bos: false, parallel: 4 }, { id: 'bench', baseDir: dir });
    await model.load();
    await generate(model, 'Warm up', 0);
    models.push({ build, model, results: [] });
  }
  for (let run = 0; run < runs; run++) for (const entry of models) entry.results.push(await round(entry.model, run));
  console.log(`${name} (median of ${runs}):`);
  const figures = models.map(({ build, results }) => ({
    build,
    single: median(results.map((result) => result.single)),
    ttft: median(results.map((result) => result.ttft)),
    aggregate: median(results.map((result) => result.aggregate)),
  }));
  for (const figure of figures) {
    console.log(`  ${figure.build.padEnd(10)} single ${figure.single.toFixed(0)} tok/s   TTFT ${figure.ttft.toFixed(1)} ms   4 streams ${figure.aggregate.toFixed(0)} tok/s`);
  }
  if (figures.length === 2) {
    const [before, after] = figures;
    console.log(`  ratio      single ${(after.single / before.single).toFixed(2)}x   4 streams ${(after.aggregate / before.aggregate).toFixed(2)}x`);
  }
  for (const { model } of models) await model.unload();
}
