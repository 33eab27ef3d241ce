import Anthropic from '@anthropic-ai/sdk';
import type { ModelRouter } from '@heylook/core';
import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import ggufProvider from '@heylook/provider-gguf';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicServer } from '../src/index.js';

// The SDK's types no longer list temperature; the Messages API (and heylook) still take it.
const greedy: object = { temperature: 0 };

let app: FastifyInstance;
let client: Anthropic;
let router: ModelRouter;

beforeAll(async () => {
  router = createRouterWith(ggufProvider, [testModelEntry('llama_cpp', { model_path: 'stories260K.gguf', n_ctx: 512 }, { id: 'stories' })]);
  app = Fastify();
  await app.register(anthropicServer, { router });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  client = new Anthropic({ baseURL: address, apiKey: 'unused', maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await app.close();
  await router.close();
});

const story: Anthropic.MessageParam[] = [{ role: 'user', content: 'Tell me a story about Lily.' }];
const textOf = (message: Anthropic.Message) => message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
/** The whole prompt, whether the model evaluated it or read it from its cache. */
const promptTokens = (usage: Anthropic.Usage) => usage.input_tokens + (usage.cache_read_input_tokens ?? 0);

describe('the Anthropic client against stories260K', () => {
  it('creates a message, with real usage', async () => {
    const message = await client.messages.create({ model: 'stories', messages: story, max_tokens: 20, ...greedy });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content[0]?.type).toBe('text');
    expect(textOf(message).length).toBeGreaterThan(0);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(20);
    expect(promptTokens(message.usage)).toBeGreaterThan(5);
  });

  it('streams with the helpers the same message it returns without streaming', async () => {
    const request = { model: 'stories', messages: story, max_tokens: 40, ...greedy };
    const whole = await client.messages.create(request);
    let streamedText = '';
    const stream = client.messages.stream(request).on('text', (delta) => (streamedText += delta));
    const final = await stream.finalMessage();
    expect(textOf(final)).toBe(textOf(whole));
    expect(streamedText).toBe(textOf(whole));
    expect(final.stop_reason).toBe(whole.stop_reason);
    expect(final.usage.output_tokens).toBe(whole.usage.output_tokens);
    // message_delta carries the final usage, which the SDK applies over message_start's.
    expect(promptTokens(final.usage)).toBe(promptTokens(whole.usage));
  });

  it('stops at a stop sequence and names it', async () => {
    const whole = await client.messages.create({ model: 'stories', messages: story, max_tokens: 60, ...greedy });
    const word = textOf(whole).trim().split(/\s+/)[3]!;
    const cut = await client.messages.create({ model: 'stories', messages: story, max_tokens: 60, ...greedy, stop_sequences: [word] });
    expect(cut.stop_reason).toBe('stop_sequence');
    expect(cut.stop_sequence).toBe(word);
    expect(textOf(whole).startsWith(textOf(cut))).toBe(true);
    expect(textOf(cut)).not.toContain(word);
  });

  it('takes max_tokens: 32000 on a 512-token context (Claude Code streams it) and ends the turn', async () => {
    // The SDK itself refuses so large a max_tokens without streaming.
    const message = await client.messages.stream({ model: 'stories', messages: story, max_tokens: 32000, ...greedy }).finalMessage();
    expect(textOf(message).length).toBeGreaterThan(0);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('round-trips a forced tool call with tool_result', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'pick_color',
        description: 'Pick a color for the ball',
        input_schema: { type: 'object', properties: { color: { enum: ['red', 'blue'] } }, required: ['color'] },
      },
    ];
    const first = await client.messages.create({
      model: 'stories',
      messages: story,
      tools,
      tool_choice: { type: 'tool', name: 'pick_color' },
      max_tokens: 40,
      ...greedy,
    });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(call?.name).toBe('pick_color');
    expect(['red', 'blue']).toContain((call!.input as { color: string }).color);

    const streamed = await client.messages.stream({ model: 'stories', messages: story, tools, tool_choice: { type: 'tool', name: 'pick_color' }, max_tokens: 40, ...greedy }).finalMessage();
    // Same call, streamed as input_json_delta and parsed by the SDK; only the generated id differs.
    expect(streamed.content).toEqual(first.content.map((block) => (block.type === 'tool_use' ? { ...block, id: expect.any(String) } : block)));

    const second = await client.messages.create({
      model: 'stories',
      messages: [
        ...story,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: '{"ok":true}' }] },
      ],
      // Offering the tools again adds node-llama-cpp's function-calling preamble, which does
      // not fit stories260K's 512-token context; the call and its result still do.
      tools,
      tool_choice: { type: 'none' },
      max_tokens: 10,
      ...greedy,
    });
    const plain = await client.messages.create({ model: 'stories', messages: story, max_tokens: 1, ...greedy });
    // The call and its result are rendered into the next prompt.
    expect(promptTokens(second.usage)).toBeGreaterThan(promptTokens(plain.usage) + 10);
  });

  it('counts tokens exactly as a message reports them', async () => {
    const system = 'You tell short stories.';
    const counted = await client.messages.countTokens({ model: 'stories', system, messages: story });
    const message = await client.messages.create({ model: 'stories', system, messages: story, max_tokens: 1, ...greedy });
    expect(counted.input_tokens).toBe(promptTokens(message.usage));
  });

  it('stops generating when the client aborts, and serves the next request', async () => {
    const request = { model: 'stories', messages: story, max_tokens: 400, ...greedy };
    // How long the whole answer takes here, so the check below holds on a slow machine too.
    const started = performance.now();
    await client.messages.stream(request).finalMessage();
    const whole = performance.now() - started;

    const stream = client.messages.stream(request);
    let deltas = 0;
    stream.on('text', () => {
      if (++deltas === 3) stream.abort();
    });
    await stream.done().catch(() => undefined);
    const aborted = performance.now();
    while (router.list()[0]!.activeRequests > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(performance.now() - aborted).toBeLessThan(whole / 2);
    expect(deltas).toBe(3);
    const next = await client.messages.create({ model: 'stories', messages: story, max_tokens: 5, ...greedy });
    expect(next.usage.output_tokens).toBe(5);
  });

  it('maps errors to the client error classes', async () => {
    await expect(client.messages.create({ model: 'nope', messages: story, max_tokens: 5 })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(client.messages.create({ model: 'stories', messages: [], max_tokens: 5 })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    const long = 'Lily and Tom played in the park all day long. '.repeat(80);
    const overflow = client.messages.create({ model: 'stories', messages: [{ role: 'user', content: long }], max_tokens: 5 });
    await expect(overflow).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(overflow).rejects.toMatchObject({ error: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^prompt is too long: .*n_ctx/) } } });
    // Streamed, as Claude Code asks: still a 400 before any event, not an error mid-stream.
    const streamed = client.messages.stream({ model: 'stories', messages: [{ role: 'user', content: long }], max_tokens: 32000 }).finalMessage();
    await expect(streamed).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});
