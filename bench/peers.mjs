// heylook against the servers its users would pick instead, on the same model files, through
// HTTP streaming: heylook's gguf provider vs llama.cpp's llama-server (and node-llama-cpp in
// process, what heylook's gguf provider runs on), heylook's mlx provider vs mlx_lm.server.
// Models: stories260K (.gguf and -hf folder) and a random-weight ~80M-parameter Llama made
// here in both layouts (MLX folder; Q8_0 GGUF of the same weights), cached outside git, with
// attention heads of 96 (rand100m) and of 64 (hd64, as most 0.5-2B models have; heylook keeps
// flash attention on for it).
// Prints medians [min–max] and ratios, and writes bench/RESULTS.md.
//
// One command, after `pnpm build`: node bench/peers.mjs [--runs=5] [--models=stories,rand100m,hd64] [--out=bench/RESULTS.md]
// It builds llama-server and llama-cpp-python (cached), installs mlx-lm (cached) and makes the
// random model (cached).
// Every server runs with its default settings except the model file (stories260K: 1 thread for
// all, as heylook picks for a model that small). llama-server runs a second time with flash
// attention off, which is heylook's default on the CPU for stories260K and rand100m, whose
// heads (8 and 96 wide) are not a multiple of 64 (its own default is on). All servers are
// up at once and measured in turns, so the machine's drift over the minutes moves them alike.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installLlamaCppPython, llamaCppPythonVersion } from './install-llama-cpp-python.mjs';
import { installMlxLm, mlxLmPath } from './install-mlx-lm.mjs';
import { randomModel } from './random-models.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')));
const runs = Number(options.runs ?? 5);
const modelNames = (options.models ?? 'stories,rand100m,hd64').split(',');
/** Tokens per request: fewer on the random model, which MLX's CPU backend runs at ~10 tokens/s in float32. */
let maxTokens = 200;
/**
 * The model's end token, banned through logit_bias on every server: each answer runs to
 * maxTokens, so an aggregate is never one stream's tail because the others happened to end
 * early (each server samples its own tokens).
 */
let endToken = 2;

// ---- peers and models (each step is cached and returns at once the second time) ----

const { buildLlamaServer, findLlamaCppSource } = await import(path.join(root, 'packages/provider-llama-server/dist/index.js'));
const llamaServer = await buildLlamaServer({ onProgress: (line) => console.error(line) });
installMlxLm();
const llamaCppPython = installLlamaCppPython();

const longPrompt = (index) => `${index}. ${'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog. '.repeat(7)}`;
const shortPrompts = ['Once upon a time', 'Lily and Tom', 'The little dog', 'One day, a big bird', 'The sun was hot', 'Tim had a red car', 'A cat sat', 'Mom said'];
const models = {
  stories: () => ({ gguf: path.join(root, 'models', 'stories260K.gguf'), folder: path.join(root, 'models', 'stories260K-hf'), threads: 1, maxTokens: 200 }),
  rand100m: async () => ({ ...(await randomModel('rand100m')), threads: undefined, maxTokens: 64 }),
  hd64: async () => ({ ...(await randomModel('hd64')), threads: undefined, maxTokens: 64 }),
};

// ---- servers ----

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const children = new Set();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** Stops a server; one that died already (a crash mid-run) is stopped too. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));
}

async function startServer(name, command, args, readyPath, env = {}) {
  const port = await freePort();
  const child = spawn(command, args(port), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  child.once('exit', () => children.delete(child));
  // The start of the log (settings) and its latest lines.
  let head = '';
  let log = '';
  child.stderr.on('data', (chunk) => {
    if (head.length < 20000) head += chunk;
    log = (log + chunk).slice(-20000);
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 480; i++) {
    try {
      if ((await fetch(base + readyPath)).ok) return { base, log: () => log, head: () => head, exit: () => child.signalCode ?? child.exitCode, stop: () => stopChild(child) };
    } catch {}
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not come up:\n${log}`);
}

/**
 * One streamed /v1/completions: time to first text, tokens (usage, else chunks), wall time.
 * A stream the server breaks off (llama-server closes the connection when text it generated
 * fails its output parser) comes back as `failed`, counted and left out of the figures.
 */
async function complete(base, model, prompt, seed) {
  const started = performance.now();
  let ttft;
  let chunks = 0;
  let usage;
  try {
    const send = () =>
      fetch(`${base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          prompt,
          max_tokens: maxTokens,
          temperature: 0.8,
          seed,
          logit_bias: { [endToken]: -100 },
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
    // A request on a kept-alive connection the server closes as it goes out fails before any
    // answer (undici's "fetch failed", now and then with llama-server): it is sent once more,
    // on a new connection. A server that is down fails again, and that is counted.
    const response = await send().catch((error) => {
      console.error(`${base}: ${error.message} (${error.cause?.code ?? error.cause?.message ?? 'no cause'}), sent again`);
      return send();
    });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
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
        if (parsed.error) throw new Error(JSON.stringify(parsed.error));
        if (parsed.usage?.completion_tokens) usage = parsed.usage.completion_tokens;
        if (parsed.choices?.[0]?.text) {
          ttft ??= performance.now() - started;
          chunks++;
        }
      }
    }
  } catch (error) {
    console.error(`${base}: ${error.message}`);
    return { failed: true };
  }
  return { ms: performance.now() - started, ttft, tokens: usage ?? chunks };
}

const stats = (values) => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};

