import { copyFile, mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes } from '@heylook/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, createStories, referenceStory, storiesPath } from './fixtures.js';

const model = createStories();

beforeAll(async () => {
  await model.load();
}, 60_000);
afterAll(async () => {
  await model.unload();
});

const greedy = { temperature: 0 } as const;

describe('gguf raw completion on stories260K', () => {
  it('reproduces the reference story greedily and stops on BOS', async () => {
    const result = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 400, ...greedy }));
    const story = `Once upon a time${result.text}`;
    expect(story.slice(0, 565)).toBe(referenceStory());
    expect(result.finish.reason).toBe('stop');
    expect(result.finish.usage.completionTokens).toBe(341);
  });

  it('counts prompt tokens like the tokenizer (plus BOS) and returns the context', async () => {
    const prompt = 'Lily and Tom went to the park.';
    const result = await collect(model.complete({ prompt, maxTokens: 7, ...greedy }));
    const tokens = await model.tokenize(prompt);
    expect(result.finish.usage.promptTokens).toBe(tokens.length + 1);
    expect(result.finish.usage.completionTokens).toBe(7);
    expect(result.finish.reason).toBe('length');
    expect(result.finish.context).toHaveLength(tokens.length + 1 + 7);
    expect(result.finish.context!.slice(1, tokens.length + 1)).toEqual(tokens);
  });

  it('continues from a returned context like from the full text', async () => {
    const first = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 12, ...greedy }));
    const next = await collect(model.complete({ prompt: '', context: first.finish.context!, maxTokens: 12, ...greedy }));
    const whole = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 24, ...greedy }));
    expect(first.text + next.text).toBe(whole.text);
  });

  it('gives the same sampled text for the same seed and another for another seed', async () => {
    const sample = (seed: number) => collect(model.complete({ prompt: 'Once upon a time', maxTokens: 40, temperature: 0.9, seed }));
    const [a, b, c] = [await sample(42), await sample(42), await sample(7)];
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
  });

  it('cuts at a stop string and never emits it', async () => {
    const result = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 100, stop: ['Lily'], ...greedy }));
    expect(result.text).toBe(', there was a little girl named ');
    expect(result.finish.reason).toBe('stop');
    expect(result.finish.stopSequence).toBe('Lily');
  });

  it('clamps max tokens to the room left in the context instead of shifting it', async () => {
    const small = createStories({ n_ctx: 128, stop_on_bos: false }, 'stories-small');
    await small.load();
    try {
      const result = await collect(small.complete({ prompt: 'Once upon a time', maxTokens: 32000, ...greedy }));
      expect(result.finish.reason).toBe('length');
      const { contextLength } = await small.info();
      expect(result.finish.usage.promptTokens + result.finish.usage.completionTokens).toBe(contextLength);
      // The context, not max_tokens, ended it: Anthropic's model_context_window_exceeded.
      expect(result.finish.contextFull).toBe(true);
    } finally {
      await small.unload();
    }
  });

  it('reports length when max tokens is reached', async () => {
    const result = await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 5, ...greedy }));
    expect(result.finish.reason).toBe('length');
    expect(result.finish.usage.completionTokens).toBe(5);
    expect(result.finish.contextFull).toBeUndefined();
  });

  it('reuses the evaluated prefix for a prompt that extends the previous one', async () => {
    const base = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';
    await collect(model.complete({ prompt: base, maxTokens: 1, ...greedy }));
    const followUp = await collect(model.complete({ prompt: `${base} One day`, maxTokens: 1, ...greedy }));
    expect(followUp.finish.usage.cachedPromptTokens).toBeGreaterThan(20);
  });

  it('rejects a prompt longer than the context with a coded error', async () => {
    const long = 'Once upon a time there was a girl. '.repeat(200);
    expect(() => model.complete({ prompt: long, maxTokens: 5 })).toThrow(expect.objectContaining({ code: errorCodes.contextOverflow }));
  });
});

