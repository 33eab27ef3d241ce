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
    testModelEntry('mlx', { model_path: 'stories260K-hf', temperature: 0 }, { id: 'stories' }),
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
  it('OpenAI: renders the tools into the prompt mlx-lm renders', async () => {
    // mlx-lm sets enable_thinking to whether the vocabulary has <think> (a real Qwen3's does, stories260K's doesn't);
    // with no `think` in the request we leave the template its default, which is thinking on.
    const [expected] = await mlxLmPromptTokens([{ dir: toolsDir, messages, tools, enable_thinking: true }]);
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-tools', messages, tools } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ usage: { prompt_tokens: expected }, choices: [{ finish_reason: 'length' }] });
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

describe('constrained output through the servers', () => {
  const person = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 10 }, age: { type: 'integer' }, pets: { type: 'array', items: { enum: ['cat', 'dog'] }, maxItems: 2 } },
    required: ['name', 'age', 'pets'],
    additionalProperties: false,
  };
  const hasPersonShape = (value: unknown) => {
    const { name, age, pets, ...rest } = value as { name: unknown; age: unknown; pets: unknown };
    return typeof name === 'string' && name.length <= 10 && Number.isInteger(age) && Array.isArray(pets) && pets.length <= 2 && Object.keys(rest).length === 0;
  };

  // The city is bounded so that greedy decoding on random weights cannot loop inside the string.
  const boundedTools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] } } }];

  it('OpenAI: tool_choice "required" and a named tool answer tool_calls, streamed and not', async () => {
    for (const tool_choice of ['required', { type: 'function', function: { name: 'get_weather' } }]) {
      const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-tools', messages, tools: boundedTools, tool_choice, max_tokens: 100 } });
      expect(response.statusCode).toBe(200);
      const [choice] = (response.json() as { choices: { finish_reason: string; message: { content: string | null; tool_calls: { function: { name: string; arguments: string } }[] } }[] }).choices;
      expect(choice!.finish_reason).toBe('tool_calls');
      expect(choice!.message.tool_calls.map((call) => call.function.name)).toEqual(['get_weather']);
      expect(typeof (JSON.parse(choice!.message.tool_calls[0]!.function.arguments) as { city: unknown }).city).toBe('string');
    }
    const streamed = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'qwen3-tools', messages, tools: boundedTools, tool_choice: 'required', max_tokens: 100, stream: true } });
    const chunks = streamed.body.split('\n\n').filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice(6)) as { choices: { delta: { tool_calls?: { function: { name?: string } }[] }; finish_reason: string | null }[] });
    expect(chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).some((call) => call.function.name === 'get_weather')).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  }, 60_000);

  it('OpenAI: response_format json_schema and json_object on stories260K-hf and the Qwen3-style model', async () => {
    for (const model of ['stories', 'qwen3-tools']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model, messages, max_tokens: 120, response_format: { type: 'json_schema', json_schema: { name: 'person', schema: person, strict: true } } },
      });
      expect(response.statusCode).toBe(200);
      const [choice] = (response.json() as { choices: { finish_reason: string; message: { content: string } }[] }).choices;
      expect(choice!.finish_reason).toBe('stop');
      expect(hasPersonShape(JSON.parse(choice!.message.content)), choice!.message.content).toBe(true);
    }
    const object = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'stories', messages, max_tokens: 120, response_format: { type: 'json_object' } } });
    expect((object.json() as { choices: { message: { content: string } }[] }).choices[0]!.message.content.startsWith('{')).toBe(true);
  }, 60_000);

  it('Ollama: format with a schema on /api/chat and format "json" on /api/generate', async () => {
    const chat = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'qwen3-tools', messages, format: person, stream: false, options: { num_predict: 120 } } });
    expect(chat.statusCode).toBe(200);
    const { message, done_reason } = chat.json() as { message: { content: string }; done_reason: string };
    expect(done_reason).toBe('stop');
    expect(hasPersonShape(JSON.parse(message.content)), message.content).toBe(true);
    const generate = await app.inject({ method: 'POST', url: '/api/generate', payload: { model: 'stories', prompt: 'Once upon a time', format: 'json', stream: false, options: { num_predict: 120 } } });
    expect(generate.statusCode).toBe(200);
    expect((generate.json() as { response: string }).response.startsWith('{')).toBe(true);
  }, 60_000);

  it('a schema the engine cannot enforce is a 400 in each protocol, and the model keeps answering', async () => {
    const schema = { type: 'object', properties: { a: { type: 'nope' } } };
    const openai = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'stories', messages, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } },
    });
    expect(openai.statusCode, openai.body).toBe(400);
    expect(openai.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'response_format', message: expect.stringContaining('nope') } });
    const ollama = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'stories', messages, format: schema, stream: true } });
    expect(ollama.statusCode).toBe(400);
    expect(ollama.json()).toMatchObject({ error: expect.stringContaining('nope') });
    const after = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'stories', messages, format: 'json', stream: false, options: { num_predict: 40 } } });
    expect(after.statusCode).toBe(200);
  }, 60_000);
});
