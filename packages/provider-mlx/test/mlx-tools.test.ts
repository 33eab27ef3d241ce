import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { collectStream, errorCodes, type ChatMessage, type ChatRequest, type ToolDefinition } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlxProvider } from '../src/index.js';
import { chatFormatOf, chatOutputFor } from '../src/mlx-chat-format.js';
import { IncrementalDecoder, MlxTokenizer } from '../src/mlx-tokenizer.js';
import { makeQwen3ToolsModel } from './support/qwen3-template.js';

// @ts-expect-error: a plain .mjs script without types; it owns where mlx-lm is installed.
const { mlxLmPath } = (await import('../../../bench/install-mlx-lm.mjs')) as { mlxLmPath: string };
const here = path.dirname(fileURLToPath(import.meta.url));

interface Rendered {
  text: string;
  ids: number[];
}

/** Python mlx-lm's apply_chat_template on the same folder (see support/mlx-lm-chat-template.py). */
async function mlxLmRender(jobs: { dir: string; messages: object[]; tools?: object[]; enable_thinking?: boolean }[]): Promise<Rendered[]> {
  const child = promisify(execFile)('python3', [path.join(here, 'support/mlx-lm-chat-template.py')], {
    env: { ...process.env, PYTHONPATH: mlxLmPath, TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  child.child.stdin!.end(JSON.stringify(jobs));
  return JSON.parse((await child).stdout) as Rendered[];
}

const tools: ToolDefinition[] = [
  {
    name: 'get_weather',
    description: 'The weather in a city, now.',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
  },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
];
// The same tools and conversations as an OpenAI client sends them, which is what transformers' templates take.
const openAITools = tools.map(({ name, description, parameters }) => ({ type: 'function', function: { name, ...(description ? { description } : {}), parameters } }));

const question: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather in Paris?' },
];
const afterCall: ChatMessage[] = [
  ...question,
  { role: 'assistant', content: '', reasoning: 'I need the weather.', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] },
  { role: 'tool', content: '{"temperature": 21}', toolCallId: 'call_1' },
];
const afterCallOpenAI = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: '',
    reasoning_content: 'I need the weather.',
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } } }],
  },
  { role: 'tool', content: '{"temperature": 21}', tool_call_id: 'call_1' },
];

let dir: string;
let tokenizer: MlxTokenizer;
const model = () => createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, temperature: 0, max_tokens: 8 }, { id: 'qwen3-tools', baseDir: dir });
let loaded: ReturnType<typeof model>;

beforeAll(async () => {
  dir = await makeQwen3ToolsModel();
  tokenizer = await MlxTokenizer.load(dir, { bos_token_id: 1, eos_token_id: 2 });
  loaded = model();
  await loaded.load();
}, 120_000);

afterAll(async () => {
  await loaded?.unload();
});

