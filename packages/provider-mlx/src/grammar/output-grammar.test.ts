import path from 'node:path';
import { ChatOutputParser, type ToolCallFormat, type ToolDefinition } from '@heylook/core';
import { fixturesDir } from '@heylook/core/testing';
import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';
import { beforeAll, describe, expect, it } from 'vitest';
import { GrammarVocabulary } from './grammar-vocabulary.js';
import { afterThinking, jsonGrammarOf, toolCallGrammarOf } from './output-grammar.js';

// The grammars against the real engine and a real vocabulary (stories260K's, which has a
// token for every byte): a text matches when every byte is allowed in turn and the end token
// is allowed after the last.

const eos = 2;
let vocabulary: GrammarVocabulary;
beforeAll(async () => {
  vocabulary = await GrammarVocabulary.load(path.join(fixturesDir, 'stories260K-hf'), 512, [eos], []);
});

async function matches(format: StructuralTagFormat, text: string): Promise<boolean> {
  const constraint = await vocabulary.constraint(format, 'response_format');
  const allowed = async (token: number) => {
    const mask = await constraint.allowed();
    return ((mask[token >> 5]! >>> (token & 31)) & 1) === 1;
  };
  try {
    for (const byte of Buffer.from(text, 'utf8')) {
      const token = byte + 3; // stories260K: <0x00>… follow <unk>, <s>, </s>
      if (!(await allowed(token))) return false;
      constraint.accept(token);
    }
    return await allowed(eos);
  } finally {
    constraint.dispose();
  }
}

const tools: ToolDefinition[] = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } }, required: ['zone'] } },
];

describe('output grammars', () => {
  it('takes compact JSON of the schema and nothing else', async () => {
    const format = jsonGrammarOf({ type: 'json-schema', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } })!;
    expect(await matches(format, '{"n": 42}')).toBe(true);
    expect(await matches(format, '{"n": "42"}')).toBe(false);
    expect(await matches(format, '{"n": 42')).toBe(false);
    expect(await matches(format, '{ "n": 42 }')).toBe(false);
    expect(jsonGrammarOf({ type: 'text' })).toBeUndefined();
    expect(await matches(jsonGrammarOf({ type: 'json' })!, '{"any": [1, {"thing": null}]}')).toBe(true);
    expect(await matches(jsonGrammarOf({ type: 'json' })!, '[1]')).toBe(false);
  });

  it('never lets a raw control character into a string, bounded or not (xgrammar 0.1.27 did for maxLength)', async () => {
    const format = toolCallGrammarOf([tools[1]!], { format: 'llama3' });
    expect(await matches(format, '{"name": "get_time", "parameters": {"zone": "UTC"}}')).toBe(true);
    expect(await matches(format, '{"name": "get_time", "parameters": {"zone": "U\u0011C"}}')).toBe(false);
    expect(await matches(format, '{"name": "get_time", "parameters": {"zone": "123456789"}}')).toBe(false);
    const unbounded = toolCallGrammarOf([tools[0]!], { format: 'llama3' });
    expect(await matches(unbounded, '{"name": "get_weather", "parameters": {"city": "P\u0001"}}')).toBe(false);
  });

  // Each call as the template writes it; the same text must parse as that call.
  const written: [string, { format: ToolCallFormat; namedArguments?: boolean }, string][] = [
    ['hermes', { format: 'hermes' }, '<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>'],
    ['llama3', { format: 'llama3' }, '{"name": "get_time", "parameters": {"zone": "UTC"}}'],
    ['mistral v3', { format: 'mistral' }, '[TOOL_CALLS][{"name": "get_time", "arguments": {"zone": "UTC"}}]'],
    ['mistral v11', { format: 'mistral', namedArguments: true }, '[TOOL_CALLS]get_time[ARGS]{"zone": "UTC"}'],
    ['qwen3-xml', { format: 'qwen3-xml' }, '<tool_call>\n<function=get_time>\n<parameter=zone>\nUTC\n</parameter>\n</function>\n</tool_call>'],
  ];
  it.each(written)('forces a %s call in the syntax its output parser reads', async (_name, syntax, text) => {
    expect(await matches(toolCallGrammarOf(tools, syntax), text)).toBe(true);
    expect(await matches(toolCallGrammarOf(tools, syntax), text.replace('get_time', 'get_news'))).toBe(false);
    expect(await matches(toolCallGrammarOf(tools, syntax), 'Sure! ' + text)).toBe(false);
    const parser = new ChatOutputParser({ toolCalls: syntax.format, newId: () => 'call_1', tools });
    const parts = [...parser.push(text), ...parser.flush()];
    expect(parts).toEqual([{ type: 'tool-call', index: 0, id: 'call_1', name: 'get_time', arguments: '{"zone":"UTC"}' }]);
  });

  it('lets the model think first, or finish the think block the prompt opened, then holds it to the format', async () => {
    const body = jsonGrammarOf({ type: 'json' })!;
    const inside = afterThinking(body, { mode: 'inside', close: '</think>' });
    expect(await matches(inside, 'Let me see. {not json}</think>\n\n{"a": 1}')).toBe(true);
    expect(await matches(inside, '{"a": 1}')).toBe(false);
    const first = afterThinking(body, { mode: 'first', open: '<think>', close: '</think>' });
    expect(await matches(first, '<think>\nhm\n</think>\n\n{"a": 1}')).toBe(true);
    expect(await matches(first, '<think>hm</think>\n\n\n\n\n\n{"a": 1}')).toBe(false);
    expect(afterThinking(body, { mode: 'none' })).toBe(body);
  });

  it('answers a coded 400 naming the field for a schema it cannot enforce, and keeps working', async () => {
    await expect(vocabulary.constraint({ type: 'json_schema', json_schema: { type: 'nope' } }, 'response_format')).rejects.toMatchObject({
      code: 'HEYLOOK_INVALID_REQUEST',
      param: 'response_format',
      message: expect.stringContaining('Unsupported type "nope"'),
    });
    expect(await matches(jsonGrammarOf({ type: 'json' })!, '{}')).toBe(true);
  });
});

