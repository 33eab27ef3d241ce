// GGUF decode speed and time to first token as the context grows, with llama.cpp's flash
// attention on and off (provider-gguf turns it off on the CPU for heads whose width is not a
// multiple of 64; core's cpuFlashAttention says why), for attention heads of 8 (stories260K),
// 64, 96 (twice) and 128 (random Q8_0 Llamas made here and cached, bench/random-models.mjs);
// the two settings take turns, twice each. Run after `pnpm build`:
//   node bench/gguf-context-bench.mjs [model name prefix, e.g. hd64]
import { createTestModel } from '../packages/core/dist/testing/index.js';
import ggufProvider from '../packages/provider-gguf/dist/index.js';
import { randomModel } from './random-models.mjs';

const only = process.argv[2];
const models = [
  ['stories260K (heads of 8)', 'stories260K.gguf'],
  ['hd64 Q8_0 (heads of 64)', 'hd64'],
  ['rand100m Q8_0 (heads of 96)', 'rand100m'],
  ['phi3layers Q8_0 (heads of 96, 3072 wide)', 'phi3layers'],
  ['hd128 Q8_0 (heads of 128)', 'hd128'],
].filter(([name]) => !only || name.startsWith(only));
const sentence = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog. ';
const lengths = [0, 10, 42, 84]; // sentences: ~25, ~375, ~1500 and ~2965 prompt tokens
const decodeTokens = 48;

async function measure(modelPath, flashAttention) {
  const model = createTestModel(ggufProvider, { model_path: modelPath, n_ctx: 4096, stop_on_bos: false, flash_attention: flashAttention }, { id: 'bench' });
  await model.load();
  const rows = [];
  for (const sentences of lengths) {
    const started = performance.now();
    let first;
    let finish;
    // A different first word each time, so no prefix is reused.
    const prompt = `${Math.random()}. ${sentence.repeat(sentences)}Once upon a time`;
    for await (const part of model.complete({ prompt, maxTokens: decodeTokens, temperature: 0 })) {
      if (part.type === 'text-delta') first ??= performance.now();
      if (part.type === 'finish') finish = part;
    }
    const ended = performance.now();
    const generated = finish.usage.completionTokens;
    rows.push({ context: finish.usage.promptTokens, ttft: first - started, rate: (generated - 1) / ((ended - first) / 1000) });
  }
  await model.unload();
  return rows;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [name, fixtureOrRandom] of models) {
  const file = fixtureOrRandom.endsWith('.gguf') ? fixtureOrRandom : (await randomModel(fixtureOrRandom)).gguf;
  const runs = { on: [], off: [] };
  for (let round = 0; round < 2; round++) {
    for (const setting of ['on', 'off']) runs[setting].push(await measure(file, setting === 'on'));
  }
  console.log(`\n${name}: ${decodeTokens} greedy tokens after prompts of growing length (flash attention on | off, best of 2)`);
  lengths.forEach((_, index) => {
    const pick = (setting, key) => Math.max(...runs[setting].map((rows) => rows[index][key]));
    const fastest = (setting) => Math.min(...runs[setting].map((rows) => rows[index].ttft));
    const on = pick('on', 'rate');
    const off = pick('off', 'rate');
    console.log(
      `  ${String(median(runs.on.map((rows) => rows[index].context))).padStart(5)} tokens: decode ${on.toFixed(0)} | ${off.toFixed(0)} tok/s (off/on ${(off / on).toFixed(2)}x), TTFT ${fastest('on').toFixed(0)} | ${fastest('off').toFixed(0)} ms`,
    );
  });
}
