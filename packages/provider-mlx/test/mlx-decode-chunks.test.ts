import path from 'node:path';
import { collectStream, type StreamPart } from '@heylook/core';
import { createTestModel, fixturesDir } from '@heylook/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlxModel, mlxProvider } from '../src/index.js';
import { readModelConfig } from '../src/mlx-folder.js';
import { nativeAddon, type NativeModel, type NativeSampling } from '../src/native-binding.js';

// Several decode steps per native call (decodeBatch) must give what one step per call gives,
// and a request ended inside a chunk must leave its sequence holding exactly its answer.

const dir = path.join(fixturesDir, 'stories260K-hf');
const prompt = Int32Array.from([1, 403, 407, 261, 378]);
const sampled: NativeSampling = { temperature: 0.9, topP: 0.95, repetitionPenalty: 1.1, repetitionContextSize: 16 };
const greedy: NativeSampling = { temperature: 0 };

let native: NativeModel;
beforeAll(async () => {
  native = new (nativeAddon().MlxModel)(dir, (await readModelConfig(dir)).native);
  await native.load();
});
afterAll(async () => {
  await native.unload();
});

/** `count` tokens after `prompt` on `sequence`, one stepBatch call per token. */
async function oneAtATime(sequence: number, sampling: NativeSampling, count: number, seed: number): Promise<number[]> {
  await native.trim(sequence, 0);
  const tokens = [await native.step(sequence, prompt, { ...sampling, seed })];
  while (tokens.length < count) tokens.push((await native.stepBatch(Int32Array.from([sequence]), Int32Array.from([tokens.at(-1)!]), [sampling]))[0]!);
  return tokens;
}

/** The same through decodeBatch, `chunk` steps per call. */
async function inChunks(sequence: number, sampling: NativeSampling, count: number, seed: number, chunk: number): Promise<number[]> {
  await native.trim(sequence, 0);
  const tokens = [await native.step(sequence, prompt, { ...sampling, seed })];
  while (tokens.length < count) {
    const steps = Math.min(chunk, count - tokens.length);
    const out = await native.decodeBatch(Int32Array.from([sequence]), Int32Array.from([tokens.at(-1)!]), [sampling], Int32Array.from([steps]), new Int32Array());
    expect(out[0]).toBe(steps);
    tokens.push(...out.subarray(1));
  }
  return tokens;
}

describe('decodeBatch: several steps per native call', () => {
  it('gives the greedy and the seeded sampled tokens of one step per call', async () => {
    const greedyTokens = await oneAtATime(1, greedy, 40, 0);
    expect(await inChunks(2, greedy, 40, 0, 8)).toEqual(greedyTokens);
    for (const seed of [3, 42]) {
      const reference = await oneAtATime(1, sampled, 40, seed);
      expect(await inChunks(2, sampled, 40, seed, 8)).toEqual(reference);
      expect(await inChunks(2, sampled, 40, seed, 5)).toEqual(reference);
    }
  });

  it('decodes rows with their own step counts together, ending a row at a stop id (returned, not fed)', async () => {
    const reference = await oneAtATime(1, greedy, 24, 0);
    const stop = reference[6]!;
    const end = reference.indexOf(stop);
    await Promise.all([native.trim(3, 0), native.trim(4, 0)]);
    const first = [await native.step(3, prompt, greedy), await native.step(4, prompt, greedy)];
    const out = await native.decodeBatch(Int32Array.from([3, 4]), Int32Array.from(first), [greedy, greedy], Int32Array.from([20, 3]), Int32Array.from([stop]));
    // Row 3 stops at the stop id; row 4 at its three steps, whichever comes first.
    const counts = [Math.min(end, 20), Math.min(end, 3)];
    expect(Array.from(out.subarray(0, 2))).toEqual(counts);
    expect(Array.from(out.subarray(2, 2 + counts[0]!))).toEqual(reference.slice(1, 1 + counts[0]!));
    // The stop id was not fed: feeding it now continues as one step per call did.
    const next = await native.stepBatch(Int32Array.from([3]), Int32Array.from([reference[counts[0]!]!]), [greedy]);
    expect(next[0]).toBe(reference[counts[0]! + 1]);
  });

  it('refuses a grammar mask over more than one step, and step counts below one', async () => {
    const allowed = new Int32Array(16).fill(-1);
    expect(() => native.decodeBatch(Int32Array.from([1]), Int32Array.from([5]), [{ temperature: 0, allowed }], Int32Array.from([2]), new Int32Array())).toThrow(/one step/);
    expect(() => native.decodeBatch(Int32Array.from([1]), Int32Array.from([5]), [greedy], Int32Array.from([0]), new Int32Array())).toThrow(/step count/);
  });
});

async function collect(stream: AsyncIterable<StreamPart>) {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
  return { text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''), finish };
}

