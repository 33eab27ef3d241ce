import { collectStream, errorCodes, type ChatMessage, type ChatRequest, type ToolDefinition } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlxProvider, type MlxModel } from '../src/index.js';
import { makeQwen3ToolsModel, qwen3XmlTemplate } from './support/qwen3-template.js';

// Constrained decoding on real MLX models: stories260K-hf (trained, no chat template) and a
// random-weight Qwen3-style model with Qwen3's template. Random weights and a story model know
// nothing of JSON, so whatever they write valid, the grammar made valid.

const ajv = new Ajv({ strict: false });

const person = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 12 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    mood: { enum: ['happy', 'sad', 'sleepy'] },
    pets: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 3 },
    tall: { type: 'boolean' },
  },
  required: ['name', 'age', 'mood', 'pets', 'tall'],
  additionalProperties: false,
} as const;

const tools: ToolDefinition[] = [
  {
    name: 'get_weather',
    description: 'The weather in a city, now.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 16 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
    },
  },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } }, required: ['zone'] } },
];

const question: ChatMessage[] = [{ role: 'user', content: 'Tell me about a person.' }];

describe('JSON output on stories260K-hf', () => {
  const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf', parallel: 4 }) as MlxModel;
  beforeAll(() => model.load(), 60_000);
  afterAll(() => model.unload());

  it('declares json schemas', () => {
    expect(model.capabilities.jsonSchema).toBe(true);
  });

  it('answers that finish with stop validate against the schema, over many seeds, decoded in batches of four', async () => {
    const validate = ajv.compile(person);
    const before = model.decodeStats();
    const seeds = Array.from({ length: 24 }, (_, index) => index + 1);
    const answers = await Promise.all(
      seeds.map(async (seed) =>
        collectStream(model.chat({ messages: question, responseFormat: { type: 'json-schema', schema: person }, temperature: 1, seed, maxTokens: 160 })),
      ),
    );
    const stopped = answers.filter((answer) => answer.finishReason === 'stop');
    for (const answer of stopped) {
      const value = JSON.parse(answer.text) as unknown;
      expect(validate(value), `${answer.text}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    // The grammar bounds every string, so nearly every answer completes.
    expect(stopped.length).toBeGreaterThanOrEqual(20);
    // Different seeds, different answers: the grammar constrains, the model still picks.
    expect(new Set(stopped.map((answer) => answer.text)).size).toBeGreaterThan(stopped.length / 2);
    const after = model.decodeStats();
    expect((after.rows - before.rows) / (after.batches - before.batches)).toBeGreaterThan(1.5);
  }, 240_000);

  it('JSON mode answers a JSON object; greedy answers repeat', async () => {
    const request: ChatRequest = { messages: question, responseFormat: { type: 'json' }, temperature: 0, maxTokens: 120 };
    const first = await collectStream(model.chat(request));
    const second = await collectStream(model.chat(request));
    expect(second.text).toBe(first.text);
    if (first.finishReason === 'stop') {
      const value = JSON.parse(first.text) as unknown;
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    } else {
      expect(first.text.startsWith('{')).toBe(true);
    }
  }, 60_000);

  it('constrains raw completions too', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const answer = await collectStream(model.complete!({ prompt: 'Once upon a time', responseFormat: { type: 'json-schema', schema }, temperature: 0, maxTokens: 40 }));
    expect(answer.finishReason).toBe('stop');
    expect(answer.text).toMatch(/^\{"ok": (true|false)\}$/);
  }, 60_000);

  it('answers a coded 400 for a schema the engine cannot enforce, and the next request still works', async () => {
    const bad = model.chat({ messages: question, responseFormat: { type: 'json-schema', schema: { type: 'nope' } }, maxTokens: 8 });
    await expect(collectStream(bad)).rejects.toMatchObject({ code: errorCodes.invalidRequest, param: 'response_format', message: expect.stringContaining('Unsupported type "nope"') });
    const good = await collectStream(model.chat({ messages: question, responseFormat: { type: 'json-schema', schema: person }, temperature: 0, maxTokens: 160 }));
    expect(ajv.validate(person, JSON.parse(good.text))).toBe(true);
  }, 60_000);

  it('leaves unconstrained requests alone while constrained ones run beside them', async () => {
    const plain = { messages: question, temperature: 0, maxTokens: 48 } satisfies ChatRequest;
    const alone = (await collectStream(model.chat(plain))).text;
    const [beside] = await Promise.all([
      collectStream(model.chat(plain)),
      collectStream(model.chat({ ...plain, responseFormat: { type: 'json-schema', schema: person }, temperature: 1, seed: 5 })),
    ]);
    expect(beside.text).toBe(alone);
  }, 60_000);
});

describe('forced tool calls on a Qwen3-style model', () => {
  let model: MlxModel;
  beforeAll(async () => {
    const dir = await makeQwen3ToolsModel();
    model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, parallel: 4 }, { id: 'qwen3-tools', baseDir: dir }) as MlxModel;
    await model.load();
  }, 120_000);
  afterAll(() => model?.unload());

  it('tool_choice "required" makes a call of one of the tools, in arguments that validate, over many seeds', async () => {
    const seeds = Array.from({ length: 16 }, (_, index) => index + 1);
    const results = await Promise.all(
      seeds.map((seed) => collectStream(model.chat({ messages: question, tools, toolChoice: 'required', temperature: 1, seed, maxTokens: 120 }))),
    );
    const called = results.filter((result) => result.finishReason === 'tool-calls');
    expect(called.length).toBeGreaterThanOrEqual(14);
    for (const result of called) {
      expect(result.toolCalls).toHaveLength(1);
      const [call] = result.toolCalls;
      const tool = tools.find((item) => item.name === call!.name);
      expect(tool, call!.name).toBeDefined();
      expect(ajv.validate(tool!.parameters!, JSON.parse(call!.arguments)), call!.arguments).toBe(true);
      expect(result.text).toBe('');
    }
    expect(new Set(called.map((result) => result.toolCalls[0]!.name)).size).toBe(2);
  }, 240_000);

  it('a named tool_choice calls that tool, greedy and sampled', async () => {
    for (const sampling of [{ temperature: 0 }, { temperature: 1, seed: 3 }]) {
      const result = await collectStream(model.chat({ messages: question, tools, toolChoice: { name: 'get_time' }, maxTokens: 80, ...sampling }));
      expect(result.finishReason).toBe('tool-calls');
      expect(result.toolCalls.map((call) => call.name)).toEqual(['get_time']);
      expect(ajv.validate(tools[1]!.parameters!, JSON.parse(result.toolCalls[0]!.arguments))).toBe(true);
    }
  }, 60_000);

  it('JSON output skips thinking unless asked (the template writes an empty think block)', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const prompt = await model.countChatTokens!({ messages: question, think: false });
    const result = await collectStream(model.chat({ messages: question, responseFormat: { type: 'json-schema', schema }, temperature: 0, maxTokens: 40 }));
    expect(result.usage.promptTokens).toBe(prompt);
    expect(result.finishReason).toBe('stop');
    expect(ajv.validate(schema, JSON.parse(result.text))).toBe(true);
    expect(result.reasoning).toBe('');
  }, 60_000);
});

describe('forced tool calls in Qwen3-Coder / Qwen3.5 XML', () => {
  let model: MlxModel;
  beforeAll(async () => {
    const dir = await makeQwen3ToolsModel(13, qwen3XmlTemplate);
    model = createTestModel(mlxProvider, { model_path: dir, stop_on_bos: false, parallel: 4 }, { id: 'qwen3-xml', baseDir: dir }) as MlxModel;
    await model.load();
  }, 120_000);
  afterAll(() => model?.unload());

  // No maxLength here: xgrammar counts an XML value's characters loosely over bytes that are not
  // UTF-8 (which random weights write and trained models don't), so a decoded value can be longer.
  const xmlTools: ToolDefinition[] = [
    {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } }, required: ['city', 'unit', 'days'] },
    },
    { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
  ];

  it('declares tools, and tool_choice "required" makes XML calls that parse into arguments that validate, over many seeds', async () => {
    expect(model.capabilities.tools).toBe(true);
    const seeds = Array.from({ length: 12 }, (_, index) => index + 1);
    const results = await Promise.all(
      seeds.map((seed) => collectStream(model.chat({ messages: question, tools: xmlTools, toolChoice: 'required', temperature: 1, seed, maxTokens: 160 }))),
    );
    const called = results.filter((result) => result.finishReason === 'tool-calls');
    expect(called.length).toBeGreaterThanOrEqual(6);
    for (const result of called) {
      const [call] = result.toolCalls;
      const tool = xmlTools.find((item) => item.name === call!.name);
      expect(tool, call!.name).toBeDefined();
      expect(ajv.validate(tool!.parameters!, JSON.parse(call!.arguments)), call!.arguments).toBe(true);
    }
  }, 240_000);
});
