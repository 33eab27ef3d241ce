import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled } from '@openai/agents';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeylook, type HeylookServer } from './heylook-server.js';
import { sseEvents, startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const require = createRequire(import.meta.url);
const binOf = (pkg: string, bin: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);

let heylook: HeylookServer;
let proxy: RecordingProxy;
beforeAll(async () => {
  heylook = await startHeylook();
  proxy = await startRecordingProxy(heylook.url);
});
afterAll(async () => {
  await proxy?.close();
  await heylook?.stop();
});

/** Runs a client to its end, offline: no telemetry, no updates, a private HOME. */
async function runClient(command: string, args: string[], env: Record<string, string>) {
  const home = await mkdtemp(path.join(tmpdir(), 'heylook-agent-home-'));
  const started = performance.now();
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number; home: string }>((resolve) => {
    const child = spawn(command, args, {
      cwd: home,
      env: { PATH: process.env.PATH, HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started, home }));
  });
}

function report(client: string, ms: number, exchanges: RecordingProxy['exchanges']) {
  const requests = exchanges.map((exchange) => `${exchange.method} ${exchange.url} → ${exchange.status} (${Math.round(exchange.ms)} ms, ${exchange.requestBody.length} B sent)`);
  console.log(`${client}: turn in ${(ms / 1000).toFixed(1)} s\n  ${requests.join('\n  ')}`);
}

describe('agent clients run a turn against heylook', () => {
  it('Claude Code (`claude -p`) over the Anthropic Messages API', async () => {
    const first = proxy.exchanges.length;
    const result = await runClient(binOf('@anthropic-ai/claude-code', 'bin/claude.exe'), ['-p', 'Tell me a story about Lily.'], {
      ANTHROPIC_BASE_URL: proxy.url,
      ANTHROPIC_AUTH_TOKEN: 'unused',
      ANTHROPIC_MODEL: heylook.model,
      ANTHROPIC_SMALL_FAST_MODEL: heylook.model,
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    const exchanges = proxy.exchanges.slice(first);
    report('Claude Code', result.ms, exchanges);
    expect(result.code, result.stderr).toBe(0);
    const turn = exchanges.find((exchange) => exchange.method === 'POST' && exchange.url.startsWith('/v1/messages'));
    expect(turn?.status).toBe(200);
    const text = sseEvents(turn!.responseBody)
      .filter((event) => event.type === 'content_block_delta')
      .map((event) => (event.delta as { type: string; text?: string }).text ?? '')
      .join('');
    expect(text.trim().length).toBeGreaterThan(0);
    expect(result.stdout.trim()).toBe(text.trim());
  });

  it('Codex CLI (`codex exec`) over the Responses API', async () => {
    const codexHome = await mkdtemp(path.join(tmpdir(), 'heylook-codex-'));
    await mkdir(codexHome, { recursive: true });
    await writeFile(
      path.join(codexHome, 'config.toml'),
      [
        `model = "${heylook.model}"`,
        'model_provider = "heylook"',
        'check_for_update_on_startup = false',
        '[analytics]',
        'enabled = false',
        '[model_providers.heylook]',
        'name = "heylook"',
        `base_url = "${proxy.url}/v1"`,
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
    const first = proxy.exchanges.length;
    const result = await runClient(binOf('@openai/codex', 'bin/codex.js'), ['exec', '--skip-git-repo-check', 'Tell me a story about Lily.'], {
      CODEX_HOME: codexHome,
    });
    const exchanges = proxy.exchanges.slice(first);
    report('Codex CLI', result.ms, exchanges);
    expect(result.code, result.stderr).toBe(0);
    const turn = exchanges.find((exchange) => exchange.method === 'POST' && exchange.url === '/v1/responses');
    expect(turn?.status).toBe(200);
    const events = sseEvents(turn!.responseBody);
    expect(events.every((event) => typeof event.sequence_number === 'number')).toBe(true);
    const text = events
      .filter((event) => event.type === 'response.output_text.delta')
      .map((event) => event.delta as string)
      .join('');
    expect(text.trim().length).toBeGreaterThan(0);
    expect(result.stdout).toContain(text.trim());
  });

  it('the OpenAI Agents SDK (JS) with a custom client', async () => {
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused' }));
    setOpenAIAPI('responses');
    setTracingDisabled(true);
    const agent = new Agent({ name: 'storyteller', instructions: 'You tell short stories.', model: heylook.model, modelSettings: { maxTokens: 40 } });
    const first = proxy.exchanges.length;
    const started = performance.now();
    const result = await run(agent, 'Tell me a story about Lily.');
    const exchanges = proxy.exchanges.slice(first);
    report('Agents SDK', performance.now() - started, exchanges);
    const turn = exchanges.find((exchange) => exchange.method === 'POST' && exchange.url === '/v1/responses');
    expect(turn?.status).toBe(200);
    const body = JSON.parse(turn!.responseBody) as { output: { type: string; content?: { type: string; text: string }[] }[] };
    const text = body.output.flatMap((item) => item.content ?? []).map((part) => part.text).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(result.finalOutput).toBe(text);
  });
});
