import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ModelRouter } from '@heylook/core';
import type { GgufModel } from '@heylook/provider-gguf';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, startServe, storiesPath, type RunningCli } from '../cli-helpers.js';
import { createRealApp, storiesEntry } from './real-app.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function realApp(options: Parameters<typeof createRealApp>[0]): Promise<{ app: FastifyInstance; router: ModelRouter; fakeStats: Awaited<ReturnType<typeof createRealApp>>['fakeStats'] }> {
  const built = await createRealApp(options);
  cleanups.push(async () => {
    await built.app.close();
    await built.router.close();
  });
  return built;
}

const chat = (model: string, content = 'Tell me a story', extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content }],
  max_tokens: 8,
  temperature: 0,
  ...extra,
});

/** Polls `check` every 20 ms for up to `ms`; fault tests wait on state, never on fixed sleeps. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The loaded gguf model behind `id` (holding a lease only while looking). */
async function busySequences(router: ModelRouter, id: string): Promise<number> {
  const lease = await router.acquire(id);
  try {
    return (lease.provider as unknown as GgufModel).busySequences;
  } finally {
    lease.release();
  }
}

describe('client disconnects', () => {
  it('a client that drops a stream mid-way frees its sequence; the single slot serves the next request', async () => {
    const { app, router } = await realApp({ models: [storiesEntry('stories', { parallel: 1 })] });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const response = await fetch(`${address}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('stories', 'Tell me a story', { max_tokens: 200, stream: true })),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect(router.list().find((model) => model.id === 'stories')!.activeRequests).toBe(1);
    controller.abort();
    await eventually(() => router.list().find((model) => model.id === 'stories')!.activeRequests === 0);
    expect(await busySequences(router, 'stories')).toBe(0);
    // With one sequence, a leaked one would make this wait for ever (the test would time out).
    const next = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat('stories') });
    expect(next.statusCode).toBe(200);
    expect(next.json().usage.completion_tokens).toBe(8);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/heylook_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\} 2/);
  });
});

describe('model files that change between loads', () => {
  it('a deleted, then corrupted, then truncated model file gives a clean 503 each time, and the model comes back when the file does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-faults-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'model.gguf');
    await copyFile(storiesPath, file);
    const { app, router } = await realApp({ models: [storiesEntry('volatile', { model_path: file })] });
    const ask = (keepAlive: number | string = 0) =>
      app.inject({ method: 'POST', url: '/api/generate', payload: { model: 'volatile', prompt: 'Once upon a time', raw: true, stream: false, keep_alive: keepAlive, options: { num_predict: 6, temperature: 0 } } });

    // keep_alive 0 unloads after each answer, so each request loads the file anew.
    const first = await ask();
    expect(first.statusCode).toBe(200);
    expect(first.json().response).toBe(', there was a little g');
    await eventually(() => router.list()[0]!.state === 'unloaded');

    const good = await readFile(file);
    await rm(file);
    const missing = await ask();
    expect(missing.statusCode).toBe(503);
    expect(missing.json().error).toMatch(/not found: .*model\.gguf/);

    await writeFile(file, Buffer.concat([Buffer.from('NOTAGGUF'), good.subarray(8)]));
    const corrupted = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat('volatile') });
    expect(corrupted.statusCode).toBe(503);
    expect(corrupted.json().error).toMatchObject({ code: 'model_load_failed', type: 'server_error' });

    await writeFile(file, good.subarray(0, Math.floor(good.length / 2)));
    const truncated = await ask();
    expect(truncated.statusCode).toBe(503);

    await writeFile(file, good);
    const back = await ask();
    expect(back.statusCode).toBe(200);
    expect(back.json().response).toBe(', there was a little g');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('heylook_model_loads_total{model="volatile",provider="gguf",result="error"} 3');
    expect(metrics).toContain('heylook_model_loads_total{model="volatile",provider="gguf",result="ok"} 2');
  });
});

describe('providers that fail', () => {
  it('a load that throws is a clean 503, is not cached, and leaves other models serving', async () => {
    const { app, fakeStats } = await realApp({ models: [storiesEntry('stories')], fakes: { flaky: { fail_loads: 1 }, dead: { fail_loads: -1 } } });
    const flaky = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat('flaky') });
    expect(flaky.statusCode).toBe(503);
    expect(flaky.json().error.code).toBe('model_load_failed');
    const again = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat('flaky', 'hello') });
    expect(again.statusCode).toBe(200);
    expect(again.json().choices[0].message.content).toBe('You said: hello');
    const dead = await app.inject({ method: 'POST', url: '/api/chat', payload: { ...chat('dead'), stream: false } });
    expect(dead.statusCode).toBe(503);
    expect(typeof dead.json().error).toBe('string');
    expect(fakeStats.loadAttempts).toBe(3);
    expect((await app.inject({ method: 'POST', url: '/api/chat', payload: { ...chat('stories'), stream: false } })).statusCode).toBe(200);
  });

  it('a provider that throws mid-stream ends that answer cleanly, and the next request gets a reloaded model', async () => {
    const { app, router, fakeStats } = await realApp({ models: [storiesEntry('stories')], fakes: { fragile: { crash_on: 'boom' } } });
    const streamed = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat('fragile', 'one boom two', { stream: true }) });
    expect(streamed.statusCode).toBe(200);
    const events = streamed.body.split('\n\n').filter((block) => block.startsWith('data: '));
    expect(events.at(-1)).toMatch(/"code":"provider_crashed"/);
    const whole = await app.inject({ method: 'POST', url: '/api/chat', payload: { ...chat('fragile', 'boom'), stream: false } });
    expect(whole.statusCode).toBe(500);
    expect(whole.json().error).toMatch(/fake crash/);
    const next = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat('fragile', 'all fine') });
    expect(next.statusCode).toBe(200);
    expect(next.json().choices[0].message.content).toBe('You said: all fine');
    // Loaded, broken, reloaded, broken, reloaded.
    expect(fakeStats.loads).toBe(3);
    expect(router.list().find((model) => model.id === 'fragile')!.state).toBe('loaded');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('heylook_model_failures_total{model="fragile",provider="fake"} 2');
    expect(metrics).toContain('heylook_model_unloads_total{model="fragile",provider="fake",reason="broken"} 2');
  });
});

describe('SIGTERM', () => {
  let cli: RunningCli | undefined;
  afterEach(async () => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });

  it('lets streams in flight on both APIs finish, then exits 0', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-sigterm-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const home = path.join(dir, 'home');
    await mkdir(home);
    await writeFile(
      path.join(dir, 'models.yaml'),
      `models:\n  - id: stories\n    provider: gguf\n    config:\n      model_path: ${storiesPath}\n      n_ctx: 256\n      n_threads: 1\n`,
    );
    cli = await startServe(['--config', 'models.yaml', '--log-level', 'warn'], { cwd: dir, env: cleanEnv(home) });
    const post = (url: string, body: unknown) =>
      fetch(`${cli!.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const streams = [
      await post('/v1/chat/completions', chat('stories', 'Tell me a story', { max_tokens: 200, stream: true })),
      await post('/api/generate', { model: 'stories', prompt: 'Once upon a time', raw: true, options: { num_predict: 200, temperature: 0 } }),
    ];
    const readers = streams.map((response) => response.body!.getReader());
    for (const reader of readers) await reader.read();
    cli.child.kill('SIGTERM');
    const bodies = await Promise.all(
      readers.map(async (reader) => {
        let body = '';
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) body += new TextDecoder().decode(chunk.value);
        return body;
      }),
    );
    expect(bodies[0]!.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(bodies[1]!.trimEnd().split('\n').at(-1)).toMatch(/"done":true/);
    expect(await cli.exit).toBe(0);
  });
});