/** CPU time used and elapsed, from /proc/stat (Linux), in clock ticks. */
function cpuTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  return { busy: fields.reduce((sum, value) => sum + value, 0) - idle, total: fields.reduce((sum, value) => sum + value, 0) };
}

/**
 * Waits until the machine is idle (under 10% busy over 200 ms, at most 5 s): a server can go on
 * working after its last byte (mlx_lm.server, llama.cpp's polling threads), and the next
 * server's run would pay for it.
 */
async function settle() {
  if (!existsSync('/proc/stat')) return new Promise((resolve) => setTimeout(resolve, 500));
  const until = performance.now() + 5000;
  while (performance.now() < until) {
    const before = cpuTicks();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = cpuTicks();
    if ((after.busy - before.busy) / Math.max(1, after.total - before.total) < 0.1) return;
  }
}

/**
 * Every server's figures, taken in turns: each round gives every server one run before any
 * gets the next, so a machine that speeds up or slows down over the minutes (this shared VM
 * moved by ±50% between runs minutes apart) moves them all alike, and the ratios hold.
 * Single stream: decode tokens/s after the first token, and TTFT of a ~200-token prompt no
 * cache holds (each round's prompt starts differently). Then aggregate tokens/s of 4 and 8
 * concurrent streams on short prompts, wall clock from first request to last byte.
 */
async function measureInTurns(servers) {
  const results = new Map(servers.map(({ name }) => [name, { single: [], ttft: [], aggregate: { 4: [], 8: [] }, failures: 0 }]));
  for (const { generate } of servers) await generate('Warm up', 0);
  for (let run = 0; run < runs; run++) {
    const prompt = longPrompt(run + (Date.now() % 1000));
    for (const { name, generate } of servers) {
      await settle();
      const result = await generate(prompt, run + 1);
      const figures = results.get(name);
      if (result.failed) figures.failures++;
      // A sampled answer can end at its first token (an end token at temperature 0.8): no decode rate to take.
      else if (result.ttft !== undefined && result.tokens >= 2) {
        figures.single.push((result.tokens - 1) / ((result.ms - result.ttft) / 1000));
        figures.ttft.push(result.ttft);
      }
    }
  }
  for (const streams of [4, 8]) {
    for (let run = 0; run < Math.max(3, Math.ceil(runs / 2)); run++) {
      for (const { name, generate, concurrent = true } of servers) {
        if (!concurrent) continue;
        await settle();
        const started = performance.now();
        const waves = await Promise.all(Array.from({ length: streams }, (_, i) => generate(shortPrompts[i], run * 10 + i + 1)));
        const figures = results.get(name);
        if (waves.some((result) => result.failed)) figures.failures++;
        else figures.aggregate[streams].push(waves.reduce((sum, result) => sum + result.tokens, 0) / ((performance.now() - started) / 1000));
      }
    }
  }
  return Object.fromEntries(
    [...results].map(([name, figures]) => [
      name,
      { single: stats(figures.single), ttft: stats(figures.ttft), aggregate: { 4: stats(figures.aggregate[4]), 8: stats(figures.aggregate[8]) }, failures: figures.failures },
    ]),
  );
}

