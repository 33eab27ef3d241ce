import type { ModelRouter } from '@heylook/core';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealApp, storiesEntry } from './real-app.js';

let app: FastifyInstance;
let router: ModelRouter;
const bodyLimit = 256 * 1024;

beforeAll(async () => {
  // `tales` never stops on its own (no BOS stop), so only the length limit ends it.
  ({ app, router } = await createRealApp({ models: [storiesEntry('stories'), storiesEntry('tales', { stop_on_bos: false })], settings: { bodyLimit } }));
  // Load once up front so every case below meets a resident model.
  await router.load('stories');
}, 120_000);

afterAll(async () => {
  await app.close();
  await router.close();
});

type Api = 'openai' | 'ollama';
const apiOf = (url: string): Api => (url.startsWith('/v1') ? 'openai' : 'ollama');

/** A valid body per endpoint; each bad case breaks one thing in it. */
const valid: Record<string, Record<string, unknown>> = {
  '/v1/chat/completions': { model: 'stories', messages: [{ role: 'user', content: 'Once' }], max_tokens: 4, temperature: 0 },
  '/v1/completions': { model: 'stories', prompt: 'Once upon a time', max_tokens: 4, temperature: 0 },
  '/v1/embeddings': { model: 'stories', input: 'Once upon a time' },
  '/api/chat': { model: 'stories', messages: [{ role: 'user', content: 'Once' }], stream: false, options: { num_predict: 4, temperature: 0 } },
  '/api/generate': { model: 'stories', prompt: 'Once', stream: false, options: { num_predict: 4, temperature: 0 } },
  '/api/embed': { model: 'stories', input: 'Once upon a time' },
  '/api/embeddings': { model: 'stories', prompt: 'Once upon a time' },
  '/api/show': { model: 'stories' },
};
const endpoints = Object.keys(valid);

interface BadCase {
  name: string;
  request: InjectOptions;
  /** Exact status when it is part of the contract; otherwise any 4xx. */
  status?: number;
}

const raw = (url: string, payload: string | Buffer, contentType = 'application/json'): InjectOptions => ({
  method: 'POST',
  url,
  payload,
  headers: { 'content-type': contentType },
});
const json = (url: string, body: unknown): InjectOptions => raw(url, JSON.stringify(body));
const withBody = (url: string, change: Record<string, unknown>) => json(url, { ...valid[url], ...change });
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** An object schema nested `depth` levels deep through `properties`. */
function deepSchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let level = 0; level < depth; level++) schema = { type: 'object', properties: { a: schema }, required: ['a'] };
  return schema;
}

const genericCases = (url: string): BadCase[] => [
  { name: 'invalid JSON', request: raw(url, '{"model": "stories",') },
  { name: 'invalid UTF-8', request: raw(url, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])) },
  { name: 'text/plain garbage', request: raw(url, 'hello', 'text/plain') },
  { name: 'array body', request: raw(url, '[1,2]') },
  { name: 'string body', request: raw(url, '"stories"') },
  { name: 'null body', request: raw(url, 'null') },
  { name: 'empty object', request: json(url, {}) },
  { name: 'model of wrong type', request: withBody(url, { model: 5 }) },
  { name: 'unknown model', request: withBody(url, { model: 'no-such-model' }), status: 404 },
  { name: 'model that is a file path', request: withBody(url, { model: '../../../../etc/passwd' }), status: 404 },
  { name: 'deeply nested value', request: raw(url, `{"model":${nested(100_000)}}`) },
  { name: 'oversized body', request: withBody(url, { padding: 'x'.repeat(bodyLimit + 1) }), status: 413 },
  ...(url === '/api/show' ? [] : [{ name: 'invalid keep_alive', request: withBody(url, { keep_alive: 'forever' }) }]),
];

