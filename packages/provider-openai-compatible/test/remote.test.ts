import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeRequests, postJson, postSse, referenceStory, startFront, startUpstream, waitFor, type Front, type Upstream } from './helpers.js';

// One upstream heylook process serving stories260K, and a heylook in this process fronting it
// as `remote` (and `remote-endless`, which never ends a story by itself).
let upstream: Upstream;
let front: Front;

beforeAll(async () => {
  upstream = await startUpstream();
  front = await startFront({
    remote: { base_url: upstream.url, model: 'stories', capabilities: { tools: true } },
    'remote-endless': { base_url: `${upstream.url}/v1`, model: 'endless', max_parallel: 2 },
  });
});
afterAll(async () => {
  await front?.close();
  await upstream?.kill();
});

const story = { prompt: 'Once upon a time', max_tokens: 400, temperature: 0 };
const chat = (extra: object = {}) => ({ messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 24, temperature: 0, ...extra });
const content = (events: any[]) => events.filter((event) => event !== '[DONE]').map((event) => event.choices?.[0]?.delta?.content ?? event.choices?.[0]?.text ?? '');

describe('a remote heylook as an openai-compatible upstream', () => {
  it('reproduces the reference story through the remote, on the OpenAI and the Ollama API', async () => {
    const remote = await postJson(`${front.url}/v1/completions`, { model: 'remote', ...story });
    expect(remote.status).toBe(200);
    expect(`Once upon a time${remote.body.choices[0].text}`.slice(0, 565)).toBe(referenceStory());
    expect(remote.body.choices[0].finish_reason).toBe('stop');
    expect(remote.body.usage.completion_tokens).toBe(341);

    const ollama = await postJson(`${front.url}/api/generate`, { model: 'remote', prompt: 'Once upon a time', raw: true, stream: false, options: { num_predict: 6, temperature: 0 } });
    expect(ollama.status).toBe(200);
    expect(ollama.body.response).toBe(', there was a little g');
  });

  it('streams the same chunks the upstream streams, and the same text unstreamed', async () => {
    const direct = await postSse(`${upstream.url}/v1/chat/completions`, { model: 'stories', ...chat() });
    const remote = await postSse(`${front.url}/v1/chat/completions`, { model: 'remote', ...chat() });
    expect(remote.status).toBe(200);
    expect(content(remote.events).filter(Boolean)).toEqual(content(direct.events).filter(Boolean));
    expect(content(remote.events).join('').length).toBeGreaterThan(10);
    expect(remote.events.at(-1)).toBe('[DONE]');
    const whole = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...chat() });
    expect(whole.body.choices[0].message.content).toBe(content(direct.events).join(''));
    expect(whole.body.usage.completion_tokens).toBe(24);
    expect(whole.body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('forwards stop strings and seeds', async () => {
    const full = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...chat() });
    const stop = (full.body.choices[0].message.content as string).trim().split(/\s+/)[2]!;
    const stopped = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...chat({ stop: [stop] }) });
    expect(stopped.body.choices[0].message.content).not.toContain(stop);
    expect(stopped.body.choices[0].finish_reason).toBe('stop');
    const seeded = chat({ temperature: 1, seed: 7 });
    const [first, second] = await Promise.all([0, 1].map(() => postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...seeded })));
    const direct = await postJson(`${upstream.url}/v1/chat/completions`, { model: 'stories', ...seeded });
    expect(first!.body.choices[0].message.content).toBe(direct.body.choices[0].message.content);
    expect(second!.body.choices[0].message.content).toBe(direct.body.choices[0].message.content);
  });

  it('forwards tools and tool_choice: the upstream calls the forced tool, streamed and whole', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const request = chat({ tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 48 });
    const direct = await postJson(`${upstream.url}/v1/chat/completions`, { model: 'stories', ...request });
    const remote = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...request });
    expect(remote.status).toBe(200);
    const call = remote.body.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe('get_weather');
    expect(typeof JSON.parse(call.function.arguments).city).toBe('string');
    // The upstream reformats arguments when it answers unstreamed; the remote relays its stream.
    expect(JSON.parse(call.function.arguments)).toEqual(JSON.parse(direct.body.choices[0].message.tool_calls[0].function.arguments));
    expect(remote.body.choices[0].finish_reason).toBe('tool_calls');

    const streamed = await postSse(`${front.url}/v1/chat/completions`, { model: 'remote', ...request });
    const deltas = streamed.events.filter((event) => event !== '[DONE]').flatMap((event) => event.choices?.[0]?.delta?.tool_calls ?? []);
    expect(deltas[0].function.name).toBe('get_weather');
    expect(deltas.map((delta: any) => delta.function.arguments).join('')).toBe(call.function.arguments);
  });

  it('forwards response_format json_schema: the answer is JSON of that schema', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };
    const request = chat({ response_format: { type: 'json_schema', json_schema: { name: 'person', schema } }, max_tokens: 64 });
    const direct = await postJson(`${upstream.url}/v1/chat/completions`, { model: 'stories', ...request });
    const remote = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...request });
    const answer = JSON.parse(remote.body.choices[0].message.content);
    expect(typeof answer.name).toBe('string');
    expect(Number.isInteger(answer.age)).toBe(true);
    expect(remote.body.choices[0].message.content).toBe(direct.body.choices[0].message.content);
  });

  it('embeds through the remote, on both APIs', async () => {
    const input = ['Once upon a time', 'Lily and the ball'];
    const direct = await postJson(`${upstream.url}/v1/embeddings`, { model: 'stories', input });
    const remote = await postJson(`${front.url}/v1/embeddings`, { model: 'remote', input });
    expect(remote.status).toBe(200);
    expect(remote.body.data.map((item: any) => item.embedding)).toEqual(direct.body.data.map((item: any) => item.embedding));
    expect(remote.body.data[0].embedding).toHaveLength(64);
    const ollama = await postJson(`${front.url}/api/embed`, { model: 'remote', input });
    expect(ollama.body.embeddings).toEqual(direct.body.data.map((item: any) => item.embedding));
  });

  it("aborts the upstream request when the client disconnects: the upstream's lease is freed", async () => {
    const controller = new AbortController();
    const response = await fetch(`${front.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'remote-endless', prompt: 'Once upon a time', max_tokens: 100_000, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    // Left alone, 100k tokens keep the upstream busy for far longer than the wait below.
    expect(await activeRequests(upstream, 'endless')).toBe(1);
    controller.abort();
    await waitFor(async () => (await activeRequests(upstream, 'endless')) === 0, "the upstream's request to end", 10_000);
    const model = await front.model('remote-endless');
    expect(model.replicas[0]!.outstanding).toBe(0);
  });

  it('maps upstream errors to coded errors with the right status, and keeps serving', async () => {
    const overflow = await postJson(`${front.url}/v1/completions`, { model: 'remote', prompt: 'word '.repeat(600), max_tokens: 4 });
    expect(overflow.status).toBe(400);
    expect(overflow.body.error.code).toBe('context_length_exceeded');
    expect(overflow.body.error.message).toContain(upstream.url);
    const refused = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', ...chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'data:image/png;base64,AQID' }] }] }) });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('unsupported');
    expect((await postJson(`${front.url}/v1/completions`, { model: 'remote', prompt: 'Once', max_tokens: 2 })).status).toBe(200);
  });

  it('lists the remote models with their origin on /api/tags, /api/ps and /api/show', async () => {
    const tags = (await (await fetch(`${front.url}/api/tags`)).json()) as { models: any[] };
    const remote = tags.models.find((model) => model.name === 'remote:latest');
    expect(remote).toMatchObject({ remote_model: 'stories', remote_host: `${upstream.url}/v1`, details: { format: 'remote' } });
    expect(remote.digest).toMatch(/^[0-9a-f]{64}$/);
    const ps = (await (await fetch(`${front.url}/api/ps`)).json()) as { models: any[] };
    expect(ps.models.map((model) => model.name)).toContain('remote:latest');
    const show = await postJson(`${front.url}/api/show`, { model: 'remote' });
    expect(show.status).toBe(200);
    expect(show.body.capabilities).toEqual(expect.arrayContaining(['completion', 'tools', 'embedding']));
    expect(show.body.model_info['remote.model']).toBe('stories');
  });
});