/** node-llama-cpp itself, in this process, as heylook's gguf provider sets it up: the floor of our server overhead. */
async function inProcess(gguf, threads) {
  const { getLlama, LlamaCompletion, LlamaLogLevel, TokenBias } = await import(path.join(root, 'packages/provider-gguf/node_modules/node-llama-cpp/dist/index.js'));
  const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: gguf });
  // Flash attention as provider-gguf sets it on the CPU (core's rule for the model's head width).
  const { attentionHeadWidth, cpuFlashAttention } = await import(path.join(root, 'packages/core/dist/index.js'));
  const { attention, embedding_length: embeddingLength } = model.fileInfo.architectureMetadata;
  const headWidth = attentionHeadWidth({ keyLength: attention?.key_length, embeddingLength, headCount: attention?.head_count });
  const flashAttention = llama.gpu === false ? cpuFlashAttention(headWidth) : undefined;
  const context = await model.createContext({ contextSize: 4096, sequences: 1, threads: threads ?? llama.cpuMathCores, ...(flashAttention === false ? { flashAttention: false } : {}) });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  // TokenBias.set() ignores end-of-generation tokens; its map is what reaches the sampler (as provider-gguf's toTokenBias).
  const endTokenBan = new TokenBias(model.tokenizer);
  endTokenBan._biases.set(endToken, -Infinity);
  const generate = async (prompt, seed) => {
    const started = performance.now();
    let ttft;
    let tokens = 0;
    await completion.generateCompletion(prompt, {
      maxTokens,
      temperature: 0.8,
      seed,
      tokenBias: endTokenBan,
      onToken: (chunk) => {
        ttft ??= performance.now() - started;
        tokens += chunk.length;
      },
    });
    return { ms: performance.now() - started, ttft, tokens };
  };
  return {
    generate,
    binding: llama.buildType === 'localBuild' ? 'built here (heylook gguf build)' : 'prebuilt',
    threads: threads ?? llama.cpuMathCores,
    async stop() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

// ---- the run ----

const tables = [];
for (const name of modelNames) {
  const model = await models[name]();
  maxTokens = model.maxTokens;
  endToken = JSON.parse(readFileSync(path.join(model.folder, 'config.json'), 'utf8')).eos_token_id;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heylook-peers-'));
  const threads = model.threads === undefined ? '' : `, n_threads: ${model.threads}`;
  writeFileSync(
    path.join(dir, 'models.yaml'),
    [
      'max_loaded_models: 3',
      'models:',
      `  - { id: m-gguf, provider: gguf, config: { model_path: ${model.gguf}, n_ctx: 4096, parallel: 8, stop_on_bos: false${threads} } }`,
      `  - { id: m-mlx, provider: mlx, config: { model_path: ${model.folder}, parallel: 8, stop_on_bos: false } }`,
      `  - { id: m-ls, provider: llama-server, config: { model_path: ${model.gguf}, n_ctx: 4096, parallel: 8, stop_on_bos: false${threads} } }`,
      '',
    ].join('\n'),
  );
  const viaHttp = (server, id) => async (prompt, seed) => {
    const result = await complete(server.base, id, prompt, seed);
    // What the server said last, to tell a crash from a refused request.
    if (result.failed) console.error(`${server.exit() === null ? 'it is still running' : `it exited (${server.exit()})`}; its log ends:\n${server.log().slice(-3000)}`);
    return result;
  };

  // All up at once (idle ones take no CPU), measured in turns.
  const local = await inProcess(model.gguf, model.threads);
  const heylook = await startServer('heylook', process.execPath, (port) => [path.join(root, 'packages/cli/dist/bin.js'), 'serve', '--config', path.join(dir, 'models.yaml'), '--port', String(port), '--log-level', 'warn'], '/health');
  const llamaArgs = (port) => ['-m', model.gguf, '-c', String(4096 * 8), '-np', '8', ...(model.threads ? ['-t', String(model.threads)] : []), '--port', String(port), '--no-webui'];
  const llamaServerDefault = await startServer('llama-server', llamaServer.llamaServerPath, llamaArgs, '/health');
  // llama-server's default is flash attention on (auto); heylook turns it off on the CPU.
  const llamaServerNoFa = await startServer('llama-server -fa off', llamaServer.llamaServerPath, (port) => [...llamaArgs(port), '-fa', 'off'], '/health');
  // Its server answers one request at a time; flash attention is off by default there.
  const pythonThreads = String(model.threads ?? os.cpus().length);
  const python = await startServer('llama-cpp-python', llamaCppPython, (port) => ['-m', 'llama_cpp.server', '--model', model.gguf, '--n_ctx', '4096', '--n_threads', pythonThreads, '--n_threads_batch', pythonThreads, '--port', String(port)], '/v1/models');
  const mlxLm = await startServer('mlx_lm.server', 'python3', (port) => ['-m', 'mlx_lm', 'server', '--model', model.folder, '--port', String(port)], '/v1/models', { PYTHONPATH: mlxLmPath });
  const rows = await measureInTurns([
    { name: 'heylook gguf', generate: viaHttp(heylook, 'm-gguf') },
    { name: 'heylook mlx', generate: viaHttp(heylook, 'm-mlx') },
    { name: 'heylook → llama-server', generate: viaHttp(heylook, 'm-ls') },
    { name: 'node-llama-cpp in process', generate: local.generate, concurrent: false },
    { name: 'llama-server', generate: viaHttp(llamaServerDefault, 'm') },
    { name: 'llama-server -fa off', generate: viaHttp(llamaServerNoFa, 'm') },
    { name: 'llama-cpp-python server', generate: viaHttp(python, 'm') },
    { name: 'mlx_lm.server', generate: viaHttp(mlxLm, model.folder) },
  ]);
  const llamaThreads = /n_threads = (\d+)/.exec(llamaServerDefault.head())?.[1] ?? '?';
  for (const server of [heylook, llamaServerDefault, llamaServerNoFa, python, mlxLm]) await server.stop();
  await local.stop();
  tables.push({ name, maxTokens, rows, threads: `heylook gguf and node-llama-cpp ${local.threads}, llama-server ${llamaThreads}`, binding: local.binding });
}

// ---- report ----

const fmt = (value, digits = 0) => (value ? `${value.median.toFixed(digits)} [${value.min.toFixed(digits)}–${value.max.toFixed(digits)}]` : '—');
const ratio = (a, b) => (a && b ? (a.median / b.median).toFixed(2) : '—');
const mlxVersion = readFileSync(path.join(mlxLmPath, '.heylook-installed'), 'utf8');
// heylook's MLX addon puts OpenBLAS under MLX's float32 products; mlx_lm keeps the wheel's reference BLAS.
const { nativeAddon } = await import(path.join(root, 'packages/provider-mlx/dist/native-binding.js'));
const blas = nativeAddon().blas();
const lines = [
  '# heylook vs its peers',
  '',
  `Written by \`node bench/peers.mjs --runs=${runs} --models=${modelNames.join(',')}\` on ${new Date().toISOString()}.`,
  `Machine: ${os.cpus()[0]?.model} × ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}.`,
  `Versions: llama.cpp ${findLlamaCppSource().tag} (llama-server built here with its default native flags; node-llama-cpp 3.21.1, binding: ${tables[0]?.binding}); llama-cpp-python ${llamaCppPythonVersion} (built here from PyPI's source, its own vendored llama.cpp, threads as llama-server), ${mlxVersion}; heylook mlx's BLAS: ${blas.library}, ${blas.threads} threads (mlx_lm: the wheel's reference BLAS).`,
  `Each figure: median [min–max], every server measured in turns (one run each per round, all servers up at once, each run started on an idle machine); single stream over ${runs} runs at temperature 0.8 after a ~200-token prompt (TTFT is that prompt's); aggregate over concurrent streams of short prompts. The end token is banned (\`logit_bias\` -100) on every server, so each answer runs to its token limit.`,
  '',
];
for (const { name, maxTokens, rows, threads } of tables) {
  lines.push(`## ${name} (${maxTokens} tokens per request; threads: ${threads})`, '', '| server | single tok/s | TTFT ms | 4 streams tok/s | 8 streams tok/s | broken streams |', '|---|---|---|---|---|---|');
  for (const [server, result] of Object.entries(rows)) {
    lines.push(`| ${server} | ${fmt(result.single)} | ${fmt(result.ttft, 1)} | ${fmt(result.aggregate[4])} | ${fmt(result.aggregate[8])} | ${result.failures} |`);
  }
  const gguf = rows['heylook gguf'];
  const server = rows['llama-server'];
  const serverNoFa = rows['llama-server -fa off'];
  const python = rows['llama-cpp-python server'];
  const local = rows['node-llama-cpp in process'];
  const mlx = rows['heylook mlx'];
  const mlxLm = rows['mlx_lm.server'];
  lines.push(
    '',
    `Ratios (heylook ÷ peer; TTFT: lower is better): gguf/llama-server single ${ratio(gguf.single, server.single)}, 4 streams ${ratio(gguf.aggregate[4], server.aggregate[4])}, 8 streams ${ratio(gguf.aggregate[8], server.aggregate[8])}, TTFT ${ratio(gguf.ttft, server.ttft)}; ` +
      `gguf/llama-server -fa off single ${ratio(gguf.single, serverNoFa.single)}, 4 streams ${ratio(gguf.aggregate[4], serverNoFa.aggregate[4])}, 8 streams ${ratio(gguf.aggregate[8], serverNoFa.aggregate[8])}, TTFT ${ratio(gguf.ttft, serverNoFa.ttft)}; ` +
      `gguf/llama-cpp-python single ${ratio(gguf.single, python.single)}, 4 streams ${ratio(gguf.aggregate[4], python.aggregate[4])}, 8 streams ${ratio(gguf.aggregate[8], python.aggregate[8])}, TTFT ${ratio(gguf.ttft, python.ttft)}; ` +
      `gguf/node-llama-cpp in process single ${ratio(gguf.single, local.single)}; ` +
      `mlx/mlx_lm.server single ${ratio(mlx.single, mlxLm.single)}, 4 streams ${ratio(mlx.aggregate[4], mlxLm.aggregate[4])}, 8 streams ${ratio(mlx.aggregate[8], mlxLm.aggregate[8])}, TTFT ${ratio(mlx.ttft, mlxLm.ttft)}.`,
    '',
  );
}
const report = lines.join('\n');
console.log(report);
writeFileSync(path.resolve(options.out ?? path.join(root, 'bench', 'RESULTS.md')), report);
process.exit(0);
