import { describe, expect, it } from 'vitest';
import { ChatOutputParser, type ChatOutputParserOptions } from './chat-output-parser.js';

function run(options: ChatOutputParserOptions, chunks: string[]) {
  const parser = new ChatOutputParser({ ...options, newId: (index) => `call${index}` });
  const parts = [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.flush()];
  return {
    reasoning: parts.map((part) => (part.type === 'reasoning-delta' ? part.text : '')).join(''),
    text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''),
    calls: parts.filter((part) => part.type === 'tool-call'),
    count: parser.toolCallCount,
  };
}

describe('ChatOutputParser', () => {
  // A Qwen3 answer that thinks, then calls a tool, as its template teaches it.
  const qwen3 = '<think>\nThe user wants the weather; I call get_weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

  it('splits reasoning off, then parses the tool call, at every chunk boundary', () => {
    const expected = {
      reasoning: 'The user wants the weather; I call get_weather.',
      text: '',
      calls: [{ type: 'tool-call', index: 0, id: 'call0', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      count: 1,
    };
    for (let cut = 0; cut <= qwen3.length; cut++) expect(run({ reasoning: {}, toolCalls: 'hermes' }, [qwen3.slice(0, cut), qwen3.slice(cut)])).toEqual(expected);
  });

  it('leaves <tool_call> text alone when no tools were offered, and <think> alone without reasoning', () => {
    expect(run({ reasoning: {} }, [qwen3])).toMatchObject({ text: qwen3.slice(qwen3.indexOf('<tool_call>')), count: 0 });
    expect(run({}, ['<think>x</think>y'])).toEqual({ reasoning: '', text: '<think>x</think>y', calls: [], count: 0 });
  });
});
