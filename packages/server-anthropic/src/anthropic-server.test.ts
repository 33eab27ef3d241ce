import { createTestRouter } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { anthropicServer } from './anthropic-server.js';

function buildApp() {
  const { router } = createTestRouter(
    {
      echo: {},
      story: { reply: 'Once upon a time there was a fox. The end.' },
      tools: { tool_call: { name: 'get_weather', arguments: { city: 'Paris' } } },
      crash: { reply: 'one two boom three', crash_on: 'boom' },
      off: { enabled: false },
    },
    { maxLoadedModels: 10 },
  );
  const app = Fastify();
  void app.register(anthropicServer, { router });
  return { app, router };
}

/** Parses an SSE body into [event name, data] pairs. */
function sseEvents(body: string): [string, { type: string } & Record<string, unknown>][] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return [eventLine!.slice(7), JSON.parse(dataLine!.slice(6))];
    });
}

const messages = (body: object, url = '/v1/messages') => ({ method: 'POST' as const, url, payload: body });
const hello = [{ role: 'user', content: 'hello there' }];

describe('POST /v1/messages', () => {
  it('answers without streaming in the exact message shape', async () => {
    const { app } = buildApp();
    const response = await app.inject(messages({ model: 'echo', max_tokens: 100, messages: hello }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['request-id']).toMatch(/^req_/);
    expect(response.json()).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'echo',
      content: [{ type: 'text', text: 'You said: hello there', citations: null }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 2, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('streams the event sequence and the same content it returns without streaming', async () => {
    const { app } = buildApp();
    const body = { model: 'story', max_tokens: 5, messages: hello };
    const whole = (await app.inject(messages(body))).json();
    const response = await app.inject(messages({ ...body, stream: true }));
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = sseEvents(response.body);
    expect(events.map(([name]) => name)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const [name, data] of events) expect(data.type).toBe(name);
    const text = events.map(([, data]) => (data.delta as { text?: string } | undefined)?.text ?? '').join('');
    expect(text).toBe(whole.content[0].text);
    expect(events.at(-2)![1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { ...whole.usage },
    });
  });

  it('reports the stop sequence that ended the answer', async () => {
    const { app } = buildApp();
    const response = await app.inject(messages({ model: 'story', max_tokens: 100, messages: hello, stop_sequences: ['fox'] }));
    expect(response.json()).toMatchObject({
      content: [{ type: 'text', text: 'Once upon a time there was a' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'fox',
    });
  });

  it('returns tool calls as tool_use blocks, streamed as input_json_delta', async () => {
    const { app } = buildApp();
    const body = {
      model: 'tools',
      max_tokens: 50,
      messages: hello,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any' },
    };
    const whole = (await app.inject(messages(body))).json();
    expect(whole).toMatchObject({ content: [{ type: 'tool_use', id: 'call_0', name: 'get_weather', input: { city: 'Paris' } }], stop_reason: 'tool_use' });
    const events = sseEvents((await app.inject(messages({ ...body, stream: true }))).body);
    expect(events.find(([name]) => name === 'content_block_start')![1].content_block).toEqual({ type: 'tool_use', id: 'call_0', name: 'get_weather', input: {} });
    expect(events.find(([name]) => name === 'content_block_delta')![1].delta).toEqual({ type: 'input_json_delta', partial_json: '{"city":"Paris"}' });
  });

  it('accepts what Claude Code sends: ?beta=true, cache_control, a mid-conversation system message, adaptive thinking, unknown fields', async () => {
    const { app } = buildApp();
    const response = await app.inject({
      ...messages(
        {
          model: 'echo',
          max_tokens: 32000,
          system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
          messages: [
            { role: 'user', content: [{ type: 'text', text: '<system-reminder>x</system-reminder>' }, { type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] },
            { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
            { role: 'system', content: 'Keep going.' },
            { role: 'user', content: 'say ok' },
          ],
          tools: [{ name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
          thinking: { type: 'adaptive' },
          context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
          output_config: { effort: 'high' },
          metadata: { user_id: 'user_abc' },
          stream: true,
        },
        '/v1/messages?beta=true',
      ),
      headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14', 'x-app': 'cli' },
    });
    expect(response.statusCode).toBe(200);
    const text = sseEvents(response.body)
      .map(([, data]) => (data.delta as { text?: string } | undefined)?.text ?? '')
      .join('');
    expect(text).toBe('You said: say ok');
  });

  it.each([
    ['no body', undefined, 400, 'invalid_request_error', /empty|JSON object/],
    ['malformed JSON', '{"model":', 400, 'invalid_request_error', /not valid JSON/],
    ['no max_tokens', { model: 'echo', messages: hello }, 400, 'invalid_request_error', /max_tokens/],
    ['zero max_tokens', { model: 'echo', max_tokens: 0, messages: hello }, 400, 'invalid_request_error', /max_tokens/],
    ['no messages', { model: 'echo', max_tokens: 5, messages: [] }, 400, 'invalid_request_error', /at least one message/],
    ['a bad role', { model: 'echo', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] }, 400, 'invalid_request_error', /messages.0.role/],
    ['temperature above 1', { model: 'echo', max_tokens: 5, messages: hello, temperature: 1.5 }, 400, 'invalid_request_error', /temperature/],
    ['an unknown block', { model: 'echo', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'video' }] }] }, 400, 'invalid_request_error', /"video"/],
    ['a forced tool that is not offered', { model: 'echo', max_tokens: 5, messages: hello, tool_choice: { type: 'tool', name: 'f' } }, 400, 'invalid_request_error', /not in tools/],
    ['an image for a text model', { model: 'echo', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }] }, 400, 'invalid_request_error', /cannot read images/],
    ['an unknown model', { model: 'nope', max_tokens: 5, messages: hello }, 404, 'not_found_error', /nope/],
    ['a disabled model', { model: 'off', max_tokens: 5, messages: hello }, 404, 'not_found_error', /disabled/],
  ])('answers %s with a %s %s in Anthropic shape', async (_name, body, status, type, message) => {
    const { app } = buildApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ type: 'error', error: { type, message: expect.stringMatching(message) } });
  });

  it('sends an error event when the model fails mid-stream, and keeps serving', async () => {
    const { app } = buildApp();
    const response = await app.inject(messages({ model: 'crash', max_tokens: 50, messages: hello, stream: true }));
    const events = sseEvents(response.body);
    expect(events.slice(0, 3).map(([name]) => name)).toEqual(['message_start', 'ping', 'content_block_start']);
    expect(events.at(-1)).toEqual(['error', { type: 'error', error: { type: 'api_error', message: expect.stringMatching(/fake crash/) } }]);
    expect((await app.inject(messages({ model: 'echo', max_tokens: 5, messages: hello }))).statusCode).toBe(200);
  });
});

describe('POST /v1/messages/count_tokens', () => {
  it('counts the prompt with the model, without max_tokens', async () => {
    const { app } = buildApp();
    const response = await app.inject(messages({ model: 'echo', system: 'be brief', messages: hello }, '/v1/messages/count_tokens'));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ input_tokens: 4 });
    const missing = await app.inject(messages({ model: 'nope', messages: hello }, '/v1/messages/count_tokens'));
    expect(missing.statusCode).toBe(404);
  });
});

describe('the /v1/messages scope', () => {
  it('answers unknown paths below it in Anthropic shape', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'GET', url: '/v1/messages/batches' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
