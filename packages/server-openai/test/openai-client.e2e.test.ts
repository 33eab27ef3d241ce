import type { ModelRouter } from '@heylook/core';
import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import ggufProvider from '@heylook/provider-gguf';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiServer } from '../src/index.js';

let app: FastifyInstance;
let client: OpenAI;
let router: ModelRouter;

beforeAll(async () => {
  router = createRouterWith(ggufProvider, [testModelEntry('llama_cpp', { model_path: 'stories260K.gguf', n_ctx: 512 }, { id: 'stories' })]);
  app = Fastify();
  await app.register(openaiServer, { router });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${address}/v1`, apiKey: 'unused', maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await app.close();
  await router.close();
});

const story = [{ role: 'user' as const, content: 'Tell me a story about Lily.' }];

describe('the openai client against stories260K', () => {
  it('lists the model', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['stories']);
    expect((await client.models.retrieve('stories')).id).toBe('stories');
  });

  it('chats without streaming, with real usage', async () => {
    const completion = await client.chat.completions.create({ model: 'stories', messages: story, max_tokens: 20, temperature: 0 });
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage).toMatchObject({ completion_tokens: 20 });
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(5);
  });

  it('streams the same text it returns without streaming, with a usage chunk', async () => {
    const whole = await client.chat.completions.create({ model: 'stories', messages: story, max_tokens: 30, temperature: 0 });
    const stream = await client.chat.completions.create({
      model: 'stories',
      messages: story,
      max_tokens: 30,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 30 });
  });

  it('completes a raw prompt: the reference story, cut at a stop string', async () => {
    const completion = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 60, temperature: 0, stop: ['park'] });
    expect(completion.choices[0]!.text).toBe(', there was a little girl named Lily. She loved to play outside in the ');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('embeds', async () => {
    const result = await client.embeddings.create({ model: 'stories', input: ['Lily', 'the park'] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding).toHaveLength(64);
    // The client asks for base64 by default and decodes it.
    expect(Math.hypot(...result.data[0]!.embedding)).toBeCloseTo(1, 4);
  });

  it('round-trips a forced tool call', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'pick_color',
          description: 'Pick a color for the ball',
          parameters: { type: 'object', properties: { color: { enum: ['red', 'blue'] } }, required: ['color'] },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: 'stories',
      messages: story,
      tools,
      tool_choice: { type: 'function', function: { name: 'pick_color' } },
      temperature: 0,
      max_tokens: 40,
    });
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('pick_color');
    const args = JSON.parse(call!.type === 'function' ? call!.function.arguments : '{}') as { color: string };
    expect(['red', 'blue']).toContain(args.color);
    const second = await client.chat.completions.create({
      model: 'stories',
      messages: [...story, first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '{"ok":true}' }],
      // Offering the tools again would add node-llama-cpp's function-calling preamble, which
      // does not fit stories260K's 512-token context; the call and its result still do.
      tools,
      tool_choice: 'none',
      max_tokens: 10,
      temperature: 0,
    });
    // The call and its result are rendered into the next prompt.
    const plain = await client.chat.completions.create({ model: 'stories', messages: story, max_tokens: 1, temperature: 0 });
    expect(second.usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens + 10);
  });

  it('follows a json_schema', async () => {
    const completion = await client.chat.completions.create({
      model: 'stories',
      messages: story,
      temperature: 0,
      max_tokens: 100,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'pet', schema: { type: 'object', properties: { kind: { enum: ['cat', 'dog'] }, legs: { type: 'integer' } }, required: ['kind', 'legs'] } },
      },
    });
    const value = JSON.parse(completion.choices[0]!.message.content!) as { kind: string; legs: number };
    expect(['cat', 'dog']).toContain(value.kind);
    expect(Number.isInteger(value.legs)).toBe(true);
  });

  it('stops generating when the client aborts, and serves the next request', async () => {
    const request = { model: 'stories', messages: story, max_tokens: 400, temperature: 0, stream: true } as const;
    // How long the whole answer takes here, so the check below holds on a slow machine too.
    const started = performance.now();
    for await (const _chunk of await client.chat.completions.create(request));
    const whole = performance.now() - started;

    const controller = new AbortController();
    const stream = await client.chat.completions.create(request, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _chunk of stream) if (++chunks === 3) controller.abort();
    } catch {
      // The client may end the stream quietly or throw an abort error; either is fine.
    }
    const aborted = performance.now();
    while (router.list()[0]!.activeRequests > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(performance.now() - aborted).toBeLessThan(whole / 2);
    expect(chunks).toBe(3);
    const next = await client.chat.completions.create({ model: 'stories', messages: story, max_tokens: 5, temperature: 0 });
    expect(next.usage!.completion_tokens).toBe(5);
  });

  it('maps errors to the client error classes', async () => {
    await expect(client.chat.completions.create({ model: 'nope', messages: story })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.chat.completions.create({ model: 'stories', messages: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});
