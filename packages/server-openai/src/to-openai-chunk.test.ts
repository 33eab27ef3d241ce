import { describe, expect, it } from 'vitest';
import { ChatChunkMapper, CompletionChunkMapper } from './to-openai-chunk.js';

const context = { id: 'chatcmpl-1', created: 1, model: 'm', includeUsage: true };
const usage = { promptTokens: 5, completionTokens: 2, cachedPromptTokens: 3 };

describe('ChatChunkMapper', () => {
  it('sends a role-only first chunk like OpenAI, finish_reason on the last, then a usage chunk', () => {
    const mapper = new ChatChunkMapper(context);
    const chunks = [
      ...mapper.map({ type: 'text-delta', text: 'Hel' }),
      ...mapper.map({ type: 'text-delta', text: 'lo' }),
      ...mapper.map({ type: 'finish', reason: 'length', usage }),
    ] as Record<string, any>[];
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hel' }, { content: 'lo' }, {}, undefined]);
    expect(chunks[0]).toMatchObject({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', usage: null });
    expect(chunks[3]!.choices[0].finish_reason).toBe('length');
    expect(chunks[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 3 } },
    });
  });

  it('streams tool calls as indexed deltas with id and name once', () => {
    const mapper = new ChatChunkMapper({ ...context, includeUsage: false });
    const chunks = [
      ...mapper.map({ type: 'tool-call-delta', index: 0, id: 'c0', name: 'f', argumentsDelta: '{"a":' }),
      ...mapper.map({ type: 'tool-call-delta', index: 0, id: 'c0', name: 'f', argumentsDelta: '1}' }),
      ...mapper.map({ type: 'tool-call', index: 0, id: 'c0', name: 'f', arguments: '{"a":1}' }),
      ...mapper.map({ type: 'tool-call', index: 1, id: 'c1', name: 'g', arguments: '{}' }),
      ...mapper.map({ type: 'finish', reason: 'tool-calls', usage }),
    ] as Record<string, any>[];
    expect(chunks.map((chunk) => chunk.choices[0].delta.tool_calls)).toEqual([
      undefined,
      [{ index: 0, id: 'c0', type: 'function', function: { name: 'f', arguments: '{"a":' } }],
      [{ index: 0, function: { arguments: '1}' } }],
      [{ index: 1, id: 'c1', type: 'function', function: { name: 'g', arguments: '{}' } }],
      undefined,
    ]);
    expect(chunks[0]!.choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).not.toHaveProperty('usage');
  });

  it('maps reasoning to reasoning_content and a cancelled finish to stop', () => {
    const mapper = new ChatChunkMapper({ ...context, includeUsage: false });
    const [role, thinking] = mapper.map({ type: 'reasoning-delta', text: 'hmm' }) as Record<string, any>[];
    expect(role!.choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(thinking!.choices[0].delta).toEqual({ reasoning_content: 'hmm' });
    const [finish] = mapper.map({ type: 'finish', reason: 'cancelled', usage }) as Record<string, any>[];
    expect(finish!.choices[0].finish_reason).toBe('stop');
  });

  it('numbers its choice and leaves usage to the caller when asked (n > 1)', () => {
    const mapper = new ChatChunkMapper(context, 2, false);
    const chunks = [...mapper.map({ type: 'text-delta', text: 'a' }), ...mapper.map({ type: 'finish', reason: 'stop', usage })] as Record<string, any>[];
    expect(chunks.map((chunk) => chunk.choices[0].index)).toEqual([2, 2, 2]);
    expect(mapper.usageChunk(usage)).toEqual([expect.objectContaining({ choices: [], usage: expect.objectContaining({ total_tokens: 7 }) })]);
  });
});

describe('CompletionChunkMapper', () => {
  it('maps text and finish to text_completion chunks', () => {
    const mapper = new CompletionChunkMapper({ ...context, id: 'cmpl-1', includeUsage: false });
    const chunks = [...mapper.map({ type: 'text-delta', text: 'abc' }), ...mapper.map({ type: 'finish', reason: 'stop', usage })] as Record<string, any>[];
    expect(chunks.map((chunk) => [chunk.object, chunk.choices[0].text, chunk.choices[0].finish_reason])).toEqual([
      ['text_completion', 'abc', null],
      ['text_completion', '', 'stop'],
    ]);
  });
});
