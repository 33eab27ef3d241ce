// heylook against the servers its users would pick instead, on the same model files, through
// HTTP streaming: heylook (gguf provider) vs llama.cpp's llama-server, and heylook (mlx
// provider) vs mlx_lm.server, on stories260K. Prints medians (min–max) and ratios.
// Run after `pnpm build`, with llama-server built (`heylook llama-server build`) and mlx-lm
// installed (`node bench/install-mlx-lm.mjs`): node bench/peers.mjs [runs=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMlxLm } from './install-mlx-lm.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const models = path.join(root, 'models');
const runs = Number(process.argv[2] ?? 5);
const maxTokens = 200;
const parallel = 8;
const prompts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird', 'The sun was hot', 'Tim had a red car', 'A cat sat', 'Mom said'];

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const children = [];
function start(command, args, env = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr.on('data', (chunk) => (log = (log + chunk).slice(-4000)));
  children.push(child);
  return () => log;
}
process.on('exit', () => children.forEach((child) => child.kill('SIGTERM')));

async function waitFor(url, log) {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up:\n${log()}`);
}

/** One streamed /v1/completions: time to first text, tokens (usage, else chunks), wall time. */
async function complete(base, model, prompt, seed) {
  const started = performance.now();
  const response = await fetch(`${base}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt, max_tokens: maxTokens, temperature: 0.8, seed, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok) throw new Error(`${base}: ${response.status} ${await response.text()}`);
  let ttft;
  let chunks = 0;
  let usage;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').find((line) => line.startsWith('data: '))?.slice(6);
      if (!data || data === '[DONE]') continue;
      const parsed = JSON.parse(data);
      if (parsed.usage?.completion_tokens) usage = parsed.usage.completion_tokens;
      if (parsed.choices?.[0]?.text) {
        ttft ??= performance.now() - started;
        chunks++;
      }
    }
  }
  return { ms: performance.now() - started, ttft, tokens: usage ?? chunks };
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};

/** Single-stream tokens/s and TTFT, then aggregate tokens/s at 4 and 8 concurrent streams. */
async function measure(base, model) {
  await complete(base, model, 'Warm up', 0);
  const single = [];
  const ttft = [];
  for (let run = 0; run < runs; run++) {
    const result = await complete(base, model, prompts[run % prompts.length], run + 1);
    single.push(result.tokens / ((result.ms - result.ttft) / 1000));
    ttft.push(result.ttft);
  }
  const aggregate = {};
  for (const streams of [4, 8]) {
    const rates = [];
    for (let run = 0; run < Math.max(3, Math.ceil(runs / 2)); run++) {
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: streams }, (_, i) => complete(base, model, prompts[i], run * 10 + i + 1)));
      rates.push(results.reduce((sum, result) => sum + result.tokens, 0) / ((performance.now() - started) / 1000));
    }
    aggregate[streams] = stats(rates);
  }
  return { single: stats(single), ttft: stats(ttft), aggregate };
}

// heylook: both providers in one process, as a user would run it.
const heylookPort = await freePort();
const dir = mkdtempSync(path.join(os.tmpdir(), 'heylook-peers-'));
writeFileSync(
  path.join(dir, 'models.yaml'),
  [
    'max_loaded_models: 2',
    'models:',
    '  - id: stories',
    '    provider: gguf',
    `    config: { model_path: ${path.join(models, 'stories260K.gguf')}, n_ctx: 4096, n_threads: 1, parallel: ${parallel}, stop_on_bos: false }`,
    '  - id: stories-mlx',
    '    provider: mlx',
    `    config: { model_path: ${path.join(models, 'stories260K-hf')}, parallel: ${parallel}, stop_on_bos: false }`,
    '',
  ].join('\n'),
);
const heylookLog = start(process.execPath, [path.join(root, 'packages/cli/dist/bin.js'), 'serve', '--config', path.join(dir, 'models.yaml'), '--port', String(heylookPort), '--log-level', 'warn']);
const heylook = `http://127.0.0.1:${heylookPort}`;
await waitFor(`${heylook}/health`, heylookLog);

// llama-server from the cache `heylook llama-server build` fills, same file, same threads.
const { findLlamaServerBinary } = await import(path.join(root, 'packages/provider-llama-server/dist/index.js'));
const binary = findLlamaServerBinary();
if (!binary) throw new Error('no llama-server: run `heylook llama-server build` first');
const llamaPort = await freePort();
const llamaLog = start(binary.path, ['-m', path.join(models, 'stories260K.gguf'), '-c', String(4096 * 2), '-np', String(parallel), '-t', '1', '--port', String(llamaPort), '--no-webui']);
const llama = `http://127.0.0.1:${llamaPort}`;
await waitFor(`${llama}/health`, llamaLog);

// mlx_lm.server on the same mlx-cpu wheel.
const mlxLm = installMlxLm();
const mlxPort = await freePort();
const mlxLog = start('python3', ['-m', 'mlx_lm', 'server', '--model', path.join(models, 'stories260K-hf'), '--port', String(mlxPort)], { PYTHONPATH: mlxLm });
const mlx = `http://127.0.0.1:${mlxPort}`;
await waitFor(`${mlx}/v1/models`, mlxLog);

const rows = [
  ['heylook gguf', await measure(heylook, 'stories')],
  ['llama-server', await measure(llama, 'stories')],
  ['heylook mlx', await measure(heylook, 'stories-mlx')],
  ['mlx_lm.server', await measure(mlx, path.join(models, 'stories260K-hf'))],
];
const fmt = ({ median, min, max }, digits = 0) => `${median.toFixed(digits)} [${min.toFixed(digits)}–${max.toFixed(digits)}]`;
console.log(`stories260K, ${maxTokens} tokens per request, temperature 0.8, ${runs} runs, ${os.cpus().length} cores, ${new Date().toISOString()}`);
console.log('server          single tok/s         TTFT ms          4 streams tok/s       8 streams tok/s');
for (const [name, result] of rows) {
  console.log(`${name.padEnd(15)} ${fmt(result.single).padEnd(20)} ${fmt(result.ttft, 1).padEnd(16)} ${fmt(result.aggregate[4]).padEnd(21)} ${fmt(result.aggregate[8])}`);
}
const ratio = (a, b) => (a / b).toFixed(2);
const [gguf, server, ours, theirs] = rows.map(([, result]) => result);
console.log(
  `ratios: gguf/llama-server single ${ratio(gguf.single.median, server.single.median)}, 4 streams ${ratio(gguf.aggregate[4].median, server.aggregate[4].median)}, 8 streams ${ratio(gguf.aggregate[8].median, server.aggregate[8].median)}, TTFT ${ratio(gguf.ttft.median, server.ttft.median)}`,
);
console.log(
  `        mlx/mlx_lm.server single ${ratio(ours.single.median, theirs.single.median)}, 4 streams ${ratio(ours.aggregate[4].median, theirs.aggregate[4].median)}, 8 streams ${ratio(ours.aggregate[8].median, theirs.aggregate[8].median)}, TTFT ${ratio(ours.ttft.median, theirs.ttft.median)}`,
);
process.exit(0);
