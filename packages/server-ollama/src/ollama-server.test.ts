import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes } from '@heylook/core';
import { createTestRouter } from '@heylook/core/testing';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { ollamaServer } from './ollama-server.js';

let weights: string;
beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-ollama-'));
  weights = path.join(dir, 'weights.bin');
  await writeFile(weights, 'pretend these are weights');
});

function buildApp() {
  const { router, stats } = createTestRouter(
    {
      echo: { file: weights },
      story: { reply: 'Once upon a time there was a fox.', file: weights },
      tools: { tool_call: { name: 'get_weather', arguments: { city: 'Paris' } }, file: weights },
      'tagged:7b': { file: weights },
      off: { enabled: false },
    },
    { maxLoadedModels: 10 },
  );
  const app = Fastify();
  void app.register(ollamaServer, { router });
  return { app, router, stats };
}

const lines = (body: string) => body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
const post = (url: string, payload: object) => ({ method: 'POST' as const, url, payload });

describe('liveness and version', () => {
  it('answers / like Ollama and reports a numeric version', async () => {
    const { app } = buildApp();
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.body).toBe('Ollama is running');
    expect((await app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/version' })).json().version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('POST /api/chat', () => {
  it('streams NDJSON by default, ending with real counts and durations', async () => {
    const { app } = buildApp();
    const response = await app.inject(post('/api/chat', { model: 'story', messages: [{ role: 'user', content: 'go' }] }));
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    const objects = lines(response.body);
    expect(objects.slice(0, -1).map((line) => line.message.content).join('')).toBe('Once upon a time there was a fox.');
    expect(objects[0]).toMatchObject({ model: 'story', done: false, message: { role: 'assistant' }, created_at: expect.any(String) });
    const last = objects.at(-1)!;
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 8, prompt_eval_count: 1 });
    for (const field of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) expect(last[field]).toBeGreaterThan(0);
  });

  it('answers in one object with stream false, accepts name:latest, maps options', async () => {
    const { app } = buildApp();
    const response = await app.inject(
      post('/api/chat', { model: 'story:latest', stream: false, messages: [{ role: 'user', content: 'go' }], options: { num_predict: 2, stop: ['zzz'] } }),
    );
    expect(response.json()).toMatchObject({ model: 'story:latest', message: { role: 'assistant', content: 'Once upon' }, done: true, done_reason: 'length', eval_count: 2 });
  });

  it('returns tool calls with object arguments and takes them back in history', async () => {
    const { app } = buildApp();
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const first = (await app.inject(post('/api/chat', { model: 'tools', stream: false, messages: [{ role: 'user', content: 'weather?' }], tools }))).json();
    expect(first.message.tool_calls).toEqual([{ id: 'call_0', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } }]);
    const second = await app.inject(
      post('/api/chat', {
        model: 'echo',
        stream: false,
        messages: [{ role: 'user', content: 'weather?' }, first.message, { role: 'tool', content: 'sunny', tool_name: 'get_weather' }, { role: 'user', content: 'thanks' }],
      }),
    );
    expect(second.json().message.content).toBe('You said: thanks');
  });

  it('loads with no messages and unloads with keep_alive 0', async () => {
    const { app, stats } = buildApp();
    const loaded = await app.inject(post('/api/chat', { model: 'echo', messages: [] }));
    expect(loaded.json()).toMatchObject({ done: true, done_reason: 'load' });
    expect(stats.loaded.has('echo')).toBe(true);
    const unloaded = await app.inject(post('/api/chat', { model: 'echo', messages: [], keep_alive: 0 }));
    expect(unloaded.json()).toMatchObject({ done: true, done_reason: 'unload' });
    expect(stats.loaded.has('echo')).toBe(false);
  });

  it.each([
    ['unknown model', { model: 'nope', messages: [{ role: 'user', content: 'x' }] }, 404, /does not exist/],
    ['disabled model', { model: 'off', messages: [{ role: 'user', content: 'x' }] }, 404, /disabled/],
    ['missing model', { messages: [] }, 400, /model/],
    ['bad role', { model: 'echo', messages: [{ role: 'wizard', content: 'x' }] }, 400, /messages\.0\.role/],
    ['images for a text model', { model: 'echo', messages: [{ role: 'user', content: 'x', images: ['AAAA'] }] }, 400, /cannot read images/],
    ['bad option type', { model: 'echo', messages: [{ role: 'user', content: 'x' }], options: { temperature: 'hot' } }, 400, /options\.temperature/],
  ])('%s → %i {error}', async (_name, body, status, message) => {
    const { app } = buildApp();
    const response = await app.inject(post('/api/chat', body));
    expect(response.statusCode).toBe(status);
    expect(Object.keys(response.json())).toEqual(['error']);
    expect(response.json().error).toMatch(message);
  });

  it('rejects malformed JSON with a 400 {error}', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'POST', url: '/api/chat', payload: '{oops', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(typeof response.json().error).toBe('string');
  });
});

