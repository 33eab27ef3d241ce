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

const input = 'Tell me a story about Lily.';
const tools: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'pick_color',
    description: 'Pick a color for the ball',
    parameters: { type: 'object', properties: { color: { enum: ['red', 'blue'] } }, required: ['color'] },
    strict: true,
  },
];

describe('the openai client’s Responses API against stories260K', () => {
  it('creates a response with real usage, and retrieves and deletes it', async () => {
    const response = await client.responses.create({ model: 'stories', input, max_output_tokens: 20, temperature: 0 });
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.usage).toMatchObject({ output_tokens: 20 });
    expect(response.usage!.input_tokens).toBeGreaterThan(5);
    const stored = await client.responses.retrieve(response.id);
    expect(stored.output_text).toBe(response.output_text);
    // The next turn of the conversation starts where this one left the model's cache.
    const next = await client.responses.create({ model: 'stories', previous_response_id: response.id, input: 'And then?', max_output_tokens: 5, temperature: 0 });
    expect(next.usage!.input_tokens).toBeGreaterThan(response.usage!.input_tokens + 20);
    expect(next.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(response.usage!.input_tokens / 2);
    await client.responses.delete(response.id);
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('streams with the client helpers the same answer it returns without streaming', async () => {
    const request = { model: 'stories', input, max_output_tokens: 40, temperature: 0 } as const;
    const whole = await client.responses.create(request);
    const stream = client.responses.stream(request);
    let text = '';
    let lastSnapshot = '';
    stream.on('response.output_text.delta', (event) => {
      text += event.delta;
      lastSnapshot = event.snapshot;
    });
    const sequence: number[] = [];
    for await (const event of stream) sequence.push(event.sequence_number);
    const final = await stream.finalResponse();
    expect(text).toBe(whole.output_text);
    expect(lastSnapshot).toBe(whole.output_text);
    expect(final.output_text).toBe(whole.output_text);
    expect(final.usage).toEqual(whole.usage);
    expect(sequence).toEqual(sequence.map((_, index) => index));
  });

  it('round-trips a forced function call via previous_response_id', async () => {
    const first = await client.responses.create({
      model: 'stories',
      input,
      tools,
      tool_choice: { type: 'function', name: 'pick_color' },
      temperature: 0,
      max_output_tokens: 40,
    });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'pick_color', status: 'completed' });
    const args = JSON.parse(call!.type === 'function_call' ? call!.arguments : '{}') as { color: string };
    expect(['red', 'blue']).toContain(args.color);
    const second = await client.responses.create({
      model: 'stories',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call!.type === 'function_call' ? call!.call_id : '', output: '{"ok":true}' }],
      // Offering the tools again would add node-llama-cpp's function-calling preamble, which does
      // not fit stories260K's 512-token context; the call and its result still do.
      tools,
      tool_choice: 'none',
      max_output_tokens: 10,
      temperature: 0,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.length).toBeGreaterThan(0);
    // The earlier turn, the call and its result are all in the prompt.
    const plain = await client.responses.create({ model: 'stories', input, max_output_tokens: 1, temperature: 0 });
    expect(second.usage!.input_tokens).toBeGreaterThan(plain.usage!.input_tokens + 10);

    // The same turn with the items resent and nothing stored gives the same answer.
    const resent = await client.responses.create({
      model: 'stories',
      store: false,
      input: [
        { role: 'user', content: input },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: call!.type === 'function_call' ? call!.call_id : '', output: '{"ok":true}' },
      ],
      tools,
      tool_choice: 'none',
      max_output_tokens: 10,
      temperature: 0,
    });
    expect(resent.output_text).toBe(second.output_text);
    expect(resent.usage!.input_tokens).toBe(second.usage!.input_tokens);
    await expect(client.responses.retrieve(resent.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('follows a text.format json_schema that the client parses', async () => {
    const response = await client.responses.parse({
      model: 'stories',
      input,
      temperature: 0,
      max_output_tokens: 100,
      text: {
        format: {
          type: 'json_schema',
          name: 'pet',
          strict: true,
          schema: { type: 'object', properties: { kind: { enum: ['cat', 'dog'] }, legs: { type: 'integer' } }, required: ['kind', 'legs'] },
        },
      },
    });
    const value = response.output_parsed as unknown as { kind: string; legs: number };
    expect(['cat', 'dog']).toContain(value.kind);
    expect(Number.isInteger(value.legs)).toBe(true);
  });

  it('maps errors to the client error classes', async () => {
    await expect(client.responses.create({ model: 'nope', input })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.responses.create({ model: 'stories', input: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const tooLong = client.responses.create({ model: 'stories', input: 'Lily went to the park. '.repeat(100), stream: true });
    await expect(tooLong).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' });
    await expect(client.responses.create({ model: 'stories', input, previous_response_id: 'resp_missing' })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });
});
