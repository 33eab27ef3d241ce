import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '@heylook/cli';
import { ModelRouter, ProviderRegistry, type ModelEntry } from '@heylook/core';
import { fixturesDir, testModelEntry } from '@heylook/core/testing';
import type { FastifyInstance } from 'fastify';
import openAICompatibleProvider from '../src/index.js';
import type { OpenAICompatibleModel } from '../src/openai-compatible-model.js';

export { fixturesDir, referenceStory } from '@heylook/core/testing';

const require = createRequire(import.meta.url);
/** The heylook CLI's bin, from the workspace's built @heylook/cli. */
const cliBin = path.join(path.dirname(require.resolve('@heylook/cli/package.json')), 'dist', 'bin.js');

/**
 * The upstream's models: `stories` ends its stories (stop on BOS), `endless` never does, so a
 * request with a large max_tokens keeps the upstream busy until it is cancelled.
 */
function upstreamConfig(): string {
  const model = path.join(fixturesDir, 'stories260K.gguf');
  const common = `      model_path: ${JSON.stringify(model)}\n      n_ctx: 512\n      n_threads: 1\n`;
  return `models:\n  - id: stories\n    provider: gguf\n    config:\n${common}      parallel: 4\n  - id: endless\n    provider: gguf\n    config:\n${common}      parallel: 2\n      stop_on_bos: false\n`;
}

export interface Upstream {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL, as a crash would; resolves when the process is gone. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
// A test run that dies must not leave upstreams behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `heylook serve` on 127.0.0.1 (on `port`, or a free one) with stories260K; resolves once it listens. */
export async function startUpstream(port = 0, args: string[] = []): Promise<Upstream> {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-upstream-'));
  await writeFile(path.join(dir, 'models.yaml'), upstreamConfig());
  return startServe(dir, ['--config', 'models.yaml', '--port', String(port), ...args]);
}

/** Runs `heylook <command>` in `cwd` with a private HOME and no HEYLOOK_* settings. */
export function spawnHeylook(cwd: string, args: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('HEYLOOK_')) env[key] = value;
  Object.assign(env, { HOME: cwd, XDG_CONFIG_HOME: path.join(cwd, '.config') });
  const child = spawn(process.execPath, [cliBin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Starts `heylook serve ...args` on 127.0.0.1 in `cwd`; resolves once it listens. */
export async function startServe(cwd: string, args: string[]): Promise<Upstream> {
  const child = spawnHeylook(cwd, ['serve', '--host', '127.0.0.1', '--log-level', 'warn', ...args]);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`heylook serve did not start:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /heylook is listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, port: Number(new URL(match[1]!).port), child, output: () => output, kill });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`heylook serve exited:\n${output}`));
    });
  });
}

export interface Front {
  url: string;
  app: FastifyInstance;
  router: ModelRouter;
  /** The loaded remote model behind `id` (loads it if needed). */
  model(id: string): Promise<OpenAICompatibleModel>;
  close(): Promise<void>;
}

/** A heylook in this process whose models are remote: the same server `heylook serve` runs. */
export async function startFront(models: Record<string, Record<string, unknown>>): Promise<Front> {
  const registry = new ProviderRegistry();
  registry.register(openAICompatibleProvider as never);
  const entries: ModelEntry[] = Object.entries(models).map(([id, config]) => testModelEntry('openai-compatible', config, { id }));
  const router = new ModelRouter({ registry, models: entries, maxLoadedModels: entries.length });
  const app = await createServer({ router });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    app,
    router,
    model: async (id) => {
      const lease = await router.acquire(id);
      lease.release();
      return lease.provider as OpenAICompatibleModel;
    },
    close: async () => {
      await app.close();
      await router.close();
    },
  };
}

export async function postJson(url: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** POSTs a streaming request and returns the SSE `data:` payloads (parsed, `[DONE]` as is). */
export async function postSse(url: string, body: unknown): Promise<{ status: number; events: any[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body as object, stream: true }) });
  const text = await response.text();
  const events = text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n'))
    .filter((data) => data !== '')
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
  return { status: response.status, events };
}

/** Active requests the upstream's /health reports for a model (0 when it is not loaded). */
export async function activeRequests(upstream: { url: string }, model: string): Promise<number> {
  const health = (await (await fetch(`${upstream.url}/health`)).json()) as { models: { id: string; active_requests: number }[] };
  return health.models.find((entry) => entry.id === model)?.active_requests ?? 0;
}

export async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
