import { createTestRouter } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openaiServer } from './openai-server.js';

function buildApp() {
  const { router, stats } = createTestRouter(
    {
      echo: { aliases: ['echo-alias'] },
      story: { reply: 'Once upon a time there was a fox. The end.' },
      tools: { tool_call: { name: 'get_weather', arguments: { city: 'Paris' } } },
      crash: { reply: 'one two boom three', crash_on: 'boom' },
      slow: { token_delay_ms: 20, reply: 'a b c d e f g h' },
      off: { enabled: false },
    },
    { maxLoadedModels: 10 },
  );
  const app = Fastify();
  void app.register(openaiServer, { router });
  return { app, router, stats };
}

/** Parses an SSE body into its data payloads. */
function sseEvents(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

const chat = (body: object) => ({ method: 'POST' as const, url: '/v1/chat/completions', payload: body });

describe('GET /v1/models', () => {
  it('lists enabled models and shows one; unknown and disabled are 404 in OpenAI shape', async () => {
    const { app } = buildApp();
    const list = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((model: { id: string }) => model.id)).toEqual(['echo', 'story', 'tools', 'crash', 'slow']);
    expect(list.json().data[0]).toMatchObject({ object: 'model', owned_by: 'heylook', created: expect.any(Number) });
    expect((await app.inject({ method: 'GET', url: '/v1/models/echo-alias' })).json()).toMatchObject({ id: 'echo', object: 'model' });
    for (const id of ['nope', 'off']) {
      const missing = await app.inject({ method: 'GET', url: `/v1/models/${id}` });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    }
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers without streaming', async () => {
    const { app } = buildApp();
    const response = await app.inject(chat({ model: 'echo', messages: [{ role: 'user', content: 'hello there' }] }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      model: 'echo',
      choices: [{ index: 0, message: { role: 'assistant', content: 'You said: hello there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 },
    });
  });

  it('streams chunks, a usage chunk and [DONE]', async () => {
    const { app } = buildApp();
    const response = await app.inject(
      chat({ model: 'story', messages: [{ role: 'user', content: 'go' }], stream: true, stream_options: { include_usage: true }, max_tokens: 3 }),
    );
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = sseEvents(response.body) as Record<string, any>[];
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1);
    expect(chunks[0]!.choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[1]!.choices[0].delta).toEqual({ content: 'Once' });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Once upon a');
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
  });

  it('returns tool calls with finish_reason tool_calls, streaming and not', async () => {
    const { app } = buildApp();
    const body = {
      model: 'tools',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    };
    const whole = (await app.inject(chat(body))).json();
    expect(whole.choices[0]).toMatchObject({
      message: { content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      finish_reason: 'tool_calls',
    });
    const events = sseEvents((await app.inject(chat({ ...body, stream: true }))).body) as Record<string, any>[];
    expect(events[1]!.choices[0].delta.tool_calls[0]).toMatchObject({ index: 0, id: 'call_0', function: { name: 'get_weather' } });
  });

  it('answers n choices, numbered, with the prompt counted once, streaming and not', async () => {
    const { app } = buildApp();
    const body = { model: 'story', messages: [{ role: 'user', content: 'go' }], max_tokens: 2, n: 3 };
    const whole = (await app.inject(chat(body))).json();
    expect(whole.choices.map((choice: any) => [choice.index, choice.message.content, choice.finish_reason])).toEqual([
      [0, 'Once upon', 'length'],
      [1, 'Once upon', 'length'],
      [2, 'Once upon', 'length'],
    ]);
    expect(whole.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 6, total_tokens: 7 });
    const events = sseEvents((await app.inject(chat({ ...body, stream: true, stream_options: { include_usage: true } }))).body) as any[];
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1);
    for (const index of [0, 1, 2]) {
      const mine = chunks.filter((chunk) => chunk.choices[0]?.index === index);
      expect(mine[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
      expect(mine.map((chunk) => chunk.choices[0].delta.content ?? '').join('')).toBe('Once upon');
      expect(mine.at(-1).choices[0].finish_reason).toBe('length');
    }
    expect(chunks.filter((chunk) => chunk.choices.length === 0)).toEqual([expect.objectContaining({ usage: expect.objectContaining({ completion_tokens: 6 }) })]);
    expect(chunks.at(-1).choices).toEqual([]);
  });

  it('uses the only enabled model when the request names none', async () => {
    const { router } = createTestRouter({ only: {} });
    const app = Fastify();
    void app.register(openaiServer, { router });
    const response = await app.inject(chat({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(response.statusCode).toBe(200);
    expect(response.json().choices[0].message.content).toBe('You said: hi');
  });

  it('accepts a model alias, answers with the name asked for, and honours keep_alive 0', async () => {
    const { app, stats } = buildApp();
    const response = await app.inject(chat({ model: 'echo-alias', messages: [{ role: 'user', content: 'x' }], keep_alive: 0 }));
    expect(response.json().model).toBe('echo-alias');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(stats.loaded.has('echo')).toBe(false);
  });

  it.each([
    ['unknown model', { model: 'nope', messages: [{ role: 'user', content: 'x' }] }, 404, 'model_not_found', 'model'],
    ['disabled model', { model: 'off', messages: [{ role: 'user', content: 'x' }] }, 404, 'model_not_found', null],
    ['no messages', { model: 'echo', messages: [] }, 400, 'invalid_request', 'messages'],
    ['wrong type', { model: 'echo', messages: [{ role: 'user', content: 'x' }], max_tokens: 'ten' }, 400, 'invalid_request', 'max_tokens'],
    ['n above 8', { model: 'echo', messages: [{ role: 'user', content: 'x' }], n: 9 }, 400, 'invalid_request', 'n'],
    ['user message without content', { model: 'echo', messages: [{ role: 'user' }] }, 400, 'invalid_request', 'messages.0.content'],
    ['user message with null content', { model: 'echo', messages: [{ role: 'user', content: null }] }, 400, 'invalid_request', 'messages.0.content'],
    ['logit_bias on a model without it', { model: 'echo', messages: [{ role: 'user', content: 'x' }], logit_bias: { '5': 1 } }, 400, 'unsupported', 'logit_bias'],
    ['logit_bias key not a token id', { model: 'echo', messages: [{ role: 'user', content: 'x' }], logit_bias: { a: 1 } }, 400, 'invalid_request', 'logit_bias.a'],
    ['grammar on a model without grammars', { model: 'echo', messages: [{ role: 'user', content: 'x' }], grammar: 'root ::= "a"' }, 400, 'unsupported', 'grammar'],
    [
      'image for a text model',
      { model: 'echo', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }] },
      400,
      'unsupported',
      'messages',
    ],
  ])('%s → %i', async (_name, body, status, code, param) => {
    const { app } = buildApp();
    const response = await app.inject(chat(body));
    expect(response.statusCode).toBe(status);
    expect(response.json().error).toMatchObject({ code, param, message: expect.any(String), type: expect.any(String) });
  });

  it('rejects a body that is not JSON with a 400 in OpenAI shape', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: '{not json', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ type: 'invalid_request_error', message: expect.any(String) });
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const { router } = createTestRouter({ a: {}, b: {} }, { maxLoadedModels: 1, maxQueue: 0 });
    const app = Fastify();
    await app.register(openaiServer, { router });
    const busy = await router.acquire('a');
    const response = await app.inject(chat({ model: 'b', messages: [{ role: 'user', content: 'x' }] }));
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json().error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    busy.release();
  });

  it('reports a provider crash as 500 (non-streaming) and as an error event (streaming), then recovers', async () => {
    const { app, stats } = buildApp();
    const body = { model: 'crash', messages: [{ role: 'user', content: 'x' }] };
    const failed = await app.inject(chat(body));
    expect(failed.statusCode).toBe(500);
    expect(failed.json().error).toMatchObject({ type: 'server_error', code: 'provider_crashed' });
    const streamed = sseEvents((await app.inject(chat({ ...body, stream: true }))).body) as Record<string, any>[];
    expect(streamed.at(-1)).toMatchObject({ error: { code: 'provider_crashed' } });
    expect(streamed).not.toContain('[DONE]');
    expect(stats.loads).toBe(2);
  });
});

describe('POST /v1/completions', () => {
  it('completes a raw prompt, echoes it on request, streams', async () => {
    const { app } = buildApp();
    const whole = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'echo', prompt: 'abc', echo: true } });
    expect(whole.json()).toMatchObject({ object: 'text_completion', choices: [{ text: 'abc and then abc', finish_reason: 'stop' }] });
    const streamed = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'story', prompt: ['x'], stream: true, max_tokens: 2 } });
    const events = sseEvents(streamed.body) as Record<string, any>[];
    expect(events.slice(0, -1).map((event) => event.choices[0].text).join('')).toBe('Once upon');
    expect(events.at(-2)!.choices[0].finish_reason).toBe('length');
    const echoed = sseEvents((await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'story', prompt: 'x', stream: true, max_tokens: 1, echo: true } })).body);
    expect(echoed.slice(0, -1).map((event) => (event as Record<string, any>).choices[0].text).join('')).toBe('xOnce');
  });

  it('defaults max_tokens to 16 like OpenAI', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'story', prompt: 'x' } });
    expect(response.json().usage.completion_tokens).toBe(10);
    const long = createTestRouter({ long: { reply: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ') } });
    const longApp = Fastify();
    await longApp.register(openaiServer, { router: long.router });
    const capped = await longApp.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'long', prompt: 'x' } });
    expect(capped.json()).toMatchObject({ usage: { completion_tokens: 16 }, choices: [{ finish_reason: 'length' }] });
  });
});

