// What the remote hop costs and what replicas buy: two `heylook serve` upstreams with
// stories260K on 127.0.0.1, and a heylook in this process fronting them. Prints time to first
// token and request throughput direct vs. through the front (one replica, two replicas).
// Run after `pnpm build`, from this package: HEYLOOK_FIXTURES=... node bench/remote-bench.mjs
// On a machine whose cores are shared the numbers are noisy; compare them within one run.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '@heylook/cli';
import { ModelRouter, ProviderRegistry } from '@heylook/core';
import { fixturesDir, testModelEntry } from '@heylook/core/testing';
import provider from '../dist/index.js';

const require = createRequire(import.meta.url);
const cliBin = path.join(path.dirname(require.resolve('@heylook/cli/package.json')), 'dist', 'bin.js');
const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

async function startUpstream() {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-bench-'));
  const model = JSON.stringify(path.join(fixturesDir, 'stories260K.gguf'));
  await writeFile(
    path.join(dir, 'models.yaml'),
    `default_model: stories\nmodels:\n  - id: stories\n    provider: gguf\n    config:\n      model_path: ${model}\n      n_ctx: 512\n      n_threads: 1\n      parallel: 4\n      stop_on_bos: false\n`,
  );
  const child = spawn(process.execPath, [cliBin, 'serve', '--config', 'models.yaml', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'], {
    cwd: dir,
    env: { ...process.env, HOME: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /heylook is listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(output)));
  });
}

/** One streaming completion: ms to the first text chunk and in total. */
async function stream(url, model, maxTokens) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'Once upon a time', max_tokens: maxTokens, temperature: 0.8, seed: 1, stream: true }),
  });
  let first;
  let body = '';
  for await (const chunk of response.body) {
    body += new TextDecoder().decode(chunk);
    if (first === undefined && body.includes('"text":"')) first = performance.now() - started;
  }
  if (!body.includes('[DONE]')) throw new Error(`stream failed: ${body.slice(-300)}`);
  return { first, total: performance.now() - started };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const upstreams = await Promise.all([startUpstream(), startUpstream()]);
const registry = new ProviderRegistry();
registry.register(provider);
const router = new ModelRouter({
  registry,
  models: [
    testModelEntry('openai-compatible', { base_url: upstreams[0], model: 'stories', max_parallel: 4 }, { id: 'one' }),
    testModelEntry('openai-compatible', { base_urls: upstreams, model: 'stories', max_parallel: 4 }, { id: 'two' }),
  ],
});
const app = await createServer({ router });
const front = await app.listen({ host: '127.0.0.1', port: 0 });
const targets = [
  { name: 'direct to upstream A', url: upstreams[0], model: 'stories' },
  { name: 'front, 1 replica', url: front, model: 'one' },
  { name: 'front, 2 replicas', url: front, model: 'two' },
];
for (const target of targets) for (let i = 0; i < 3; i++) await stream(target.url, target.model, 8);

console.log('time to first token and total, 20 sequential streams of 32 tokens (median):');
for (const target of targets) {
  const runs = [];
  for (let i = 0; i < 20; i++) runs.push(await stream(target.url, target.model, 32));
  console.log(`  ${target.name.padEnd(22)} first ${median(runs.map((run) => run.first)).toFixed(1)} ms, total ${median(runs.map((run) => run.total)).toFixed(1)} ms`);
}

const concurrency = 8;
const requests = 32;
console.log(`throughput, ${requests} streams of 128 tokens, ${concurrency} at a time:`);
for (const target of targets) {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) await stream(target.url, target.model, 128);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${target.name.padEnd(22)} ${(requests / seconds).toFixed(1)} requests/s, ${((requests * 128) / seconds).toFixed(0)} tokens/s`);
}

await app.close();
await router.close();
process.exit(0);
