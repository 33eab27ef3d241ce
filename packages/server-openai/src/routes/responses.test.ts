import { createTestRouter } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openaiServer } from '../openai-server.js';

function buildApp(responseStore?: { maxEntries?: number; ttlMs?: number }) {
  const { router } = createTestRouter(
    {
      echo: {},
      tools: { tool_call: { name: 'get_weather', arguments: { city: 'Paris' } } },
      crash: { reply: 'one two boom three', crash_on: 'boom' },
      slow: { token_delay_ms: 30, reply: 'a b c d e f g h i j k l m n o p q r s t' },
    },
    { maxLoadedModels: 10 },
  );
  const app = Fastify();
  void app.register(openaiServer, { router, ...(responseStore ? { responseStore } : {}) });
  return Object.assign(app, { router });
}

type Event = Record<string, any>;

/** Parses a typed SSE body; checks each `event:` line names its payload's type. */
function sseEvents(body: string): Event[] {
  return body
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const name = /^event: (.+)$/m.exec(block)?.[1];
      const data = JSON.parse(/^data: (.+)$/m.exec(block)![1]!) as Event;
      expect(name).toBe(data.type);
      return data;
    });
}

const post = (body: object) => ({ method: 'POST' as const, url: '/v1/responses', payload: body });
const weatherTool = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

/** A response without what differs between two runs (ids, timestamps). */
function comparable(response: Event): Event {
  const { id: _id, created_at: _created, completed_at: _completed, ...rest } = response;
  return { ...rest, output: response.output.map(({ id: _item, ...item }: Event) => item) };
}

