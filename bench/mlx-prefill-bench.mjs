// The MLX addon's prompt passes for a burst of concurrent requests: every prompt in one
// `prefillBatch` pass (what provider-mlx does for prompts that arrive together) against one
// pass per prompt (what it did before). Prints, per model and burst, the time until the last
// prompt is evaluated (its request's first token) both ways, and the ratio. Also the cost of
// decode rows riding along in a prompt's pass, against a decode step of their own.
// Run after `pnpm build:native && pnpm build`: node bench/mlx-prefill-bench.mjs [rounds=5]
import path from 'node:path';
import { fixturesDir } from '../packages/core/dist/testing/index.js';
import { readModelConfig } from '../packages/provider-mlx/dist/mlx-folder.js';
import { nativeAddon } from '../packages/provider-mlx/dist/native-binding.js';
import { randomFolder } from './random-models.mjs';

const rounds = Number(process.argv[2] ?? 5);
const random = await randomFolder('rand100m');

const greedy = { temperature: 0 };
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const ms = (value) => `${value.toFixed(1)} ms`;
/** A prompt of `length` ids, different for every sequence (no shared prefix to speak of). */
const prompt = (sequence, length) => Array.from({ length }, (_, index) => 10 + ((sequence * 7 + index * 13) % 200));

async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

for (const [name, dir] of [
  ['stories260K-hf', path.join(fixturesDir, 'stories260K-hf')],
  ['random 78M Llama (float32)', random],
]) {
  const model = new (nativeAddon().MlxModel)(dir, (await readModelConfig(dir)).native);
  await model.load();
  console.log(`\n${name}`);
  for (const [streams, length] of [
    [4, 12],
    [4, 50],
    [8, 12],
  ]) {
    const sequences = Array.from({ length: streams }, (_, index) => index + 1);
    const forget = () => Promise.all(sequences.map((sequence) => model.trim(sequence, 0)));
    const apart = [];
    const together = [];
    for (let round = 0; round < rounds; round++) {
      await forget();
      apart.push(await timed(async () => {
        for (const sequence of sequences) await model.prefillBatch(Int32Array.of(sequence), Int32Array.from(prompt(sequence, length)), Int32Array.of(length), [greedy]);
      }));
      await forget();
      together.push(await timed(() =>
        model.prefillBatch(
          Int32Array.from(sequences),
          Int32Array.from(sequences.flatMap((sequence) => prompt(sequence, length))),
          new Int32Array(streams).fill(length),
          sequences.map(() => greedy),
        ),
      ));
    }
    console.log(`  ${streams} prompts of ${length} tokens: last evaluated after ${ms(median(apart))} one pass each, ${ms(median(together))} in one pass (${(median(apart) / median(together)).toFixed(2)}x)`);
  }
  // Three sequences decoding (40 tokens each) while a 30-token prompt arrives.
  const rows = [1, 2, 3];
  for (const sequence of rows) await model.step(sequence, Int32Array.from(prompt(sequence, 40)), greedy);
  const alone = [];
  const mixed = [];
  const step = [];
  for (let round = 0; round < rounds; round++) {
    await model.trim(9, 0);
    alone.push(await timed(() => model.prefillBatch(Int32Array.of(9), Int32Array.from(prompt(9, 30)), Int32Array.of(30), [greedy])));
    await model.trim(9, 0);
    mixed.push(await timed(() => model.prefillBatch(Int32Array.of(9, ...rows), Int32Array.from([...prompt(9, 30), 5, 6, 7]), Int32Array.of(30, 1, 1, 1), [greedy, greedy, greedy, greedy])));
    step.push(await timed(() => model.decodeBatch(Int32Array.from(rows), Int32Array.of(5, 6, 7), [greedy, greedy, greedy], Int32Array.of(1, 1, 1), Int32Array.of())));
    for (const sequence of rows) await model.trim(sequence, 40);
  }
  console.log(`  a 30-token prompt's pass ${ms(median(alone))}; with 3 decode rows riding along ${ms(median(mixed))}; those rows' own step ${ms(median(step))}`);
  await model.unload();
}
