import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectStream, errorCodes, type StreamPart } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomModel } from '../../../bench/make-random-model.mjs';
import { type MlxModel, mlxProvider } from '../src/index.js';
import { mlxLm, ours, randomTokens, type Decoded } from './support/mlx-lm-reference.js';


async function run(config: Record<string, unknown>, maxTokens: number, prompt = 'Once upon a time') {
  const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf', stop_on_bos: false, ...config }, { id: 'kv' });
  await model.load();
  const parts: StreamPart[] = [];
  for await (const part of model.complete!({ prompt, maxTokens, temperature: 0 })) parts.push(part);
  await model.unload();
  const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
  return { tokens: finish.context!, finish };
}

describe('mlx KV caches', () => {
  it('a rotating cache larger than the text changes nothing; a small one runs far past its limit', async () => {
    const standard = await run({}, 300);
    expect((await run({ cache_type: 'rotating', max_kv_size: 400 }, 300)).tokens).toEqual(standard.tokens);
    const rotating = await run({ max_kv_size: 64 }, 300);
    expect(rotating.finish).toMatchObject({ reason: 'length', usage: { completionTokens: 300 } });
    // Identical while the window still holds everything, then free to differ.
    expect(rotating.tokens.slice(0, 64)).toEqual(standard.tokens.slice(0, 64));
  });

  it('a quantized cache gives the ids mlx-lm gives with its QuantizedKVCache, 8 and 4 bits', async () => {
    // head_dim 64: the cache quantizes each head's keys along head_dim, in groups of 64 or 32.
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-kv-'));
    await makeRandomModel(dir, 'llama', { seed: 3, shape: { headDim: 64 } });
    const prompt = [1, 400, 33, 87, 250, 19];
    const forced = randomTokens(64, 512, 5);
    const settings = [
      { kv_bits: 8, kv_group_size: 64 },
      { kv_bits: 4, kv_group_size: 32 },
    ];
    const [float, ...references] = (await mlxLm([
      { op: 'decode', dir, prompt, greedy: 100, forced },
      ...settings.map((cache) => ({ op: 'decode' as const, dir, prompt, greedy: 100, forced, ...cache })),
    ])) as Decoded[];
    expect(new Set(float!.greedy).size).toBeGreaterThan(8);
    for (const [index, cache] of settings.entries()) {
      // Quantized from the first decode step on, as mlx-lm does after the prompt.
      const mine = await ours(dir, prompt, 100, forced, { ...cache, quantized_kv_start: 0 });
      expect(mine.greedy).toEqual(references[index]!.greedy);
    }
    // The quantization did something: 4-bit keys change the text somewhere in 100 tokens.
    expect(references[1]!.greedy).not.toEqual(float!.greedy);
  });

  it('a quantized cache from token 32 on runs far past that point through the provider', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-kv-'));
    await makeRandomModel(dir, 'llama', { seed: 3, shape: { headDim: 64 } });
    const model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, kv_bits: 8, kv_group_size: 64, quantized_kv_start: 32 }, { id: 'kv' });
    await model.load();
    try {
      const first = await collectStream(model.complete!({ prompt: 'Once upon a time', maxTokens: 300, temperature: 0 }));
      expect(first.usage.completionTokens).toBe(300);
      // The same prompt again: the slot could only reuse tokens below quantized_kv_start, so it
      // starts over (mlx-model.ts) and gives the same text; reusing them made it differ.
      const again = await collectStream(model.complete!({ prompt: 'Once upon a time', maxTokens: 300, temperature: 0 }));
      expect(again.text).toBe(first.text);
    } finally {
      await model.unload();
    }
  });

  it('concurrent requests on a quantized cache decode together, each what it decodes alone', async () => {
    // A batched decode step attends over each quantized cache as stored, row by row (llama_model_batch.cpp).
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-kv-'));
    await makeRandomModel(dir, 'llama', { seed: 5, shape: { headDim: 64 } });
    const model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, parallel: 4, kv_bits: 8, kv_group_size: 64, quantized_kv_start: 0 }, { id: 'kv' }) as MlxModel;
    await model.load();
    try {
      const prompts = ['Once upon a time', 'The little dog', 'Tom had a big red ball', 'One day'];
      const answer = async (prompt: string) => (await collectStream(model.complete({ prompt, maxTokens: 60, temperature: 0 }))).text;
      const alone: string[] = [];
      for (const prompt of prompts) alone.push(await answer(prompt));
      expect(new Set(alone).size).toBe(prompts.length);
      const before = model.decodeStats();
      expect(await Promise.all(prompts.map(answer))).toEqual(alone);
      const after = model.decodeStats();
      expect((after.rows - before.rows) / (after.batches - before.batches)).toBeGreaterThan(2);
    } finally {
      await model.unload();
    }
  });

  it('rejects cache settings the model cannot use', async () => {
    await expect(run({ cache_type: 'quantized', kv_bits: 4, kv_group_size: 64 }, 5)).rejects.toMatchObject({
      code: errorCodes.invalidConfig,
      message: expect.stringContaining('does not divide this model'),
    });
    await expect(run({ cache_type: 'rotating' }, 5)).rejects.toMatchObject({ code: errorCodes.invalidConfig });
  });
});