describe('gguf concurrency and cancellation', () => {
  const prompts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird'];
  const stablePrefix = 40;

  it('four concurrent greedy requests each produce what they produce alone', async () => {
    const solo: string[] = [];
    for (const prompt of prompts) solo.push((await collect(model.complete({ prompt, maxTokens: 60, ...greedy }))).text);
    const together = await Promise.all(prompts.map((prompt) => collect(model.complete({ prompt, maxTokens: 60, ...greedy }))));
    together.forEach((result, index) => {
      expect(result.text.slice(0, stablePrefix)).toBe(solo[index]!.slice(0, stablePrefix));
    });
  });

  it('decodes concurrent requests in shared batches, each answer what it is alone', async () => {
    // Rows of several sequences in one llama_decode() batch: in the wrong order they came back
    // with other requests' tokens in them (16 of 96 here), see batching-strategy.ts.
    const wide = createStories({ parallel: 8, stop_on_bos: false });
    await wide.load();
    try {
      const starts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird', 'The sun was hot', 'Tim had a red car', 'A cat sat', 'Mom said'];
      const answer = async (prompt: string) => (await collect(wide.complete({ prompt, maxTokens: 48, ...greedy }))).text;
      const solo: string[] = [];
      for (const prompt of starts) solo.push(await answer(prompt));
      const before = wide.decodeStats();
      const wrong: string[] = [];
      for (let wave = 0; wave < 4; wave++) {
        const picks = starts.map((_, index) => (index + wave) % starts.length);
        const answers = await Promise.all(picks.map((pick) => answer(starts[pick]!)));
        answers.forEach((text, index) => {
          if (text !== solo[picks[index]!]) wrong.push(`${JSON.stringify(starts[picks[index]!])} → ${JSON.stringify(text)}, alone ${JSON.stringify(solo[picks[index]!])}`);
        });
      }
      expect(wrong).toEqual([]);
      // All 8 in one step, not two cohorts decoding in turns: 7.7 rows per step, 4.0 without
      // the strategy's wait for the rows of the step before.
      const after = wide.decodeStats();
      expect((after.rows - before.rows) / (after.batches - before.batches)).toBeGreaterThan(6.5);
    } finally {
      await wide.unload();
    }
  });

  it('gives each of many concurrent chat and raw requests its own answer (no tokens mixed up in a shared batch)', async () => {
    // 16 requests at a time on the model's 4 sequences (`parallel`' default), mixed
    // chat and raw prompts, 40 waves. With node-llama-cpp's default batching a few of these 640
    // answers got another request's tokens (batching-strategy.ts); this failed 3 runs of 3.
    const kinds = [
      { chat: true, text: 'Once upon a time' },
      { chat: false, text: 'The cat sat on the' },
      { chat: true, text: 'Tom had a big red ball' },
      { chat: false, text: 'The sun was hot and' },
      { chat: false, text: 'One day, a little dog' },
    ];
    const answer = async ({ chat, text }: (typeof kinds)[number]) => {
      const request = { maxTokens: 4, ...greedy };
      const stream = chat ? model.chat({ messages: [{ role: 'user', content: text }], ...request }) : model.complete({ prompt: text, ...request });
      return (await collect(stream)).text;
    };
    const solo: string[] = [];
    for (const kind of kinds) solo.push(await answer(kind));
    const wrong: string[] = [];
    for (let wave = 0; wave < 40; wave++) {
      const picks = Array.from({ length: 16 }, (_, index) => (index + wave) % kinds.length);
      const answers = await Promise.all(picks.map((pick) => answer(kinds[pick]!)));
      answers.forEach((text, index) => {
        if (text !== solo[picks[index]!]) wrong.push(`${JSON.stringify(kinds[picks[index]!]!.text)} → ${JSON.stringify(text)}, alone ${JSON.stringify(solo[picks[index]!])}`);
      });
    }
    expect(wrong).toEqual([]);
  });

  it('stops within a token when aborted, frees the sequence, and the next request is correct', async () => {
    const controller = new AbortController();
    let deltas = 0;
    const parts = [];
    for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: 300, ...greedy }, { signal: controller.signal })) {
      parts.push(part);
      if (part.type === 'text-delta' && ++deltas === 5) controller.abort();
    }
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', reason: 'cancelled' });
    expect((finish as { usage: { completionTokens: number } }).usage.completionTokens).toBeLessThanOrEqual(7);
    // All sequences are free again: `parallel` requests run without waiting.
    const results = await Promise.all(
      Array.from({ length: 4 }, () => collect(model.complete({ prompt: 'Once upon a time', maxTokens: 400, ...greedy }))),
    );
    expect(`Once upon a time${results[0]!.text}`.slice(0, 100)).toBe(referenceStory().slice(0, 100));
  });

  it('stops generating when the consumer stops reading', async () => {
    // One sequence: the next request can only start once the abandoned generation has stopped.
    const single = createStories({ parallel: 1, stop_on_bos: false });
    await single.load();
    try {
      const request = { prompt: 'Once upon a time', maxTokens: 400, ...greedy };
      const started = performance.now();
      await collect(single.complete(request));
      const whole = performance.now() - started;
      const abandoned = performance.now();
      for await (const part of single.complete(request)) {
        if (part.type === 'text-delta') break;
      }
      const again = await collect(single.complete({ ...request, maxTokens: 10 }));
      expect(performance.now() - abandoned).toBeLessThan(whole / 2);
      expect(again.finish.usage.completionTokens).toBe(10);
    } finally {
      await single.unload();
    }
  });
});

