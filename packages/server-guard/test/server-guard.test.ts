import { cpuShare } from '@heylook/core';
import { createTestRouter } from '@heylook/core/testing';
import anthropicServer from '@heylook/server-anthropic';
import ollamaServer from '@heylook/server-ollama';
import openaiServer from '@heylook/server-openai';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { serverGuard, serverMetrics, type ServerGuardOptions } from '../src/index.js';

/** The three APIs behind the guard, on fake models; plus a route added later in its own scope. */
async function buildApp(guard: ServerGuardOptions = {}, routerOptions: Parameters<typeof createTestRouter>[1] = {}) {
  const { router, stats } = createTestRouter(
    {
      echo: {},
      slow: { token_delay_ms: 30, reply: 'a b c d e f', max_parallel: 1 },
    },
    { maxLoadedModels: 4, ...routerOptions },
  );
  const app = Fastify();
  await app.register(serverGuard, guard);
  await app.register(serverMetrics, { router, processMetrics: false });
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(openaiServer, { router });
  await app.register(ollamaServer, { router });
  await app.register(anthropicServer, { router });
  await app.register(
    async (scope) => {
      scope.post('/later', async () => ({ ok: true }));
    },
    { prefix: '/custom' },
  );
  return { app, router, stats };
}

const chat = { model: 'echo', messages: [{ role: 'user', content: 'hi' }] };
const anthropicBody = { ...chat, max_tokens: 8 };

describe('API keys', () => {
  it('guards every API and any later route, accepts Bearer and x-api-key for each of several keys, keeps /health open', async () => {
    const { app } = await buildApp({ apiKeys: ['first', 'second'] });
    const openai = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(openai.statusCode).toBe(401);
    expect(openai.json().error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
    const ollama = await app.inject({ method: 'GET', url: '/api/tags' });
    expect(ollama.statusCode).toBe(401);
    expect(ollama.json()).toEqual({ error: expect.stringMatching(/Missing API key/) });
    const anthropic = await app.inject({ method: 'POST', url: '/v1/messages', payload: anthropicBody });
    expect(anthropic.statusCode).toBe(401);
    expect(anthropic.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.stringMatching(/Missing API key/) } });
    expect((await app.inject({ method: 'POST', url: '/custom/later', payload: {} })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { 'x-api-key': 'firs' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer first' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/tags', headers: { authorization: 'bearer second' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/messages', payload: anthropicBody, headers: { 'x-api-key': 'second' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/messages', payload: anthropicBody, headers: { authorization: 'Bearer first' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/custom/later', payload: {}, headers: { 'x-api-key': 'first' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health?x=1' })).statusCode).toBe(200);
  });

  it('never echoes a presented key', async () => {
    const { app } = await buildApp({ apiKeys: ['right'] });
    const response = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer sk-secret-value' } });
    expect(response.body).not.toContain('sk-secret-value');
  });
});

describe('Origin and CORS', () => {
  it('refuses a page from another site before any work, even a no-preflight text/plain POST', async () => {
    const { app, stats } = await buildApp();
    for (const url of ['/v1/chat/completions', '/api/chat']) {
      const response = await app.inject({
        method: 'POST',
        url,
        payload: JSON.stringify(chat),
        headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
      });
      expect(response.statusCode).toBe(403);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(stats.loadAttempts).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'null' } })).statusCode).toBe(403);
  });

  it('allows local pages and app schemes with CORS headers, on streamed answers too, and answers preflights', async () => {
    const { app } = await buildApp();
    const local = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'http://localhost:3000' } });
    expect(local.statusCode).toBe(200);
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(local.headers.vary).toMatch(/Origin/);
    const stream = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...chat, stream: true },
      headers: { origin: 'tauri://localhost' },
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/event-stream/);
    expect(stream.headers['access-control-allow-origin']).toBe('tauri://localhost');
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/chat',
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type');
  });

  it('answers preflights without a key but still needs one for the request itself', async () => {
    const { app } = await buildApp({ apiKeys: ['k'] });
    const headers = { origin: 'http://localhost:8000', 'access-control-request-method': 'POST' };
    expect((await app.inject({ method: 'OPTIONS', url: '/v1/chat/completions', headers })).statusCode).toBe(204);
    expect((await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat, headers: { origin: 'http://localhost:8000' } })).statusCode).toBe(401);
  });

  it('adds configured origins (with wildcards) to the defaults; * allows every origin', async () => {
    const { app } = await buildApp({ origins: ['https://*.example.com'] });
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://chat.example.com' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://example.org' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'http://localhost' } })).statusCode).toBe(200);
    const open = (await buildApp({ origins: ['*'] })).app;
    expect((await open.inject({ method: 'GET', url: '/api/tags', headers: { origin: 'https://anything.test' } })).statusCode).toBe(200);
  });
});

