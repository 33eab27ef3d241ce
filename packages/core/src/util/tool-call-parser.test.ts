import { describe, expect, it } from 'vitest';
import { ToolCallParser, type ToolCallFormat, type ToolCallParserPart } from './tool-call-parser.js';

interface Parsed {
  text: string;
  calls: { name: string; arguments: unknown; id?: string }[];
}

function collect(parts: ToolCallParserPart[]): Parsed {
  const calls = parts.filter((part) => part.type === 'tool-call');
  calls.forEach((call, index) => expect(call.index).toBe(index));
  return {
    text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''),
    calls: calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown, id: call.id })),
  };
}

function parse(format: ToolCallFormat, chunks: string[]): Parsed {
  const parser = new ToolCallParser(format, { newId: (index) => `id${index}` });
  const parts = chunks.flatMap((chunk) => parser.push(chunk));
  parts.push(...parser.flush());
  for (const part of parts) if (part.type === 'text-delta') expect(part.text).not.toBe('');
  return collect(parts);
}

/** The same result whether the output arrives whole, in every two-piece split, or one character at a time. */
function expectEverySplit(format: ToolCallFormat, output: string, expected: Parsed): void {
  const withIds = (parsed: Parsed) => ({ ...parsed, calls: parsed.calls.map((call) => ({ id: expect.any(String), ...call })) });
  expect(parse(format, [output])).toEqual(withIds(expected));
  for (let cut = 1; cut < output.length; cut++) expect(parse(format, [output.slice(0, cut), output.slice(cut)])).toEqual(withIds(expected));
  expect(parse(format, [...output])).toEqual(withIds(expected));
}

const weather = { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } };
const time = { name: 'get_time', arguments: { zone: 'Europe/Paris' } };

describe('ToolCallParser hermes (Qwen 2.5 / Qwen3 / Hermes templates)', () => {
  // The templates show the model `<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>`.
  it('parses one call after text', () => {
    expectEverySplit('hermes', 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>', {
      text: 'Let me check.',
      calls: [weather],
    });
  });

  it('parses parallel calls and drops the newlines between them', () => {
    const output =
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "Europe/Paris"}}\n</tool_call>';
    expectEverySplit('hermes', output, { text: '', calls: [weather, time] });
  });

  it('accepts arguments given as JSON text and a block cut off by the end of generation', () => {
    expectEverySplit('hermes', '<tool_call>\n{"name": "get_time", "arguments": "{\\"zone\\": \\"Europe/Paris\\"}"}', { text: '', calls: [time] });
  });

  it('passes text through, a lone "<" and text about tags included', () => {
    expectEverySplit('hermes', 'if a < b then <tool> is fine, </tool_call> too', { text: 'if a < b then <tool> is fine, </tool_call> too', calls: [] });
  });

  it('keeps a block that is not a call as text', () => {
    expectEverySplit('hermes', 'x <tool_call>{"city": "Paris"}</tool_call> y', { text: 'x <tool_call>{"city": "Paris"}</tool_call> y', calls: [] });
    expectEverySplit('hermes', '<tool_call>{"name": "get_weather", "argu', { text: '<tool_call>{"name": "get_weather", "argu', calls: [] });
    expectEverySplit('hermes', 'Hm <tool_call>', { text: 'Hm <tool_call>', calls: [] });
  });

  it('streams text before a call as it arrives', () => {
    const parser = new ToolCallParser('hermes');
    expect(parser.push('Hello wor')).toEqual([{ type: 'text-delta', text: 'Hello wor' }]);
    expect(parser.push('ld <tool_')).toEqual([{ type: 'text-delta', text: 'ld' }]);
    expect(parser.push('call>{"name": "f", "arguments": {}}</tool_call>')).toMatchObject([{ type: 'tool-call', index: 0, name: 'f', arguments: '{}' }]);
    expect(parser.callCount).toBe(1);
  });
});

describe('ToolCallParser llama3 (Llama 3.1 / 3.2 / 3.3 templates)', () => {
  // The templates ask for `{"name": function name, "parameters": dictionary of argument name and its value}`.
  it('parses a bare JSON call', () => {
    expectEverySplit('llama3', '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}', { text: '', calls: [weather] });
  });

  it('parses calls after <|python_tag|>, separated by ";"', () => {
    expectEverySplit('llama3', '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}; {"name": "get_time", "parameters": {"zone": "Europe/Paris"}}', {
      text: '',
      calls: [weather, time],
    });
  });

  it('parses a call after some text and <|python_tag|>', () => {
    expectEverySplit('llama3', 'Checking.<|python_tag|>{"name": "get_time", "parameters": {"zone": "Europe/Paris"}}', { text: 'Checking.', calls: [time] });
  });

  it('leaves a JSON answer that is not a call as text, and prose as prose', () => {
    expectEverySplit('llama3', ' {"answer": 42, "name": "x"}', { text: ' {"answer": 42, "name": "x"}', calls: [] });
    expectEverySplit('llama3', 'The weather is {"sunny"}.', { text: 'The weather is {"sunny"}.', calls: [] });
    expectEverySplit('llama3', '<|python_tag|>brave_search.call(query="x")', { text: '<|python_tag|>brave_search.call(query="x")', calls: [] });
  });

  it('shows text after the calls', () => {
    expectEverySplit('llama3', '{"name": "get_time", "parameters": {"zone": "Europe/Paris"}} Done.', { text: 'Done.', calls: [time] });
  });
});