describe('gguf chat, structured output and tools', () => {
  it('chats through the fallback template and reports usage', async () => {
    const result = await collect(
      model.chat({
        messages: [
          { role: 'system', content: 'You tell stories.' },
          { role: 'user', content: 'Tell me about a cat.' },
        ],
        maxTokens: 20,
        ...greedy,
      }),
    );
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finish.usage.completionTokens).toBeGreaterThan(0);
    expect(result.finish.usage.promptTokens).toBeGreaterThan(10);
    expect(result.finish.stopSequence).toBeUndefined();
  });

  it('counts the tokens of a chat prompt exactly as chat evaluates them', async () => {
    const request = {
      messages: [
        { role: 'system' as const, content: 'You tell stories.' },
        { role: 'user' as const, content: 'Tell me about a dog.' },
      ],
      maxTokens: 1,
      ...greedy,
    };
    const result = await collect(model.chat(request));
    expect(await model.countChatTokens(request)).toBe(result.finish.usage.promptTokens);
  });

  it('reuses the first turn when a follow-up extends the conversation', async () => {
    const messages = [
      { role: 'system' as const, content: 'You are a storyteller who tells long stories about animals in the park.' },
      { role: 'user' as const, content: 'Tell me about a cat.' },
    ];
    const first = await collect(model.chat({ messages, maxTokens: 10, ...greedy }));
    const second = await collect(
      model.chat({
        messages: [...messages, { role: 'assistant', content: first.text }, { role: 'user', content: 'And then?' }],
        maxTokens: 5,
        ...greedy,
      }),
    );
    expect(second.finish.usage.cachedPromptTokens).toBeGreaterThanOrEqual(first.finish.usage.promptTokens - 1);
  });

  it('enforces a JSON schema: the output parses and validates', async () => {
    const schema = {
      type: 'object',
      properties: {
        mood: { enum: ['happy', 'sad', 'angry'] },
        friends: { type: 'integer' },
        likesPark: { type: 'boolean' },
      },
      required: ['mood', 'friends', 'likesPark'],
    };
    const result = await collect(
      model.chat({
        messages: [{ role: 'user', content: 'Describe Lily.' }],
        responseFormat: { type: 'json-schema', schema },
        maxTokens: 200,
        ...greedy,
      }),
    );
    const value = JSON.parse(result.text) as Record<string, unknown>;
    expect(['happy', 'sad', 'angry']).toContain(value.mood);
    expect(Number.isInteger(value.friends)).toBe(true);
    expect(typeof value.likesPark).toBe('boolean');
  });

  it('produces a parsable tool call when tool_choice forces a function', async () => {
    const result = await collect(
      model.chat({
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [
          {
            name: 'get_weather',
            description: 'Current weather of a city',
            parameters: { type: 'object', properties: { unit: { enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } }, required: ['unit', 'days'] },
          },
        ],
        toolChoice: { name: 'get_weather' },
        maxTokens: 100,
        ...greedy,
      }),
    );
    const call = result.parts.find((part) => part.type === 'tool-call');
    expect(call).toMatchObject({ type: 'tool-call', name: 'get_weather', index: 0 });
    const args = JSON.parse((call as { arguments: string }).arguments) as { unit: string; days: number };
    expect(['celsius', 'fahrenheit']).toContain(args.unit);
    expect(Number.isInteger(args.days)).toBe(true);
    const streamed = result.parts.filter((part) => part.type === 'tool-call-delta').map((part) => (part as { argumentsDelta: string }).argumentsDelta);
    expect(JSON.stringify(JSON.parse(streamed.join('')))).toBe(JSON.stringify(args));
    expect(result.text).toBe('');
    expect(result.finish.reason).toBe('tool-calls');
  });

  it('rejects images with a coded error: no vision in gguf yet', () => {
    expect(() =>
      model.chat({ messages: [{ role: 'user', content: [{ type: 'image', data: new Uint8Array([1]) }] }] }),
    ).toThrow(expect.objectContaining({ code: errorCodes.unsupportedCapability }));
  });
});