describe('Host check (DNS rebinding)', () => {
  it('refuses foreign host names when bound to loopback, in each API’s shape', async () => {
    const { app, stats } = await buildApp({ bindHost: '127.0.0.1' });
    const rebound = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat, headers: { host: 'evil.example:8080' } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json().error.code).toBe('forbidden');
    const ollama = await app.inject({ method: 'GET', url: '/api/tags', headers: { host: 'evil.example' } });
    expect(ollama.statusCode).toBe(403);
    expect(typeof ollama.json().error).toBe('string');
    expect(stats.loadAttempts).toBe(0);
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'app.localhost', 'box.local']) {
      expect((await app.inject({ method: 'GET', url: '/api/tags', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('does not check hosts when bound elsewhere, and takes extra allowed hosts', async () => {
    const lan = (await buildApp({ bindHost: '0.0.0.0' })).app;
    expect((await lan.inject({ method: 'GET', url: '/api/tags', headers: { host: 'myserver.example' } })).statusCode).toBe(200);
    const extra = (await buildApp({ bindHost: '127.0.0.1', allowedHosts: ['proxy.example'] })).app;
    expect((await extra.inject({ method: 'GET', url: '/api/tags', headers: { host: 'proxy.example:443' } })).statusCode).toBe(200);
  });
});

describe('limits', () => {
  it('answers 413 for a body over the limit before reading it, in each API’s shape', async () => {
    const { app } = await buildApp({ bodyLimit: 1000 });
    const big = { ...chat, messages: [{ role: 'user', content: 'x'.repeat(2000) }] };
    const openai = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: big });
    expect(openai.statusCode).toBe(413);
    expect(openai.json().error.code).toBe('payload_too_large');
    const ollama = await app.inject({ method: 'POST', url: '/api/chat', payload: big });
    expect(ollama.statusCode).toBe(413);
    expect(ollama.json().error).toMatch(/at most 1000 bytes/);
    expect((await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat })).statusCode).toBe(200);
  });

  it('limits messages and images (count and size) across the protocols’ image shapes', async () => {
    const { app, stats } = await buildApp({ limits: { maxMessages: 3, maxImages: 2, maxImageBytes: 300 } });
    const many = { model: 'echo', messages: Array.from({ length: 4 }, () => ({ role: 'user', content: 'hi' })) };
    const messages = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: many });
    expect(messages.statusCode).toBe(413);
    expect(messages.json().error.param).toBe('messages');
    const small = Buffer.alloc(30).toString('base64');
    const ollamaImages = { model: 'echo', messages: [{ role: 'user', content: 'hi', images: [small, small, small] }] };
    expect((await app.inject({ method: 'POST', url: '/api/chat', payload: ollamaImages })).statusCode).toBe(413);
    const huge = `data:image/png;base64,${Buffer.alloc(400).toString('base64')}`;
    const openaiImage = {
      model: 'echo',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: huge } }] }],
    };
    const sized = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: openaiImage });
    expect(sized.statusCode).toBe(413);
    expect(sized.json().error.message).toMatch(/at most 300 bytes are allowed per image/);
    const anthropicImage = { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: huge.slice(22) } }] }] };
    expect((await app.inject({ method: 'POST', url: '/v1/messages', payload: anthropicImage })).statusCode).toBe(413);
    expect(stats.loadAttempts).toBe(0);
  });
});

describe('backpressure', () => {
  it('bounds requests per model: past the bound 429 on OpenAI and 503 on Ollama, with Retry-After', async () => {
    const { app } = await buildApp({}, { maxQueuePerModel: 1 });
    const streaming = (url: string) =>
      app.inject({ method: 'POST', url, payload: { model: 'slow', stream: true, messages: [{ role: 'user', content: 'go' }] } });
    // One decoding (max_parallel 1) and one waiting fill the model; the rest are refused.
    const first = streaming('/v1/chat/completions');
    const second = streaming('/api/chat');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const openai = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'slow', messages: [{ role: 'user', content: 'go' }] } });
    expect(openai.statusCode).toBe(429);
    expect(openai.headers['retry-after']).toBe('1');
    expect(openai.json().error.type).toBe('rate_limit_error');
    const ollama = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'slow', stream: false, messages: [{ role: 'user', content: 'go' }] } });
    expect(ollama.statusCode).toBe(503);
    expect(ollama.headers['retry-after']).toBe('1');
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
    const after = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'slow', messages: [{ role: 'user', content: 'go' }] } });
    expect(after.statusCode).toBe(200);
  });
});

describe('metrics', () => {
  it('counts requests by route and status, tokens, loads and residency in Prometheus text', async () => {
    const { app } = await buildApp();
    expect((await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/chat', payload: { ...chat, stream: true } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...chat, model: 'nope' } })).statusCode).toBe(404);
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toMatch(/text\/plain/);
    const text = response.body;
    expect(text).toContain('heylook_http_requests_total{route="/v1/chat/completions",method="POST",status="200"} 1');
    expect(text).toContain('heylook_http_requests_total{route="/api/chat",method="POST",status="200"} 1');
    expect(text).toContain('heylook_http_requests_total{route="/v1/chat/completions",method="POST",status="404"} 1');
    expect(text).toContain('heylook_tokens_total{model="echo",provider="fake",kind="prompt"} 2');
    expect(text).toContain('heylook_tokens_total{model="echo",provider="fake",kind="completion"} 6');
    expect(text).toContain('heylook_generations_total{model="echo",provider="fake",outcome="finished"} 2');
    expect(text).toContain('heylook_model_loads_total{model="echo",provider="fake",result="ok"} 1');
    expect(text).toContain('heylook_model_resident{model="echo",provider="fake"} 1');
    expect(text).toContain('heylook_model_resident{model="slow",provider="fake"} 0');
    expect(text).toMatch(/heylook_time_to_first_token_seconds_count\{model="echo",provider="fake"\} 2/);
    expect(text).toContain('heylook_queue_depth 0');
  });

  it("shows each CPU engine's work and the threads it was told while another engine works", async () => {
    const { app } = await buildApp();
    const share = cpuShare();
    const a = share.register('engine-a', () => {});
    const b = share.register('engine-b', () => {});
    const endA = a.begin();
    const endB = b.begin();
    try {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const threads = Math.max(1, Math.floor(share.cores / 2));
      expect(text).toContain('heylook_cpu_engine_working{engine="engine-a"} 1');
      expect(text).toContain(`heylook_cpu_engine_threads{engine="engine-b"} ${threads}`);
      endB();
      expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('heylook_cpu_engine_threads{engine="engine-a"} 0');
    } finally {
      endA();
      endB();
      a.dispose();
      b.dispose();
    }
  });
});
