// GGUF provider benchmark on stories260K: single-stream speed, aggregate throughput at
// 1/2/4/8 concurrent streams, and time-to-first-token of a follow-up turn with and
// without prefix reuse. Run after `pnpm build`: node bench/gguf-bench.mjs
import { createTestModel } from '../packages/core/dist/testing/index.js';
import ggufProvider from '../packages/provider-gguf/dist/index.js';


async function createModel(config) {
  const model = createTestModel(ggufProvider, { model_path: 'stories260K.gguf', ...config }, { id: 'bench' });
  await model.load();
  return model;
}

async function run(stream) {
  const started = performance.now();
  let firstText;
  let finish;
  for await (const part of stream) {
    if (part.type === 'text-delta') firstText ??= performance.now() - started;
    if (part.type === 'finish') finish = part;
  }
  return { ms: performance.now() - started, ttft: firstText ?? NaN, tokens: finish.usage.completionTokens, usage: finish.usage, context: finish.context };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const prompts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird', 'The sun was hot', 'Tim had a red car', 'A cat sat', 'Mom said'];
const generation = { maxTokens: 200, temperature: 0.8, seed: 1 };

// Sampled at temperature 0.8 so no stream stops early on BOS and all do the same work.
const model = await createModel({ n_ctx: 512, parallel: 8, stop_on_bos: false });
await run(model.complete({ prompt: 'warm up', maxTokens: 20 }));

const single = [];
for (let i = 0; i < 5; i++) {
  const result = await run(model.complete({ prompt: prompts[i % prompts.length], ...generation }));
  single.push(result.tokens / (result.ms / 1000));
}
const singleRate = median(single);
console.log(`single stream: ${singleRate.toFixed(0)} tokens/s (median of 5 x ${generation.maxTokens} tokens)`);

const serialBaseline = {};
for (const concurrency of [1, 2, 4, 8]) {
  const rates = [];
  const statsBefore = model.decodeStats();
  for (let repeat = 0; repeat < 3; repeat++) {
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: concurrency }, (_, i) => run(model.complete({ prompt: prompts[i], ...generation, seed: i + 1 }))),
    );
    const tokens = results.reduce((sum, result) => sum + result.tokens, 0);
    rates.push(tokens / ((performance.now() - started) / 1000));
  }
  serialBaseline[concurrency] = median(rates);
  // How many sequences shared each decode batch (provider-gguf's batching-strategy.ts).
  const stats = model.decodeStats();
  const rowsPerBatch = (stats.rows - statsBefore.rows) / Math.max(1, stats.batches - statsBefore.batches);
  console.log(
    `concurrent x${concurrency}: ${median(rates).toFixed(0)} tokens/s aggregate (${(median(rates) / singleRate).toFixed(2)}x single stream), ${rowsPerBatch.toFixed(2)} rows per decode batch`,
  );
}
await model.unload();

// Follow-up turn: a long first turn, then the same conversation plus a little more.
const history = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. '.repeat(40);
const ttft = {};
for (const promptCache of [true, false]) {
  const reuseModel = await createModel({ n_ctx: 2048, parallel: 1, prompt_cache: promptCache });
  const chatSamples = [];
  const rawSamples = [];
  for (let i = 0; i < 5; i++) {
    const messages = [{ role: 'user', content: `${history} (${i})` }];
    await run(reuseModel.chat({ messages, maxTokens: 16, temperature: 0 }));
    chatSamples.push(
      await run(reuseModel.chat({ messages: [...messages, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'And then?' }], maxTokens: 4, temperature: 0 })),
    );
    const first = await run(reuseModel.complete({ prompt: `${history} (${i})`, maxTokens: 16, temperature: 0 }));
    rawSamples.push(await run(reuseModel.complete({ prompt: '', context: first.context, maxTokens: 4, temperature: 0 })));
  }
  await reuseModel.unload();
  for (const [kind, samples] of [['chat', chatSamples], ['raw', rawSamples]]) {
    const typical = samples[Math.floor(samples.length / 2)];
    ttft[`${kind}-${promptCache}`] = median(samples.map((sample) => sample.ttft));
    console.log(
      `${kind} follow-up TTFT ${promptCache ? 'with' : 'without'} prefix reuse: ${ttft[`${kind}-${promptCache}`].toFixed(1)} ms (prompt ${typical.usage.promptTokens} tokens, ${typical.usage.cachedPromptTokens} reused)`,
    );
  }
}
for (const kind of ['chat', 'raw']) {
  console.log(`prefix reuse speeds up the ${kind} follow-up's first token ${(ttft[`${kind}-false`] / ttft[`${kind}-true`]).toFixed(1)}x`);
}