describe('POST /api/generate', () => {
  it('completes raw prompts and returns context; templated prompts go through chat', async () => {
    const { app } = buildApp();
    const raw = (await app.inject(post('/api/generate', { model: 'echo', prompt: 'abc', raw: true, stream: false }))).json();
    expect(raw).toMatchObject({ response: ' and then abc', done: true });
    const templated = lines((await app.inject(post('/api/generate', { model: 'echo', prompt: 'hi', system: 'be nice' }))).body);
    expect(templated.slice(0, -1).map((line) => line.response).join('')).toBe('You said: hi');
    expect(templated.at(-1)).toMatchObject({ done: true, eval_count: 3 });
  });

  it("completes the prompt as is on a model without a template (Ollama's default {{ .Prompt }})", async () => {
    const { router } = createTestRouter({ plain: { chat_template: '' } });
    const app = Fastify();
    void app.register(ollamaServer, { router });
    const templated = (await app.inject(post('/api/generate', { model: 'plain', prompt: 'abc', system: 'ignored', stream: false }))).json();
    expect(templated).toMatchObject({ response: ' and then abc', done: true });
  });

  it('ignores null values like Ollama does, in options and elsewhere', async () => {
    const { app } = buildApp();
    const options = { temperature: null, top_p: null, num_predict: null, stop: null, seed: null };
    const generate = await app.inject(post('/api/generate', { model: 'echo', prompt: 'hi', stream: false, options, format: null, images: null, keep_alive: null }));
    expect(generate.statusCode).toBe(200);
    expect(generate.json().response).toBe('You said: hi');
    const chat = await app.inject(post('/api/chat', { model: 'echo', messages: [{ role: 'user', content: 'hi', images: null }], stream: false, options, tools: null }));
    expect(chat.statusCode).toBe(200);
    expect(chat.json().message.content).toBe('You said: hi');
    const embed = await app.inject(post('/api/embed', { model: 'echo', input: 'hi', options, truncate: null }));
    expect(embed.statusCode).toBe(200);
    expect((await app.inject(post('/api/embeddings', { model: 'echo', prompt: 'hi', options }))).statusCode).toBe(200);
  });

  it('loads on an empty prompt and unloads with keep_alive 0', async () => {
    const { app, stats } = buildApp();
    expect((await app.inject(post('/api/generate', { model: 'echo' }))).json()).toMatchObject({ done_reason: 'load', response: '' });
    expect(stats.loaded.has('echo')).toBe(true);
    expect((await app.inject(post('/api/generate', { model: 'echo', keep_alive: 0 }))).json()).toMatchObject({ done_reason: 'unload' });
    expect(stats.loaded.has('echo')).toBe(false);
  });

  it('refuses Go templates with a clear 400', async () => {
    const { app } = buildApp();
    const response = await app.inject(post('/api/generate', { model: 'echo', prompt: 'x', template: '{{ .Prompt }}' }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/Go templates/);
  });
});

describe('embeddings', () => {
  it('embeds with /api/embed and the legacy /api/embeddings', async () => {
    const { app } = buildApp();
    const embed = (await app.inject(post('/api/embed', { model: 'echo', input: ['a', 'b'] }))).json();
    expect(embed.embeddings).toHaveLength(2);
    expect(embed.embeddings[0]).toHaveLength(8);
    expect(embed.prompt_eval_count).toBe(2);
    expect(embed.total_duration).toBeGreaterThan(0);
    const legacy = (await app.inject(post('/api/embeddings', { model: 'echo', prompt: 'a' }))).json();
    expect(legacy.embedding).toEqual(embed.embeddings[0]);
  });
});

describe('model listings', () => {
  it('lists tags with real size, sha256 digest and details', async () => {
    const { app } = buildApp();
    const tags = (await app.inject({ method: 'GET', url: '/api/tags' })).json();
    const digest = createHash('sha256').update('pretend these are weights').digest('hex');
    expect(tags.models.map((model: { name: string }) => model.name)).toEqual(['echo:latest', 'story:latest', 'tools:latest', 'tagged:7b']);
    expect(Object.keys(tags.models[0]).sort()).toEqual(['details', 'digest', 'model', 'modified_at', 'name', 'size']);
    expect(tags.models[0]).toMatchObject({
      model: 'echo:latest',
      size: 25,
      digest,
      modified_at: expect.any(String),
      details: { format: 'fake', family: 'fake', parameter_size: '1.00K', quantization_level: 'F32' },
    });
  });

  it('shows a model and lists loaded models with their expiry', async () => {
    const { app } = buildApp();
    const show = (await app.inject(post('/api/show', { model: 'tagged:7b' }))).json();
    expect(show).toMatchObject({ details: { family: 'fake' }, capabilities: ['completion', 'tools', 'embedding'], model_info: { 'fake.context_length': 512 } });
    expect(show.modelfile).toContain(`FROM ${weights}`);
    expect((await app.inject({ method: 'GET', url: '/api/ps' })).json().models).toEqual([]);
    await app.inject(post('/api/generate', { model: 'echo', keep_alive: '10m' }));
    const ps = (await app.inject({ method: 'GET', url: '/api/ps' })).json();
    expect(ps.models).toHaveLength(1);
    expect(ps.models[0]).toMatchObject({ name: 'echo:latest', size: 25, size_vram: 0 });
    const expires = new Date(ps.models[0].expires_at).getTime();
    expect(expires).toBeGreaterThan(Date.now() + 9 * 60_000);
  });
});

describe('management and auth', () => {
  it('pull succeeds for configured models and explains otherwise; push is a clear 501', async () => {
    const { app } = buildApp();
    expect(lines((await app.inject(post('/api/pull', { model: 'echo:latest' }))).body)).toEqual([{ status: 'success' }]);
    const unknown = await app.inject(post('/api/pull', { model: 'llama3' }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/never downloads models/);
    const push = await app.inject(post('/api/push', { model: 'echo' }));
    expect(push.statusCode).toBe(501);
    expect(push.json().error).toMatch(/models\.yaml/);
    expect((await app.inject({ method: 'DELETE', url: '/api/delete', payload: { model: 'echo' } })).statusCode).toBe(501);
  });

  it('answers unknown /api routes with 404 {error}', async () => {
    const { app } = buildApp();
    const missing = await app.inject({ method: 'GET', url: '/api/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatch(/unknown endpoint/);
  });
});

describe('bodies without a JSON content type', () => {
  it('parses a form-urlencoded body as JSON, as `curl -d` sends it', async () => {
    const { app } = buildApp();
    const response = await app.inject({
      method: 'POST',
      url: '/api/generate',
      payload: JSON.stringify({ model: 'echo', prompt: 'abc', raw: true, stream: false }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.json()).toMatchObject({ response: ' and then abc', done: true });
    const bad = await app.inject({ method: 'POST', url: '/api/generate', payload: '{nope', headers: { 'content-type': 'text/plain' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/not valid JSON/);
  });
});

describe('load failures', () => {
  it('answers 422 for a permanent failure (unsupported architecture, missing file) and 503 for a transient one, streaming or not', async () => {
    const { router } = createTestRouter({
      unsupported: { fail_loads: -1, fail_code: errorCodes.unsupportedModel },
      missing: { fail_loads: -1, fail_code: errorCodes.modelFileNotFound },
      flaky: { fail_loads: -1, fail_code: errorCodes.loadFailed },
    });
    const app = Fastify();
    void app.register(ollamaServer, { router });
    for (const stream of [true, false]) {
      for (const [model, status] of [['unsupported', 422], ['missing', 422], ['flaky', 503]] as const) {
        const response = await app.inject(post('/api/chat', { model, stream, messages: [{ role: 'user', content: 'hi' }] }));
        expect(response.statusCode, `${model} stream ${stream}`).toBe(status);
        expect(response.json().error).toMatch(/fake load failure/);
      }
    }
    await router.close();
  });
});