describe('gguf embeddings, tokens and info', () => {
  it('embeds into normalised, deterministic 64-dim vectors', async () => {
    const result = await model.embed({ input: ['Lily went to the park', 'Lily went to the park', 'A big red ball'] });
    expect(result.embeddings).toHaveLength(3);
    expect(result.embeddings[0]).toHaveLength(64);
    expect(Math.hypot(...result.embeddings[0]!)).toBeCloseTo(1, 5);
    expect(result.embeddings[0]).toEqual(result.embeddings[1]);
    expect(result.embeddings[0]).not.toEqual(result.embeddings[2]);
    expect(result.usage.promptTokens).toBeGreaterThan(6);
    const short = await model.embed({ input: ['Lily'], dimensions: 16 });
    expect(short.embeddings[0]).toHaveLength(16);
    expect(Math.hypot(...short.embeddings[0]!)).toBeCloseTo(1, 5);
  });

  it('tokenizes and detokenizes', async () => {
    const tokens = await model.tokenize('Once upon a time');
    expect(tokens).toEqual([403, 407, 261, 378]);
    expect(await model.detokenize(tokens)).toBe('Once upon a time');
    expect(await model.countTokens('Once upon a time')).toBe(4);
  });

  it('describes the model from its GGUF header', async () => {
    const info = await model.info();
    expect(info).toMatchObject({ format: 'gguf', family: 'llama', quantization: 'F32', parameterCount: 292_800, fileSize: 1_185_376 });
    expect(info.metadata?.['llama.context_length']).toBe(2048);
  });
});

describe('gguf broken files', () => {
  it('names a missing file', async () => {
    await expect(createStories({ model_path: 'nope.gguf' }).load()).rejects.toMatchObject({ code: errorCodes.modelFileNotFound });
  });

  it('rejects a file that is not GGUF', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-gguf-'));
    await writeFile(path.join(dir, 'fake.gguf'), 'this is not a model');
    await expect(createStories({ model_path: path.join(dir, 'fake.gguf') }).load()).rejects.toMatchObject({
      code: errorCodes.invalidModelFile,
      message: expect.stringContaining('does not start with "GGUF"'),
    });
  });

  it('rejects a truncated GGUF without crashing the process', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-gguf-'));
    const truncated = path.join(dir, 'truncated.gguf');
    await copyFile(storiesPath, truncated);
    const handle = await open(truncated, 'r+');
    await handle.truncate(600_000);
    await handle.close();
    await expect(createStories({ model_path: truncated }).load()).rejects.toMatchObject({ code: errorCodes.invalidModelFile });
  });
});
