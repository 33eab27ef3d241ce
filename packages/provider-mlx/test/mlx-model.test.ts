import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes, type StreamPart } from '@heylook/core';
import { createTestModel, referenceStory, testContext } from '@heylook/core/testing';
import ggufProvider from '@heylook/provider-gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlxModel, mlxProvider } from '../src/index.js';


async function collect(stream: AsyncIterable<StreamPart>) {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
  return { text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''), finish, parts };
}

const mlx = createTestModel(mlxProvider, { model_path: 'stories260K-hf' });
const gguf = createTestModel(ggufProvider, { model_path: 'stories260K.gguf', n_ctx: 512 });
beforeAll(async () => {
  await mlx.load();
  await gguf.load();
}, 60_000);
afterAll(async () => {
  await mlx.unload();
  await gguf.unload();
});

const greedy = { temperature: 0 } as const;

describe('mlx greedy generation on stories260K-hf', () => {
  it('reproduces the reference story from the BOS token', async () => {
    const result = await collect(mlx.complete!({ prompt: '', maxTokens: 400, ...greedy }));
    expect(result.text.slice(0, 565)).toBe(referenceStory());
    expect(result.finish.reason).toBe('stop');
  });

  it('continues "Once upon a time" like the reference, and token for token like the gguf provider', async () => {
    const fromMlx = await collect(mlx.complete!({ prompt: 'Once upon a time', maxTokens: 400, ...greedy }));
    const fromGguf = await collect(gguf.complete!({ prompt: 'Once upon a time', maxTokens: 400, ...greedy }));
    expect(`Once upon a time${fromMlx.text}`.slice(0, 565)).toBe(referenceStory());
    expect(fromMlx.finish.context).toEqual(fromGguf.finish.context);
    expect(fromMlx.text).toBe(fromGguf.text);
    expect(fromMlx.finish.usage).toMatchObject({ promptTokens: 5, completionTokens: fromGguf.finish.usage.completionTokens });
  });
});

describe('mlx sampling, stops, limits', () => {
  it('is reproducible for a seed and differs for another seed', async () => {
    const sample = (seed: number) => collect(mlx.complete!({ prompt: 'Once upon a time', maxTokens: 40, temperature: 0.9, seed }));
    const [a, b, c] = [await sample(42), await sample(42), await sample(7)];
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
  });

  it('cuts at a stop string, reports length at max tokens', async () => {
    const stopped = await collect(mlx.complete!({ prompt: 'Once upon a time', maxTokens: 100, stop: ['Lily'], ...greedy }));
    expect(stopped).toMatchObject({ text: ', there was a little girl named ', finish: { reason: 'stop' } });
    const limited = await collect(mlx.complete!({ prompt: 'Once upon a time', maxTokens: 5, ...greedy }));
    expect(limited.finish).toMatchObject({ reason: 'length', usage: { completionTokens: 5 } });
    expect(limited.finish.contextFull).toBeUndefined();
  });

  it('stops at the end of the context, however many tokens were asked for, and says the context ended it', async () => {
    const prompt = 'Once upon a time there was a girl. '.repeat(45);
    const result = await collect(mlx.complete!({ prompt, maxTokens: 32000, ...greedy }));
    const { contextLength } = await mlx.info!();
    expect(result.finish).toMatchObject({ reason: 'length', contextFull: true });
    expect(result.finish.usage.promptTokens + result.finish.usage.completionTokens).toBe(contextLength);
  });

  it('reuses the evaluated prefix of an earlier request', async () => {
    const base = 'Once upon a time, there was a little girl named Lily. She loved to play outside.';
    await collect(mlx.complete!({ prompt: base, maxTokens: 2, ...greedy }));
    const followUp = await collect(mlx.complete!({ prompt: `${base} One day`, maxTokens: 2, ...greedy }));
    expect(followUp.finish.usage.cachedPromptTokens).toBeGreaterThan(15);
    const fresh = createTestModel(mlxProvider, { model_path: 'stories260K-hf' });
    await fresh.load();
    const cold = await collect(fresh.complete!({ prompt: `${base} One day`, maxTokens: 20, ...greedy }));
    const warm = await collect(mlx.complete!({ prompt: `${base} One day`, maxTokens: 20, ...greedy }));
    expect(warm.text).toBe(cold.text);
    await fresh.unload();
  });
});

