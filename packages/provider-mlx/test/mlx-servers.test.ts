import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ModelRouter } from '@heylook/core';
import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import ollamaServer from '@heylook/server-ollama';
import openaiServer from '@heylook/server-openai';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlxProvider } from '../src/index.js';
import { makeQwen3ToolsModel, qwen3ThinkingTemplate } from './support/qwen3-template.js';

// @ts-expect-error: a plain .mjs script without types; it owns where mlx-lm is installed.
const { mlxLmPath } = (await import('../../../bench/install-mlx-lm.mjs')) as { mlxLmPath: string };
const here = path.dirname(fileURLToPath(import.meta.url));

/** Prompt token counts from Python mlx-lm's apply_chat_template (see support/mlx-lm-chat-template.py). */
async function mlxLmPromptTokens(jobs: { dir: string; messages: object[]; tools?: object[]; enable_thinking?: boolean }[]): Promise<number[]> {
  const child = promisify(execFile)('python3', [path.join(here, 'support/mlx-lm-chat-template.py')], {
    env: { ...process.env, PYTHONPATH: mlxLmPath, TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1' },
  });
  child.child.stdin!.end(JSON.stringify(jobs));
  return (JSON.parse((await child).stdout) as { ids: number[] }[]).map((result) => result.ids.length);
}

const tools = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];
const messages = [{ role: 'user', content: 'Weather in Paris?' }];

let app: FastifyInstance;
let router: ModelRouter;
let toolsDir: string;

beforeAll(async () => {
  toolsDir = await makeQwen3ToolsModel();
  const thinkingDir = await makeQwen3ToolsModel(12, qwen3ThinkingTemplate);
  const config = { stop_on_bos: false, temperature: 0, max_tokens: 6, parallel: 1 };
  router = createRouterWith(mlxProvider, [
    testModelEntry('mlx', { ...config, model_path: toolsDir }, { id: 'qwen3-tools', baseDir: toolsDir }),
    testModelEntry('mlx', { ...config, model_path: thinkingDir }, { id: 'qwen3-thinking', baseDir: thinkingDir }),
  ]);
  app = Fastify();
  await app.register(openaiServer, { router });
  await app.register(ollamaServer, { router });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await router?.close();
});

describe('MLX tools and reasoning through the servers', () => {
  it('OpenAI: renders the tools into the prompt mlx-lm renders, and refuses tool_choice "required" with a 400', async () => {
    // mlx-lm sets enable_thinking to whether the vocabulary has <think> (a real Qwen3's does, stories260K's doesn't);
    // with no `think` in the request we leave the template its default, which is thinking on.
    const [expected] = await mlxLmPromptTokens([{ dir: toolsDir, messages, tools, enable_thinking: true }]);
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-tools', messages, tools } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ usage: { prompt_tokens: expected }, choices: [{ finish_reason: 'length' }] });

    const forced = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-tools', messages, tools, tool_choice: 'required' } });
    expect(forced.statusCode).toBe(400);
    expect(forced.json()).toMatchObject({ error: { param: 'tool_choice', type: 'invalid_request_error' } });
  }, 60_000);

  it('think false (Ollama) and reasoning_effort "none" (OpenAI) reach the template: its empty think block is in the prompt mlx-lm renders', async () => {
    const [expected] = await mlxLmPromptTokens([{ dir: toolsDir, messages, tools, enable_thinking: false }]);
    const response = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'qwen3-tools', messages, tools, think: false, stream: false } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ prompt_eval_count: expected, done: true });
    const openai = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-tools', messages, tools, reasoning_effort: 'none' } });
    expect(openai.json()).toMatchObject({ usage: { prompt_tokens: expected } });
  }, 60_000);

  it('streams what follows a template-opened <think> as reasoning_content (OpenAI) and thinking (Ollama)', async () => {
    const openai = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-thinking', messages } });
    const message = (openai.json() as { choices: { message: { content: string | null; reasoning_content?: string } }[] }).choices[0]!.message;
    expect(message.reasoning_content?.length).toBeGreaterThan(0);
    expect(message.content ?? '').toBe('');

    const ollama = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'qwen3-thinking', messages, stream: true } });
    const lines = ollama.body.trim().split('\n').map((line) => JSON.parse(line) as { message?: { content: string; thinking?: string } });
    const thinking = lines.map((line) => line.message?.thinking ?? '').join('');
    // Same model, same greedy decoding: the same reasoning on both APIs.
    expect(thinking).toBe(message.reasoning_content);
    expect(lines.map((line) => line.message?.content ?? '').join('')).toBe('');
  }, 60_000);
});