describe('a request ended inside a chunk', () => {
  const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf', parallel: 1 }) as MlxModel;
  const cold = createTestModel(mlxProvider, { model_path: 'stories260K-hf', parallel: 1 }) as MlxModel;
  beforeAll(async () => {
    await model.load();
    await cold.load();
  });
  afterAll(async () => {
    await model.unload();
    await cold.unload();
  });

  it('samples what one step per call samples for the same seed', async () => {
    const before = model.decodeStats();
    const request = { prompt: 'Once upon a time', maxTokens: 40, temperature: 0.9, topK: 0, topP: 0.95, minP: 0, repeatPenalty: 1.1, repeatLastN: 16, seed: 11 };
    const { finish } = await collect(model.complete({ ...request, stop: [] }));
    const after = model.decodeStats();
    expect((after.rows - before.rows) / (after.handoffs - before.handoffs)).toBeGreaterThan(1);
    const ids = finish.context!;
    const promptIds = Int32Array.from(ids.slice(0, finish.usage.promptTokens));
    await native.trim(1, 0);
    const sampling = { temperature: 0.9, topK: 0, topP: 0.95, minP: 0, repetitionPenalty: 1.1, repetitionContextSize: 16 };
    const tokens = [await native.step(1, promptIds, { ...sampling, seed: 11 })];
    while (tokens.length < finish.usage.completionTokens) tokens.push((await native.stepBatch(Int32Array.from([1]), Int32Array.from([tokens.at(-1)!]), [sampling]))[0]!);
    expect(ids.slice(promptIds.length)).toEqual(tokens);
  });

  it('at a stop string, leaves the slot and cache holding the answer: a follow-up reuses exactly it and answers as from scratch', async () => {
    let overshoot = 0;
    for (const stop of ['Lily', 'park', 'ball', 'high', 'sad']) {
      const before = model.decodeStats();
      const first = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 120, temperature: 0, stop: [stop] }));
      const after = model.decodeStats();
      expect(first.finish.reason).toBe('stop');
      // The first token comes from the prompt's own step; the batches gave the rest, and then some when the stop fell inside a chunk.
      overshoot += after.rows - before.rows - (first.finish.usage.completionTokens - 1);
      const context = first.finish.context!;
      const followUp = { prompt: ' One day', context, maxTokens: 30, temperature: 0 };
      const warm = await collect(model.complete(followUp));
      // The answer's last token was never fed; everything before it is reused.
      expect(warm.finish.usage.cachedPromptTokens).toBe(context.length - 1);
      expect(warm.text).toBe((await collect(cold.complete(followUp))).text);
    }
    expect(overshoot).toBeGreaterThan(0);
  });

  it('aborted while a chunk decodes, frees the slot and keeps only what was sent', async () => {
    const controller = new AbortController();
    let deltas = 0;
    let text = '';
    let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
    const before = model.decodeStats();
    for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: 300, temperature: 0 }, { signal: controller.signal })) {
      if (part.type === 'text-delta') {
        text += part.text;
        // Abort once the next chunk is under way (a timer fires while the worker decodes it).
        if (++deltas === 4) setTimeout(() => controller.abort(), 0);
      }
      if (part.type === 'finish') finish = part;
    }
    expect(finish).toMatchObject({ reason: 'cancelled' });
    // A chunk was decoded past what was sent: the abort came while it ran.
    expect(model.decodeStats().rows - before.rows).toBeGreaterThan(finish!.usage.completionTokens - 1);
    const context = finish!.context!;
    expect(await model.detokenize(context.slice(finish!.usage.promptTokens))).toBe(text);
    // parallel: 1, so this waits forever unless the slot was freed.
    const followUp = { prompt: ' One day', context, maxTokens: 30, temperature: 0 };
    const warm = await collect(model.complete(followUp));
    expect(warm.finish.usage.cachedPromptTokens).toBe(context.length);
    expect(warm.text).toBe((await collect(cold.complete(followUp))).text);
  });
});

describe('constrained rows beside free rows', () => {
  const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf', parallel: 4 }) as MlxModel;
  beforeAll(() => model.load());
  afterAll(() => model.unload());

  it('free rows answer as alone (and in chunks once the grammar row is done), the grammar row answers valid JSON', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer', minimum: 0, maximum: 120 }, tall: { type: 'boolean' } },
      required: ['name', 'age', 'tall'],
      additionalProperties: false,
    };
    const free = ['Once upon a time', 'The little dog'].map((prompt) => ({ prompt, maxTokens: 150, temperature: 0 }));
    const alone = [];
    for (const request of free) alone.push((await collectStream(model.complete(request))).text);
    const before = model.decodeStats();
    const [constrained, ...together] = await Promise.all([
      collectStream(model.complete({ prompt: 'Lily and Tom', responseFormat: { type: 'json-schema', schema }, temperature: 1, seed: 5, maxTokens: 60 })),
      ...free.map((request) => collectStream(model.complete(request))),
    ]);
    const after = model.decodeStats();
    expect(together.map((answer) => answer.text)).toEqual(alone);
    expect(constrained.finishReason).toBe('stop');
    const value = JSON.parse(constrained.text) as { name: unknown; age: unknown; tall: unknown };
    expect([typeof value.name, Number.isInteger(value.age), typeof value.tall]).toEqual(['string', true, 'boolean']);
    // Batched together (more than one row per forward pass), and handed over several tokens at a time at some point.
    expect((after.rows - before.rows) / (after.batches - before.batches)).toBeGreaterThan(1);
    expect((after.rows - before.rows) / (after.handoffs - before.handoffs)).toBeGreaterThan(1);
  });
});