describe('mlx concurrency and cancellation', () => {
  it('four concurrent requests give their solo outputs', async () => {
    const prompts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird'];
    const solo = [];
    for (const prompt of prompts) solo.push((await collect(mlx.complete!({ prompt, maxTokens: 60, ...greedy }))).text);
    const before = (mlx as MlxModel).decodeStats();
    const together = await Promise.all(prompts.map((prompt) => collect(mlx.complete!({ prompt, maxTokens: 60, ...greedy }))));
    expect(together.map((result) => result.text)).toEqual(solo);
    // They really were decoded together: on average more than three rows per forward pass.
    const after = (mlx as MlxModel).decodeStats();
    expect((after.rows - before.rows) / (after.batches - before.batches)).toBeGreaterThan(3);
  });

  it('evaluates the prompts of concurrent requests together, each as it would be alone (seeds and long prompts too)', async () => {
    const requests = [
      { prompt: 'Lily and Tom went to the park.', ...greedy },
      { prompt: 'The little dog', temperature: 0.9, seed: 7 },
      { prompt: 'One day, a big bird flew over the house and saw a cat.', ...greedy },
      // Longer than a prefill piece: it goes in two.
      { prompt: 'Tim had a red ball. He liked to play with it. '.repeat(20), ...greedy },
      { prompt: 'Sue', temperature: 0.9, seed: 11 },
    ];
    const solo = [];
    for (const request of requests) solo.push((await collect(mlx.complete!({ ...request, maxTokens: 40 }))).text);
    // A model that has evaluated none of them: every prompt is evaluated whole, at its own position.
    const fresh = createTestModel(mlxProvider, { model_path: 'stories260K-hf' });
    await fresh.load();
    try {
      const together = await Promise.all(requests.map((request) => collect(fresh.complete!({ ...request, maxTokens: 40 }))));
      expect(together.map((result) => result.text)).toEqual(solo);
      const stats = (fresh as MlxModel).decodeStats();
      // Six pieces (the long prompt is two) in fewer calls: some call took several prompts at once.
      expect(stats.prefillPieces).toBe(6);
      expect(stats.prefillCalls).toBeLessThan(stats.prefillPieces);
    } finally {
      await fresh.unload();
    }
  });

  it('stops at once when aborted (no text after the abort) and the next request is correct', async () => {
    const controller = new AbortController();
    let deltas = 0;
    let sent = '';
    let afterAbort = 0;
    const parts: StreamPart[] = [];
    for await (const part of mlx.complete!({ prompt: 'Once upon a time', maxTokens: 300, ...greedy }, { signal: controller.signal })) {
      parts.push(part);
      if (part.type !== 'text-delta') continue;
      if (controller.signal.aborted) afterAbort++;
      sent += part.text;
      if (++deltas === 5) controller.abort();
    }
    const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
    expect(finish).toMatchObject({ type: 'finish', reason: 'cancelled' });
    expect(afterAbort).toBe(0);
    // The tokens counted are the ones whose text was sent (a chunk's tokens share one delta).
    expect(await mlx.detokenize!(finish.context!.slice(finish.usage.promptTokens))).toBe(sent);
    const next = await collect(mlx.complete!({ prompt: 'Once upon a time', maxTokens: 400, ...greedy }));
    expect(`Once upon a time${next.text}`.slice(0, 565)).toBe(referenceStory());
  });
});

describe('mlx chat, embeddings, errors', () => {
  it('chats (no chat template: plain turns) and reports usage', async () => {
    const result = await collect(mlx.chat({ messages: [{ role: 'user', content: 'Lily went to the park.' }], maxTokens: 10, ...greedy }));
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finish.usage.completionTokens).toBeGreaterThan(0);
  });

  it('embeds: mean-pooled, normalised, deterministic, real', async () => {
    const { embeddings } = await mlx.embed!({ input: ['Lily went to the park', 'Lily went to the park', 'A big red ball'] });
    expect(embeddings[0]).toHaveLength(64);
    expect(Math.hypot(...embeddings[0]!)).toBeCloseTo(1, 5);
    expect(embeddings[0]).toEqual(embeddings[1]);
    expect(embeddings[0]).not.toEqual(embeddings[2]);
  });

  it('gives coded errors for a missing folder, an unsupported architecture and tools', async () => {
    await expect(createTestModel(mlxProvider, { model_path: 'nope' }).load()).rejects.toMatchObject({ code: errorCodes.modelFileNotFound });
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-mlx-'));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt_neox' }));
    await expect(createTestModel(mlxProvider, { model_path: dir }).load()).rejects.toMatchObject({
      code: errorCodes.unsupportedModel,
      message: expect.stringMatching(/model_type "gpt_neox" is not supported by the mlx provider \(supported: llama, .*qwen3.*\)/),
    });
    expect(() => mlx.chat({ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f' }] })).toThrow(
      expect.objectContaining({ code: errorCodes.unsupportedCapability }),
    );
  });

  it('describes the folder without loading it', async () => {
    const info = await mlxProvider.describe!(mlxProvider.configSchema.parse({ model_path: 'stories260K-hf' }), testContext());
    expect(info).toMatchObject({ format: 'mlx', family: 'llama', parameterCount: 260_032, quantization: 'F32', contextLength: 512 });
    expect(info.files).toHaveLength(4);
  });
});