describe('ToolCallParser mistral', () => {
  it('parses the v3 JSON list, with the ids the model gives', () => {
    const output = '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}, "id": "a1b2c3d4e"}, {"name": "get_time", "arguments": {"zone": "Europe/Paris"}}]';
    expectEverySplit('mistral', output, { text: '', calls: [{ ...weather, id: 'a1b2c3d4e' }, time] });
  });

  it('parses the v11 name[ARGS]{...} form, repeated, and [CALL_ID]', () => {
    expectEverySplit('mistral', '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris", "unit": "celsius"}[TOOL_CALLS]get_time[CALL_ID]x9y8z7w6v[ARGS]{"zone": "Europe/Paris"}', {
      text: '',
      calls: [weather, { ...time, id: 'x9y8z7w6v' }],
    });
  });

  it('passes text through before the calls and keeps a marker with no call as text', () => {
    expectEverySplit('mistral', 'Sure. [TOOL_CALLS]get_time[ARGS]{"zone": "Europe/Paris"}', { text: 'Sure.', calls: [time] });
    expectEverySplit('mistral', 'odd [TOOL_CALLS] here', { text: 'odd [TOOL_CALLS]here', calls: [] });
    expectEverySplit('mistral', 'plain [TOOL] text [', { text: 'plain [TOOL] text [', calls: [] });
    expectEverySplit('mistral', '[TOOL_CALLS]', { text: '[TOOL_CALLS]', calls: [] });
  });
});

describe('ToolCallParser qwen3-xml (Qwen3-Coder, Qwen3.5 templates)', () => {
  // The templates show the model `<tool_call>\n<function=name>\n<parameter=key>\nvalue\n</parameter>\n</function>\n</tool_call>`.
  const tools = [
    { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } } } },
    { name: 'search', parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' }, exact: { type: 'boolean' }, filters: { type: 'object' } } } },
  ];
  function xml(chunks: string[]): Parsed {
    const parser = new ToolCallParser('qwen3-xml', { newId: (index) => `id${index}`, tools });
    return collect([...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.flush()]);
  }
  const call = (name: string, args: Record<string, string>) =>
    `<tool_call>\n<function=${name}>\n${Object.entries(args).map(([key, value]) => `<parameter=${key}>\n${value}\n</parameter>\n`).join('')}</function>\n</tool_call>`;

  it('parses calls after text, whole and in every split, typing values by the tool schema', () => {
    const output = `Let me look.\n${call('get_weather', { city: 'Paris', unit: 'celsius' })}\n${call('search', { query: '42', limit: '5', exact: 'True', filters: '{"year": 2024}' })}`;
    const expected = {
      text: 'Let me look.',
      calls: [
        { ...weather, id: 'id0' },
        { name: 'search', arguments: { query: '42', limit: 5, exact: true, filters: { year: 2024 } }, id: 'id1' },
      ],
    };
    expect(xml([output])).toEqual(expected);
    for (let cut = 1; cut < output.length; cut += 7) expect(xml([output.slice(0, cut), output.slice(cut)])).toEqual(expected);
    expect(xml([...output])).toEqual(expected);
  });

  it('keeps multi-line text values whole, and takes a call without parameters', () => {
    expect(xml([call('search', { query: 'line one\nline two' })]).calls).toEqual([{ name: 'search', arguments: { query: 'line one\nline two' }, id: 'id0' }]);
    expect(xml(['<tool_call>\n<function=get_time>\n</function>\n</tool_call>']).calls).toEqual([{ name: 'get_time', arguments: {}, id: 'id0' }]);
  });

  it('shows a block that is not a call as text', () => {
    expect(xml(['<tool_call>\nnot xml\n</tool_call>'])).toEqual({ text: '<tool_call>\nnot xml\n</tool_call>', calls: [] });
    expect(xml(['<tool_call>\n<function=x>\nstray text\n</function>\n</tool_call>']).calls).toEqual([]);
  });
});