describe('tools through the chat template', () => {
  it('renders tools, tool calls, tool results and the thinking switch to the ids mlx-lm gives', async () => {
    const cases = [
      { messages: question, openAI: question, think: true },
      { messages: question, openAI: question, think: false },
      { messages: afterCall, openAI: afterCallOpenAI, think: true },
    ];
    const theirs = await mlxLmRender(cases.map((item) => ({ dir, messages: item.openAI, tools: openAITools, enable_thinking: item.think })));
    cases.forEach((item, index) => {
      const reference = theirs[index]!;
      expect(tokenizer.chatText(item.messages, { tools, think: item.think })).toBe(reference.text);
      expect(tokenizer.chatPrompt(item.messages, { tools, think: item.think })).toEqual(reference.ids);
    });
    // What the model sees: its tool definitions as the template writes them, and the earlier call.
    expect(theirs[0]!.text).toContain('<tools>\n{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city, now.", "parameters": {"type": "object"');
    expect(theirs[1]!.text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(true);
    expect(theirs[2]!.text).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>');
  }, 120_000);

  it('declares tools from the template, and a chat with tools prompts with exactly those ids', async () => {
    expect(loaded.capabilities.tools).toBe(true);
    const request: ChatRequest = { messages: question, tools, think: false, maxTokens: 4 };
    const [reference] = await mlxLmRender([{ dir, messages: question, tools: openAITools, enable_thinking: false }]);
    expect(await loaded.countChatTokens!(request)).toBe(reference!.ids.length);
    const result = await collectStream(loaded.chat(request));
    expect(result.usage.promptTokens).toBe(reference!.ids.length);
    expect(result.finishReason).toBe('length');
  }, 60_000);

  it('leaves tools out for tool_choice "none", and answers a 400-class error for a forced call of a tool it was not given', async () => {
    const without = await loaded.countChatTokens!({ messages: question });
    expect(await loaded.countChatTokens!({ messages: question, tools, toolChoice: 'none' })).toBe(without);
    expect(() => loaded.chat({ messages: question, tools, toolChoice: { name: 'get_news' } })).toThrow(
      expect.objectContaining({ code: errorCodes.invalidRequest, param: 'tool_choice' }),
    );
  });

  it('has no tools on a model whose template has none', async () => {
    const plain = createTestModel(mlxProvider, { model_path: 'stories260K-hf' });
    await plain.load();
    try {
      expect(plain.capabilities.tools).toBe(false);
      expect(() => plain.chat({ messages: question, tools })).toThrow(expect.objectContaining({ code: errorCodes.unsupportedCapability }));
    } finally {
      await plain.unload();
    }
  });
});

describe('model output → reasoning, text and tool calls', () => {
  /** A scripted answer, tokenized and decoded token by token as generation does, through the parser the model picks for this prompt. */
  function parseOutput(output: string, prompt: string, toolsOffered = true) {
    const format = chatFormatOf(tokenizer.templateText, (text) => tokenizer.tokenId(text) !== undefined);
    const parser = chatOutputFor(format, prompt, toolsOffered ? tools : undefined);
    const decoder = new IncrementalDecoder(tokenizer, tokenizer.encode(prompt, false));
    const parts = [...tokenizer.encode(output, false).flatMap((id) => parser.push(decoder.push(id))), ...parser.flush()];
    return {
      reasoning: parts.map((part) => (part.type === 'reasoning-delta' ? part.text : '')).join(''),
      // stories260K's SentencePiece tokenizer puts a space before text encoded on its own; a generated answer has none.
      text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('').replace(/^ /, ''),
      calls: parts.flatMap((part) => (part.type === 'tool-call' ? [{ name: part.name, arguments: JSON.parse(part.arguments) as unknown, id: part.id }] : [])),
    };
  }

  it('parses a thinking Qwen3 answer with two calls', () => {
    const prompt = tokenizer.chatText(question, { tools, think: true });
    const output =
      '<think>\nThe user asks for the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "Europe/Paris"}}\n</tool_call>';
    const parsed = parseOutput(output, prompt);
    expect(parsed).toMatchObject({
      reasoning: 'The user asks for the weather.',
      text: '',
      calls: [
        { name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_time', arguments: { zone: 'Europe/Paris' } },
      ],
    });
    expect(parsed.calls[0]!.id).toMatch(/^call_\w{24}$/);
  });

  it('gives plain text when no tools were offered, and no reasoning after the empty think block of think: false', () => {
    const output = 'Sunny, 21 degrees.';
    expect(parseOutput(output, tokenizer.chatText(question, { tools, think: false }))).toEqual({ reasoning: '', text: output, calls: [] });
    const call = '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>';
    expect(parseOutput(call, tokenizer.chatText(question), false)).toEqual({ reasoning: '', text: call, calls: [] });
  });

  it('starts inside the think block when the template opened it', () => {
    const prompt = `${tokenizer.chatText(question, { tools })}<think>\n`;
    expect(parseOutput('Plan: call nothing.\n</think>\n\nHello.', prompt)).toEqual({ reasoning: 'Plan: call nothing.', text: 'Hello.', calls: [] });
  });
});