describe('POST /v1/embeddings', () => {
  it('embeds strings as float and base64', async () => {
    const { app } = buildApp();
    const floats = (await app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'echo', input: ['a', 'b'] } })).json();
    expect(floats).toMatchObject({ object: 'list', model: 'echo', data: [{ object: 'embedding', index: 0 }, { index: 1 }], usage: { prompt_tokens: 2 } });
    expect(floats.data[0].embedding).toHaveLength(8);
    const encoded = (await app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'echo', input: 'a', encoding_format: 'base64', dimensions: 4 } })).json();
    const bytes = Buffer.from(encoded.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toHaveLength(4);
    expect(Math.hypot(...decoded)).toBeCloseTo(1, 5);
  });

  it('rejects bad input with 400', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'echo', input: [] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('input');
  });
});

describe('auth and unknown routes', () => {
  it('answers unknown /v1 routes with a 404 in OpenAI shape', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('unknown_url');
  });
});

describe('bodies without a JSON content type', () => {
  it('parses a form-urlencoded body as JSON', async () => {
    const { app } = buildApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.json().choices[0].message.content).toBe('You said: hi');
  });
});

describe('connection behaviour', () => {
  it('sends SSE keep-alive comments while a stream is quiet', async () => {
    const { router } = createTestRouter({ slow: { token_delay_ms: 60, reply: 'a b c' } });
    const app = Fastify();
    await app.register(openaiServer, { router, keepAliveIntervalMs: 20 });
    const response = await app.inject(chat({ model: 'slow', messages: [{ role: 'user', content: 'x' }], stream: true }));
    expect(response.body).toMatch(/^: keep-alive$/m);
    expect(sseEvents(response.body).at(-1)).toBe('[DONE]');
  });

  it('a client that disconnects while queued leaves the queue', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {} }, { maxLoadedModels: 1 });
    const app = Fastify();
    await app.register(openaiServer, { router });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const busy = await router.acquire('a');
    const controller = new AbortController();
    const request = fetch(`${address}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'b', messages: [{ role: 'user', content: 'x' }] }),
      signal: controller.signal,
    }).catch(() => undefined);
    while (router.queueDepth === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    controller.abort();
    await request;
    while (router.queueDepth > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    busy.release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stats.loaded.has('b')).toBe(false);
    await app.close();
  });
});
