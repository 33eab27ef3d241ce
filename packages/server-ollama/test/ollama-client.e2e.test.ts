import type { ModelRouter } from '@heylook/core';
import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import ggufProvider from '@heylook/provider-gguf';
import Fastify, { type FastifyInstance } from 'fastify';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ollamaServer } from '../src/index.js';

let app: FastifyInstance;
let client: Ollama;
let router: ModelRouter;

beforeAll(async () => {
  router = createRouterWith(ggufProvider, [testModelEntry('gguf', { model_path: 'stories260K.gguf', n_ctx: 512 }, { id: 'stories' })]);
  app = Fastify();
  await app.register(ollamaServer, { router });
  client = new Ollama({ host: await app.listen({ port: 0, host: '127.0.0.1' }) });
}, 60_000);

afterAll(async () => {
  await app.close();
  await router.close();
});

const messages = [{ role: 'user', content: 'Tell me a story about Lily.' }];

describe('the ollama client against stories260K', () => {
  it('lists the model with its real size and digest, and shows it', async () => {
    const { models } = await client.list();
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ name: 'stories:latest', size: 1_185_376, digest: '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d' });
    expect(models[0]!.details).toMatchObject({ format: 'gguf', family: 'llama', quantization_level: 'F32', parameter_size: '292.80K' });
    const show = await client.show({ model: 'stories' });
    expect(show.model_info).toMatchObject({ 'general.architecture': 'llama', 'llama.context_length': 2048, 'llama.block_count': 5 });
    expect(show.capabilities).toEqual(expect.arrayContaining(['completion', 'tools', 'embedding']));
  });

  it('chats without streaming, with real counts and durations', async () => {
    const response = await client.chat({ model: 'stories', messages, stream: false, options: { temperature: 0, num_predict: 20 } });
    expect(response.message.content.length).toBeGreaterThan(0);
    expect(response).toMatchObject({ done: true, done_reason: 'length', eval_count: 20 });
    expect(response.prompt_eval_count).toBeGreaterThan(5);
    for (const field of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'] as const) {
      expect(response[field]).toBeGreaterThan(0);
    }
  });

  it('streams the same text as the non-streaming answer', async () => {
    const options = { temperature: 0, num_predict: 25 };
    const whole = await client.chat({ model: 'stories:latest', messages, stream: false, options });
    let text = '';
    let last: { done: boolean; eval_count: number } | undefined;
    for await (const part of await client.chat({ model: 'stories:latest', messages, stream: true, options })) {
      text += part.message.content;
      last = part;
    }
    expect(text).toBe(whole.message.content);
    expect(last).toMatchObject({ done: true, eval_count: 25 });
  });

  it("generates without raw like Ollama's default template {{ .Prompt }}: stories260K has no template", async () => {
    const options = { temperature: 0, num_predict: 30 };
    const plain = await client.generate({ model: 'stories', prompt: 'Once upon a time', stream: false, options });
    const raw = await client.generate({ model: 'stories', prompt: 'Once upon a time', raw: true, stream: false, options });
    expect(plain.response).toBe(raw.response);
    expect(plain.response!.startsWith(', there was a little girl named Lily.')).toBe(true);
  });

  it('answers 400 naming the problem for a format schema it cannot enforce, and a validating answer for one it can', async () => {
    await expect(client.chat({ model: 'stories', messages, format: { type: 'nonsense' } })).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringContaining('not a valid JSON Schema'),
    });
    const format = { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['n'] };
    const response = await client.chat({ model: 'stories', messages, format, stream: false, options: { temperature: 1, seed: 3, num_predict: 40 } });
    expect(response.done_reason).toBe('stop');
    expect(JSON.parse(response.message.content)).toEqual({ n: expect.any(Number) });
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9]).toContain(JSON.parse(response.message.content).n);
  });

  it('accepts null option values as langchain-ollama sends them', async () => {
    const response = await client.embed({ model: 'stories', input: 'hello', options: { temperature: null, num_ctx: null } as never });
    expect(response.embeddings[0]).toHaveLength(64);
  });

  it('generates raw text that continues the reference story, and continues from context', async () => {
    const first = await client.generate({ model: 'stories', prompt: 'Once upon a time', raw: true, stream: false, options: { temperature: 0, num_predict: 12 } });
    expect(first.response).toBe(', there was a little girl named Lily. She');
    const next = await client.generate({ model: 'stories', prompt: '', raw: true, context: first.context, stream: false, options: { temperature: 0, num_predict: 5 } });
    const whole = await client.generate({ model: 'stories', prompt: 'Once upon a time', raw: true, stream: false, options: { temperature: 0, num_predict: 17 } });
    expect(first.response! + next.response!).toBe(whole.response);
    expect(next.response!.startsWith(' loved to play')).toBe(true);
  });

  it('embeds with real vectors', async () => {
    const { embeddings } = await client.embed({ model: 'stories', input: ['Lily', 'a big red ball'] });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]).toHaveLength(64);
    expect(embeddings[0]).not.toEqual(embeddings[1]);
    expect(embeddings[0]!.some((value) => value !== 0)).toBe(true);
  });

  it('loads and unloads through keep_alive, and ps shows the expiry', async () => {
    await client.generate({ model: 'stories', prompt: '', keep_alive: 0 });
    expect((await client.ps()).models).toHaveLength(0);
    await client.generate({ model: 'stories', prompt: '', keep_alive: '1h' });
    const { models } = await client.ps();
    expect(models).toHaveLength(1);
    expect(new Date(models[0]!.expires_at).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(models[0]!.size).toBeGreaterThan(1_000_000);
  });

  it('stops generating when the client aborts', async () => {
    const request = { model: 'stories', messages, stream: true as const, options: { temperature: 0, num_predict: 400 } };
    // How long the whole answer takes here, so the check below holds on a slow machine too.
    const started = performance.now();
    for await (const _part of await client.chat(request));
    const whole = performance.now() - started;
    const stream = await client.chat(request);
    let parts = 0;
    try {
      for await (const _part of stream) if (++parts === 3) stream.abort();
    } catch {
      // The client throws an AbortError; that is the point.
    }
    const aborted = performance.now();
    while (router.list()[0]!.activeRequests > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(performance.now() - aborted).toBeLessThan(whole / 2);
    const next = await client.chat({ model: 'stories', messages, stream: false, options: { num_predict: 3 } });
    expect(next.eval_count).toBe(3);
  });

  it('surfaces errors as the client expects', async () => {
    await expect(client.chat({ model: 'missing', messages })).rejects.toThrow(/does not exist/);
  });
});
