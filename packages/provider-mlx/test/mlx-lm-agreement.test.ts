import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomModel } from '../../../bench/make-random-model.mjs';
import type { StreamPart } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { convertModel, mlxProvider } from '../src/index.js';
import { PREFILL_CHUNK } from '../src/token-decoder.js';
import { agreement, mlxLm, ours, oursBatched, randomTokens, type Decoded, type ReferenceJob } from './support/mlx-lm-reference.js';

// Each architecture's tiny random-weight model, float32 and quantized both ways (mlx_lm.convert's
// output loaded by us, ours loaded by mlx-lm), decoded by our addon and by Python mlx-lm on the
// same mlx-cpu wheel: teacher-forced next-token agreement >= 99%, identical greedy ids for 64 tokens.
const architectures = ['llama', 'llama3.1', 'mistral', 'ministral3', 'mistral3', 'qwen2', 'qwen3', 'qwen3_moe', 'gemma3_text', 'gemma3', 'phi3', 'phi3-longrope'] as const;
const variants = ['float32', 'mlx-lm q8', 'mlx-lm q4', 'heylook q8', 'heylook q4'] as const;
const prompt = [1, 400, 33, 87, 250, 19];
const forced = randomTokens(128, 512, 7);
const greedyTokens = 64;

type Variant = (typeof variants)[number];
const dirs = new Map<string, string>();
const theirs = new Map<string, Decoded>();
const table: string[] = [];
const key = (architecture: string, variant: Variant) => `${architecture} ${variant}`;

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'heylook-mlx-lm-'));
  const conversions: ReferenceJob[] = [];
  for (const architecture of architectures) {
    const float = path.join(root, architecture, 'float32');
    await makeRandomModel(float, architecture, { seed: architectures.indexOf(architecture) + 1 });
    dirs.set(key(architecture, 'float32'), float);
    for (const bits of [8, 4] as const) {
      const theirsDir = path.join(root, architecture, `mlx-lm-q${bits}`);
      conversions.push({ op: 'convert', source: float, destination: theirsDir, bits, group_size: 64 });
      dirs.set(key(architecture, `mlx-lm q${bits}`), theirsDir);
      const oursDir = path.join(root, architecture, `heylook-q${bits}`);
      await convertModel(float, oursDir, { bits, groupSize: 64, quantizeEmbeddings: true });
      dirs.set(key(architecture, `heylook q${bits}`), oursDir);
    }
  }
  await mlxLm(conversions);
  const names = [...dirs.keys()];
  const answers = await mlxLm(names.map((name) => ({ op: 'decode', dir: dirs.get(name)!, prompt, greedy: greedyTokens, forced })));
  names.forEach((name, index) => theirs.set(name, answers[index] as Decoded));
}, 600_000);

afterAll(() => {
  if (table.length) console.log(`teacher-forced agreement / greedy prefix equal to mlx-lm (of ${forced.length} / ${greedyTokens}):\n${table.join('\n')}`);
});

describe.each(architectures)('%s against mlx-lm', (architecture) => {
  it.each(variants)('%s', async (variant) => {
    const name = key(architecture, variant);
    const reference = theirs.get(name)!;
    const mine = await ours(dirs.get(name)!, prompt, greedyTokens, forced);
    const forcedAgreement = agreement(mine.forced, reference.forced);
    const sameGreedy = mine.greedy.findIndex((token, index) => token !== reference.greedy[index]);
    table.push(`${name.padEnd(24)} ${(forcedAgreement * 100).toFixed(1).padStart(5)}%  ${sameGreedy === -1 ? greedyTokens : sameGreedy}/${greedyTokens}`);
    // A model that echoes its input or repeats one token would make agreement meaningless.
    expect(agreement(reference.forced, forced)).toBeLessThan(0.1);
    expect(new Set(reference.greedy).size).toBeGreaterThan(8);
    expect(forcedAgreement).toBeGreaterThanOrEqual(0.99);
    expect(mine.greedy).toEqual(reference.greedy);
  });
});

describe.each(architectures)('%s decoding two sequences in one batch', (architecture) => {
  it('gives each the ids it gets alone (caches of different lengths, sliding windows included)', async () => {
    const dir = dirs.get(key(architecture, 'float32'))!;
    const [first, second] = await oursBatched(dir, [prompt, prompt.slice(0, 3)], greedyTokens);
    expect(first).toEqual(theirs.get(key(architecture, 'float32'))!.greedy);
    expect(second).toEqual((await ours(dir, prompt.slice(0, 3), greedyTokens, forced)).greedy);
  });

  it('gives each the ids it gets alone when a cache is longer than the padded batch takes (row by row attention)', async () => {
    const dir = dirs.get(key(architecture, 'float32'))!;
    const long = [1, ...randomTokens(299, 512, 11)];
    const [first, second] = await oursBatched(dir, [long, prompt], 16);
    expect(first).toEqual((await ours(dir, long, 16, forced)).greedy);
    expect(second).toEqual(theirs.get(key(architecture, 'float32'))!.greedy.slice(0, 16));
  });
});

describe.each(architectures)('%s through the provider', (architecture) => {
  it('loads with its tokenizer and completes greedily with the ids mlx-lm picks', async () => {
    const dir = dirs.get(key(architecture, 'float32'))!;
    const model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false }, { id: architecture, baseDir: dir });
    await model.load();
    let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
    for await (const part of model.complete!({ prompt: '', context: prompt, maxTokens: greedyTokens, temperature: 0 })) if (part.type === 'finish') finish = part;
    await model.unload();
    const generated = finish!.context!.slice(prompt.length);
    // It stops early only at the end-of-sequence id (2), which mlx-lm's raw loop runs past.
    const reference = theirs.get(key(architecture, 'float32'))!.greedy;
    const end = reference.indexOf(2);
    expect(generated).toEqual(end === -1 ? reference : reference.slice(0, end));
  });
});

describe.each(['llama', 'gemma3_text', 'qwen3'] as const)('%s through the provider, a prompt longer than one prefill piece', (architecture) => {
  it('is evaluated in pieces and continued greedily with the ids mlx-lm picks after evaluating it at once', async () => {
    const dir = dirs.get(key(architecture, 'float32'))!;
    const long = [1, ...randomTokens(599, 512, 13)];
    const [reference] = (await mlxLm([{ op: 'decode', dir, prompt: long, greedy: 16, forced: long.slice(0, 8) }])) as Decoded[];
    const model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false }, { id: architecture, baseDir: dir });
    await model.load();
    let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
    for await (const part of model.complete!({ prompt: '', context: long, maxTokens: 16, temperature: 0 })) if (part.type === 'finish') finish = part;
    await model.unload();
    expect(long.length).toBeGreaterThan(2 * PREFILL_CHUNK);
    const end = reference!.greedy.indexOf(2);
    expect(finish!.context!.slice(long.length)).toEqual(end === -1 ? reference!.greedy : reference!.greedy.slice(0, end));
  });
});
