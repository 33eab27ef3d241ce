import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseProviderConfig } from '@heylook/core';
import { testModelEntry } from '@heylook/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import openAICompatibleProvider from '../src/index.js';
import { postJson, startFront, startUpstream, type Front, type Upstream } from './helpers.js';

// A real heylook upstream that wants a key, plus two bare HTTP servers that misbehave the way
// overloaded or hung upstreams do: one answers 429 with Retry-After, one never answers.
let upstream: Upstream;
let front: Front;
const servers: Server[] = [];
let limitedHits = 0;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let limited: string;
let hung: string;
let dead: string;

beforeAll(async () => {
  upstream = await startUpstream(0, ['--api-key', 'sekrit']);
  limited = await listen((request, response) => {
    if (request.method === 'GET') return void response.end('{}');
    limitedHits++;
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    response.end(JSON.stringify({ error: { message: 'rate limit reached', type: 'rate_limit_error' } }));
  });
  hung = await listen((request, response) => {
    if (request.method === 'GET') response.end('{}');
    // POSTs get no answer at all.
  });
  dead = `http://127.0.0.1:${await freePort()}`;
  process.env.HEYLOOK_TEST_UPSTREAM_KEY = 'sekrit';
  front = await startFront({
    keyed: { base_url: upstream.url, model: 'stories', api_key_env: 'HEYLOOK_TEST_UPSTREAM_KEY' },
    keyless: { base_url: upstream.url, model: 'stories' },
    limited: { base_url: limited, model: 'stories' },
    'limited-or-real': { base_urls: [limited, upstream.url], model: 'stories', api_key: 'sekrit' },
    hung: { base_url: hung, model: 'stories', timeout: 0.5 },
  });
});
afterAll(async () => {
  await front?.close();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await upstream?.kill();
});

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 6, temperature: 0 });

describe('upstream failures seen by clients', () => {
  it('sends the api key; a missing or wrong key is a 422 pointing at the config (permanent, not retried), not a 401 for the client', async () => {
    expect((await postJson(`${front.url}/v1/chat/completions`, chat('keyed'))).status).toBe(200);
    const keyless = await postJson(`${front.url}/v1/chat/completions`, chat('keyless'));
    expect(keyless.status).toBe(422);
    expect(keyless.body.error).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('api_key') });
  });

  it('keeps the upstream Retry-After on both APIs: a 429 on OpenAI\'s, a 503 (busy, as Ollama says it) on Ollama\'s', async () => {
    const openai = await postJson(`${front.url}/v1/chat/completions`, chat('limited'));
    expect(openai.status).toBe(429);
    expect(openai.headers.get('retry-after')).toBe('7');
    expect(openai.body.error.message).toContain('rate limit reached');
    const ollama = await postJson(`${front.url}/api/chat`, { ...chat('limited'), stream: false });
    expect(ollama.status).toBe(503);
    expect(ollama.headers.get('retry-after')).toBe('7');
  });

  it('sends a request a replica refused with 429 to another replica', async () => {
    const before = limitedHits;
    const results = await Promise.all(Array.from({ length: 6 }, () => postJson(`${front.url}/v1/chat/completions`, chat('limited-or-real'))));
    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(limitedHits).toBeGreaterThan(before);
  });

  it('gives up on an upstream that does not answer within timeout, with a 503 naming it', async () => {
    const response = await postJson(`${front.url}/v1/chat/completions`, chat('hung'));
    expect(response.status).toBe(503);
    expect(response.body.error.message).toContain(`Upstream ${hung}/v1 did not answer within 0.5s`);
  });

  it('reports readiness per model: ready while one upstream answers, with the others named', async () => {
    const parse = (config: Record<string, unknown>) => parseProviderConfig(openAICompatibleProvider, testModelEntry('openai-compatible', config)).config;
    expect(await openAICompatibleProvider.check()).toMatchObject({ ready: true });
    const some = await openAICompatibleProvider.check(parse({ base_urls: [upstream.url, dead], model: 'stories' }));
    expect(some.ready).toBe(true);
    expect(some.message).toMatch(new RegExp(`^1/2 upstreams answer; ${dead}/v1: .*ECONNREFUSED`));
    const none = await openAICompatibleProvider.check(parse({ base_url: dead, model: 'stories' }));
    expect(none).toMatchObject({ ready: false, problem: expect.stringContaining(`${dead}/v1`), fix: expect.any(String) });
  });
});