const specificCases: Record<string, BadCase[]> = {
  '/v1/chat/completions': [
    { name: 'empty messages', request: withBody('/v1/chat/completions', { messages: [] }) },
    { name: 'messages not an array', request: withBody('/v1/chat/completions', { messages: 'hi' }) },
    { name: 'unknown role', request: withBody('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'x' }] }) },
    { name: 'content a number', request: withBody('/v1/chat/completions', { messages: [{ role: 'user', content: 5 }] }) },
    { name: 'negative max_tokens', request: withBody('/v1/chat/completions', { max_tokens: -1 }) },
    { name: 'fractional max_tokens', request: withBody('/v1/chat/completions', { max_tokens: 1.5 }) },
    { name: 'huge temperature', request: withBody('/v1/chat/completions', { temperature: 1e308 }) },
    { name: 'temperature a string', request: withBody('/v1/chat/completions', { temperature: 'hot' }) },
    { name: 'top_p above 1', request: withBody('/v1/chat/completions', { top_p: 2 }) },
    { name: 'too many stop strings', request: withBody('/v1/chat/completions', { stop: Array.from({ length: 17 }, (_, index) => `s${index}`) }) },
    { name: 'tools not an array', request: withBody('/v1/chat/completions', { tools: 'x' }) },
    { name: 'unknown response_format', request: withBody('/v1/chat/completions', { response_format: { type: 'nonsense' } }) },
    { name: 'deeply nested JSON schema', request: withBody('/v1/chat/completions', { response_format: { type: 'json_schema', json_schema: { name: 'deep', schema: deepSchema(2_000) } } }) },
    { name: 'image that is not an image', request: withBody('/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] }) },
    { name: 'too many messages', request: withBody('/v1/chat/completions', { messages: Array.from({ length: 2049 }, () => ({ role: 'user', content: '' })) }), status: 413 },
  ],
  '/v1/completions': [
    { name: 'missing prompt', request: json('/v1/completions', { model: 'stories' }) },
    { name: 'prompt a number', request: withBody('/v1/completions', { prompt: 5 }) },
    { name: 'zero max_tokens', request: withBody('/v1/completions', { max_tokens: 0 }) },
    { name: 'prompt longer than the context', request: withBody('/v1/completions', { prompt: 'Once upon a time '.repeat(200) }) },
  ],
  '/v1/embeddings': [
    { name: 'empty input', request: withBody('/v1/embeddings', { input: [] }) },
    { name: 'input a number', request: withBody('/v1/embeddings', { input: 5 }) },
    { name: 'negative dimensions', request: withBody('/v1/embeddings', { dimensions: -3 }) },
  ],
  '/api/chat': [
    { name: 'messages not an array', request: withBody('/api/chat', { messages: 'hi' }) },
    { name: 'role a number', request: withBody('/api/chat', { messages: [{ role: 5, content: 'x' }] }) },
    { name: 'options not an object', request: withBody('/api/chat', { options: 5 }) },
    { name: 'temperature a string', request: withBody('/api/chat', { options: { temperature: 'hot' } }) },
    { name: 'format of wrong type', request: withBody('/api/chat', { format: 5 }) },
    { name: 'images not base64 images', request: withBody('/api/chat', { messages: [{ role: 'user', content: 'x', images: ['@@@not-base64'] }] }) },
  ],
  '/api/generate': [
    { name: 'prompt a number', request: withBody('/api/generate', { prompt: 5 }) },
    { name: 'num_predict a string', request: withBody('/api/generate', { options: { num_predict: 'x' } }) },
    { name: 'context not tokens', request: withBody('/api/generate', { context: 'abc' }) },
    { name: 'prompt longer than the context', request: withBody('/api/generate', { prompt: 'Once upon a time '.repeat(200), raw: true }) },
  ],
  '/api/embed': [
    { name: 'input a number', request: withBody('/api/embed', { input: 5 }) },
    { name: 'too long without truncation', request: withBody('/api/embed', { input: 'Once upon a time '.repeat(200), truncate: false }) },
  ],
  '/api/embeddings': [{ name: 'prompt a number', request: withBody('/api/embeddings', { prompt: 5 }) }],
  '/api/show': [{ name: 'model missing', request: json('/api/show', {}) }],
};

const table: [string, BadCase][] = endpoints.flatMap((url) => [...genericCases(url), ...(specificCases[url] ?? [])].map((item): [string, BadCase] => [url, item]));
const routeCases: [string, BadCase][] = [
  ['/v1/models/:id', { name: 'unknown model', request: { method: 'GET', url: '/v1/models/no-such-model' }, status: 404 }],
  ['/v1/*', { name: 'unknown endpoint', request: { method: 'GET', url: '/v1/nothing' }, status: 404 }],
  ['/api/*', { name: 'unknown endpoint', request: { method: 'POST', url: '/api/nothing', payload: {} }, status: 404 }],
  ['/v1/chat/completions', { name: 'wrong method', request: { method: 'GET', url: '/v1/chat/completions' }, status: 404 }],
];

function expectProtocolError(api: Api, status: number, body: string): void {
  const parsed = JSON.parse(body) as { error?: unknown };
  if (api === 'openai') {
    expect(parsed.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
  } else {
    expect(typeof parsed.error).toBe('string');
  }
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
}

describe('bad input on every endpoint', () => {
  it.each([...table, ...routeCases].map(([url, item]) => ({ url, name: item.name, item })))('$url: $name → 4xx in the protocol’s shape', async ({ url, item }) => {
    const response = await app.inject(item.request);
    if (item.status !== undefined) expect(response.statusCode, response.body).toBe(item.status);
    expectProtocolError(url.startsWith('/v1') ? 'openai' : apiOf(String(item.request.url)), response.statusCode, response.body);
  });

  it('keeps serving after all of it', async () => {
    const response = await app.inject(json('/v1/chat/completions', valid['/v1/chat/completions']));
    expect(response.statusCode).toBe(200);
    expect(response.json().usage.completion_tokens).toBeGreaterThan(0);
    console.log(`bad inputs tried: ${table.length + routeCases.length}`);
  });
});

describe('huge max_tokens', () => {
  it('is clamped to what the context holds, on both APIs', async () => {
    const openai = await app.inject(json('/v1/completions', { model: 'tales', prompt: 'Once upon a time', max_tokens: 1_000_000, temperature: 0 }));
    expect(openai.statusCode).toBe(200);
    const usage = openai.json().usage;
    expect(openai.json().choices[0].finish_reason).toBe('length');
    expect(usage.prompt_tokens + usage.completion_tokens).toBeLessThanOrEqual(256);
    const ollama = await app.inject(json('/api/generate', { model: 'tales', prompt: 'Once upon a time', raw: true, stream: false, options: { num_predict: Number.MAX_SAFE_INTEGER, temperature: 0 } }));
    expect(ollama.statusCode).toBe(200);
    expect(ollama.json().done_reason).toBe('length');
    expect(ollama.json().eval_count).toBeLessThanOrEqual(256);
  });
});

/** Values that are often wrong in interesting ways. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, -1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, '', 'stories', 'no-such-model', '\u0000', '\ud800', [], {}),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 3 }),
);
const fieldNames = [
  'model', 'messages', 'prompt', 'input', 'stream', 'max_tokens', 'temperature', 'top_p', 'top_k', 'stop', 'seed', 'n', 'tools',
  'tool_choice', 'response_format', 'format', 'options', 'keep_alive', 'raw', 'system', 'template', 'context', 'images', 'suffix',
  'logprobs', 'echo', 'dimensions', 'truncate', 'think',
];
const message = fc.record(
  { role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool'), oddValue), content: fc.oneof(fc.string({ maxLength: 30 }), oddValue) },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...fieldNames), oddValue, { maxKeys: 6 }),
  fc.record(
    {
      model: fc.constantFrom('stories', 'tales', 'no-such-model'),
      messages: fc.array(message, { maxLength: 3 }),
      prompt: fc.string({ maxLength: 40 }),
      input: fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
      max_tokens: fc.oneof(fc.integer({ min: -2, max: 8 }), oddValue),
      stream: fc.boolean(),
      options: fc.dictionary(fc.constantFrom('num_predict', 'temperature', 'seed', 'top_k', 'stop', 'num_ctx'), oddValue, { maxKeys: 3 }),
      temperature: fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), oddValue),
      stop: fc.oneof(fc.string({ maxLength: 4 }), oddValue),
    },
    { requiredKeys: ['model'] },
  ),
);

describe('fuzzed request bodies', () => {
  it('never get a 5xx and never hang', async () => {
    let tried = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, fc.boolean(), async (url, value, asText) => {
        tried++;
        // Small generations only: the property is about answers, not about long stories.
        const request = json(url, typeof value === 'object' && value !== null && !Array.isArray(value) && 'max_tokens' in value ? value : { ...value, max_tokens: 4 });
        if (asText) request.headers = { 'content-type': 'text/plain' };
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in 20 s to ${url} ${String(request.payload).slice(0, 300)}`)), 20_000)));
        const response = await Promise.race([app.inject(request), timeout]).finally(() => clearTimeout(timer));
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, `${url} ${String(request.payload).slice(0, 300)} → ${response.body.slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 300, seed: 20261128, endOnFailure: true },
    );
    console.log(`fuzzed bodies: ${tried}, statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect((await app.inject(json('/api/generate', valid['/api/generate']))).statusCode).toBe(200);
  }, 240_000);
});
