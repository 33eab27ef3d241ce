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

/** Token counts from a recorded answer (Anthropic message_start/message_delta, or a Responses usage). */
function usageOf(body: string): string {
  const events = body.trimStart().startsWith('{') ? [JSON.parse(body) as Record<string, unknown>] : sseEvents(body);
  const found: Record<string, unknown> = {};
  for (const event of events) {
    const usage = (event.usage ?? (event.message as { usage?: unknown } | undefined)?.usage ?? (event.response as { usage?: unknown } | undefined)?.usage) as Record<string, unknown> | undefined;
    if (usage) Object.assign(found, usage);
  }
  const input = found.input_tokens ?? '?';
  const output = found.output_tokens ?? '?';
  return `${input} in, ${output} out`;
}

function report(client: string, ms: number, exchanges: RecordingProxy['exchanges']) {
  const requests = exchanges.map(
    (exchange) =>
      `${exchange.method} ${exchange.url} → ${exchange.status} (${Math.round(exchange.ms)} ms, ${exchange.requestBody.length} B sent, tokens ${usageOf(exchange.responseBody)})`,
  );
  console.log(`${client}: turn in ${(ms / 1000).toFixed(1)} s\n  ${requests.join('\n  ')}`);
}

describe('agent clients run a turn against heylook', () => {
  const claudeEnv = (model: string) => ({
    ANTHROPIC_BASE_URL: proxy.url,
    ANTHROPIC_AUTH_TOKEN: 'unused',
    ANTHROPIC_MODEL: model,
    ANTHROPIC_SMALL_FAST_MODEL: model,
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  });
  const claude = binOf('@anthropic-ai/claude-code', 'bin/claude.exe');

  it('Claude Code (`claude -p`) over the Anthropic Messages API', async () => {
    const first = proxy.exchanges.length;
    // No tools and a one-line system prompt: the default 24 tools and system prompt are ~30k tokens here.
    const result = await runClient(claude, ['-p', '--tools', '', '--system-prompt', 'You tell short stories.', 'Tell me a story about Lily.'], claudeEnv(heylook.model));
    const exchanges = proxy.exchanges.slice(first);
    report('Claude Code', result.ms, exchanges);
    expect(result.code, result.stderr).toBe(0);
    const turn = exchanges.find((exchange) => exchange.method === 'POST' && exchange.url.startsWith('/v1/messages'));
    expect(turn?.status).toBe(200);
    const sent = JSON.parse(turn!.requestBody) as { stream?: boolean; max_tokens?: number; thinking?: unknown; messages: { role: string }[] };
    // What makes this a real Claude Code request: streamed, 32000 max_tokens, thinking, a system message mid-conversation.
    expect(sent).toMatchObject({ stream: true, max_tokens: 32000, thinking: { type: 'adaptive' } });
    expect(sent.messages.some((message) => message.role === 'system')).toBe(true);
    const text = sseEvents(turn!.responseBody)
      .filter((event) => event.type === 'content_block_delta')
      .map((event) => (event.delta as { type: string; text?: string }).text ?? '')
      .join('');
    expect(text.trim().length).toBeGreaterThan(0);
    expect(result.stdout.trim()).toBe(text.trim());
  });

  it('Claude Code with its full default prompt on a too-small context gets an invalid_request_error that says how to raise it', async () => {
    const first = proxy.exchanges.length;
    const result = await runClient(claude, ['-p', 'Tell me a story about Lily.'], claudeEnv(heylook.smallModel));
    const exchanges = proxy.exchanges.slice(first);
    report('Claude Code (small context)', result.ms, exchanges);
    const turn = exchanges.find((exchange) => exchange.method === 'POST' && exchange.url.startsWith('/v1/messages'));
    expect(turn?.status).toBe(400);
    expect(JSON.parse(turn!.responseBody)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('raise n_ctx') } });
    // Claude Code recognises Anthropic's "prompt is too long" and says so in its own words
    // (in a long session it would compact the conversation instead).
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('Prompt is too long');
  });

  it('Codex CLI (`codex exec`) over the Responses API', async () => {
    const codexHome = await mkdtemp(path.join(tmpdir(), 'heylook-codex-'));
    await mkdir(codexHome, { recursive: true });
    await writeFile(path.join(codexHome, 'instructions.md'), 'You tell short stories.\n');
    await writeFile(
      path.join(codexHome, 'config.toml'),
      [
        `model = "${heylook.model}"`,
        'model_provider = "heylook"',
        'check_for_update_on_startup = false',
        // A one-line prompt instead of Codex's ~20 KB of instructions and environment context...
        `model_instructions_file = "${path.join(codexHome, 'instructions.md')}"`,
        'include_environment_context = false',
        'include_apps_instructions = false',
        'include_collaboration_mode_instructions = false',
        'web_search = "disabled"',
        // Nor its multi-agent, goal and shell tools (~15 KB of schemas).
        '[features]',
        'multi_agent = false',
        'goals = false',
        'unified_exec = false',
        'shell_tool = false',
        // Nor the skills list (~2 KB), which names this run's temporary CODEX_HOME: a prompt
        // that changed from run to run gave greedy answers that sometimes never reached "\n".
        '[skills]',
        'include_instructions = false',
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
    const agent = new Agent({ name: 'storyteller', instructions: 'You tell short stories.', model: heylook.model, modelSettings: { maxTokens: 2000 } });
    const first = proxy.exchanges.length;
    const started = performance.now();
    const result = await run(agent, 'Tell me a story about Lily.');
    const exchanges = proxy.exchanges.slice(first);
    report('Agents SDK', performance.now() - started, exchanges);
    const turn = exchanges.find((exchange) => exchange.method === 'POST' && exchange.url === '/v1/responses');
    expect(turn?.status).toBe(200);
    expect(JSON.parse(turn!.requestBody)).toMatchObject({ instructions: 'You tell short stories.', max_output_tokens: 2000 });
    const body = JSON.parse(turn!.responseBody) as { output: { type: string; content?: { type: string; text: string }[] }[] };
    const text = body.output.flatMap((item) => item.content ?? []).map((part) => part.text).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(result.finalOutput).toBe(text);
  });
});