describe('POST /v1/responses', () => {
  it('answers a string input with a message item, status and usage', async () => {
    const app = buildApp();
    const response = await app.inject(post({ model: 'echo', input: 'hello there', instructions: 'Be brief.' }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      object: 'response',
      status: 'completed',
      model: 'echo',
      instructions: 'Be brief.',
      error: null,
      incomplete_details: null,
      store: true,
      output: [
        {
          type: 'message',
          id: expect.stringMatching(/^msg_/),
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'You said: hello there', annotations: [] }],
        },
      ],
      usage: { input_tokens: 4, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 8 },
    });
  });

  it('streams typed events with consecutive sequence numbers, ending in the same response', async () => {
    const app = buildApp();
    const body = { model: 'echo', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi you' }] }], temperature: 0 };
    const whole = (await app.inject(post(body))).json();
    const events = sseEvents((await app.inject(post({ ...body, stream: true }))).body);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(4).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events[0]!.response).toMatchObject({ status: 'in_progress', output: [] });
    expect(events[2]!.item).toMatchObject({ type: 'message', status: 'in_progress', content: [] });
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    expect(deltas.map((event) => event.delta).join('')).toBe('You said: hi you');
    expect(deltas[0]).toMatchObject({ output_index: 0, content_index: 0, item_id: events[2]!.item.id });
    expect(comparable(events.at(-1)!.response)).toEqual(comparable(whole));
  });

  it('calls a function tool, skipping tool types it does not serve, and streams the call', async () => {
    const app = buildApp();
    const tools = [weatherTool, { type: 'web_search' }, { type: 'namespace', name: 'mcp', description: 'x', tools: [] }, { type: 'custom', name: 'apply_patch' }];
    const body = { model: 'tools', input: 'weather?', tools, tool_choice: 'auto' };
    const whole = (await app.inject(post(body))).json();
    expect(whole.output).toEqual([
      { type: 'function_call', id: expect.stringMatching(/^fc_/), status: 'completed', call_id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
    expect(whole.tools).toEqual([weatherTool]);
    const events = sseEvents((await app.inject(post({ ...body, stream: true }))).body);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[4]).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(comparable(events.at(-1)!.response)).toEqual(comparable(whole));
  });

  it('continues a stored conversation through previous_response_id, and GET/DELETE find it', async () => {
    const app = buildApp();
    const first = (await app.inject(post({ model: 'tools', input: 'weather in Paris?', tools: [weatherTool] }))).json();
    const call = first.output[0];
    const second = await app.inject(
      post({
        model: 'echo',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }, { role: 'user', content: 'thanks' }],
      }),
    );
    expect(second.statusCode).toBe(200);
    // The fake counts every message's text: the earlier user turn, the tool output and this one.
    expect(second.json().usage.input_tokens).toBe(5);
    expect(second.json().previous_response_id).toBe(first.id);
    expect((await app.inject({ method: 'GET', url: `/v1/responses/${first.id}` })).json()).toEqual(first);
    const deleted = await app.inject({ method: 'DELETE', url: `/v1/responses/${first.id}` });
    expect(deleted.json()).toEqual({ id: first.id, object: 'response', deleted: true });
    for (const request of [
      { method: 'GET' as const, url: `/v1/responses/${first.id}` },
      { method: 'DELETE' as const, url: `/v1/responses/${first.id}` },
      post({ model: 'echo', previous_response_id: first.id, input: 'again' }),
    ]) {
      const missing = await app.inject(request);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toMatchObject({ type: 'invalid_request_error', code: 'not_found', message: expect.stringContaining(first.id) });
    }
  });

  it('takes the whole conversation resent as items instead', async () => {
    const app = buildApp();
    const response = await app.inject(
      post({
        model: 'echo',
        store: false,
        input: [
          { role: 'developer', content: 'You are terse.' },
          { role: 'user', content: 'weather in Paris?' },
          { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
          { type: 'function_call', call_id: 'call_9', name: 'get_weather', arguments: '{}' },
          { type: 'web_search_call', id: 'ws_1', status: 'completed' },
          { type: 'function_call_output', call_id: 'call_9', output: [{ type: 'input_text', text: 'sunny' }] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It is sunny.' }] },
          { role: 'user', content: 'thanks' },
        ],
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ store: false, output: [{ content: [{ text: 'You said: thanks' }] }] });
    expect(response.json().usage.input_tokens).toBe(11);
    expect((await app.inject({ method: 'GET', url: `/v1/responses/${response.json().id}` })).statusCode).toBe(404);
  });

  it('accepts what Codex CLI sends and streams what it needs', async () => {
    const app = buildApp();
    const response = await app.inject(
      post({
        model: 'echo',
        instructions: 'You are Codex.',
        input: [
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>' }] },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
        ],
        tools: [weatherTool, { type: 'web_search', external_web_access: false }, { type: 'namespace', name: 'mcp__x', description: 'd', tools: [] }],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        reasoning: { effort: 'medium', summary: 'auto' },
        store: false,
        stream: true,
        include: ['reasoning.encrypted_content'],
        prompt_cache_key: 'session-1',
        client_metadata: { originator: 'codex_exec' },
        text: { verbosity: 'low' },
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = sseEvents(response.body);
    const types = events.map((event) => event.type);
    expect(types).toContain('response.in_progress');
    expect(types).toContain('response.content_part.done');
    expect(events.at(-1)).toMatchObject({
      type: 'response.completed',
      response: { status: 'completed', usage: { input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } },
    });
  });

  it('reports max_output_tokens as an incomplete response', async () => {
    const app = buildApp();
    const body = { model: 'echo', input: 'one two three four', max_output_tokens: 2 };
    const whole = (await app.inject(post(body))).json();
    expect(whole).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ status: 'incomplete' }] });
    const events = sseEvents((await app.inject(post({ ...body, stream: true }))).body);
    expect(events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete' } });
  });

  it('fails a stream that breaks after it started with error and response.failed', async () => {
    const app = buildApp();
    const events = sseEvents((await app.inject(post({ model: 'crash', input: 'x', stream: true }))).body);
    expect(events.slice(-2)).toMatchObject([
      { type: 'error', code: 'provider_crashed', message: expect.stringContaining('crash') },
      { type: 'response.failed', response: { status: 'failed', error: { code: 'provider_crashed' } } },
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    // Without streaming, the same crash is a 500 in OpenAI's shape, and the server goes on.
    const failed = await app.inject(post({ model: 'crash', input: 'x' }));
    expect(failed.statusCode).toBe(500);
    expect(failed.json().error).toMatchObject({ type: 'server_error', code: 'provider_crashed' });
    expect((await app.inject(post({ model: 'echo', input: 'still here' }))).statusCode).toBe(200);
  });

  it('answers bad input with a 4xx in OpenAI error shape, naming the field', async () => {
    const app = buildApp();
    const cases: [object, number, string | null][] = [
      [{ model: 'echo' }, 400, 'input'],
      [{ model: 'echo', input: [] }, 400, 'input'],
      [{ model: 'echo', input: 42 }, 400, 'input'],
      [{ model: 'echo', input: [{ type: 'function_call_output', output: 'x' }] }, 400, 'input.0.call_id'],
      [{ model: 'echo', input: [{ role: 'robot', content: 'x' }] }, 400, 'input.0.role'],
      [{ model: 'echo', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 400, 'input.0.content.0'],
      [{ model: 'echo', input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA==' }] }] }, 400, 'input.0.content.0'],
      [{ model: 'echo', input: [{ type: 'item_reference', id: 'msg_1' }] }, 400, 'input.0'],
      [{ model: 'echo', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/cat.png' }] }] }, 400, 'input.0.content.0.image_url'],
      // A model without vision: the capability check names the input.
      [{ model: 'echo', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA==' }] }] }, 400, 'input'],
      [{ model: 'echo', input: 'x', temperature: 5 }, 400, 'temperature'],
      [{ model: 'echo', input: 'x', tools: [{ type: 'function' }] }, 400, 'tools.0.name'],
      [{ model: 'echo', input: 'x', tool_choice: { type: 'web_search' } }, 400, 'tool_choice'],
      [{ model: 'echo', input: 'x', tool_choice: 'required' }, 400, 'tool_choice'],
      [{ model: 'echo', input: 'x', tools: [weatherTool], tool_choice: { type: 'function' } }, 400, 'tool_choice.name'],
      [{ model: 'echo', input: 'x', tools: [weatherTool], tool_choice: { type: 'function', name: 'nope' } }, 400, 'tool_choice'],
      [{ model: 'echo', input: 'x', text: { format: { type: 'json_schema', name: 'x' } } }, 400, 'text.format.schema'],
      [{ model: 'echo', input: 'x', background: true }, 400, 'background'],
      [{ model: 'echo', input: 'x', top_logprobs: 3 }, 400, 'top_logprobs'],
      [{ model: 'nope', input: 'x' }, 404, 'model'],
    ];
    for (const [body, status, param] of cases) {
      const response = await app.inject(post(body));
      expect({ body, status: response.statusCode }).toEqual({ body, status });
      expect(response.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param, code: expect.any(String) } });
    }
    const notJson = await app.inject({ method: 'POST', url: '/v1/responses', payload: '{', headers: { 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/responses/resp_x?stream=true' })).statusCode).toBe(400);
  });

  it('stops generating when the client goes away, and keeps nothing of the cancelled response', async () => {
    const app = buildApp();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const response = await fetch(`${address}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', input: 'x', stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('response.output_text.delta')) text += new TextDecoder().decode((await reader.read()).value);
    const id = /"id":"(resp_\w+)"/.exec(text)![1]!;
    controller.abort();
    while (app.router.list().find((model) => model.id === 'slow')!.activeRequests > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Had generation run to its end, the response would be completed and stored.
    expect((await app.inject({ method: 'GET', url: `/v1/responses/${id}` })).statusCode).toBe(404);
    await app.close();
  });

  it('evicts the least recently used response past the configured size', async () => {
    const app = buildApp({ maxEntries: 2 });
    const ids: string[] = [];
    for (const input of ['a', 'b', 'c']) {
      ids.push((await app.inject(post({ model: 'echo', input }))).json().id);
      // Reading the first keeps it in use, so the second is the one to go.
      if (ids.length === 2) expect((await app.inject({ method: 'GET', url: `/v1/responses/${ids[0]}` })).statusCode).toBe(200);
    }
    const status = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/responses/${id}` })).statusCode;
    expect([await status(ids[0]!), await status(ids[1]!), await status(ids[2]!)]).toEqual([200, 404, 200]);
  });
});
