import type { StreamPart } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { ChatStreamMapper, CompletionStreamMapper } from './stream-mappers.js';

const delta = (d: object, extra: object = {}) => ({ choices: [{ index: 0, delta: d, finish_reason: null, ...extra }] });

describe('ChatStreamMapper', () => {
  it('maps text, reasoning, usage with cached tokens and timings; finishes once', () => {
    const mapper = new ChatStreamMapper(undefined);
    const parts: StreamPart[] = [
      ...mapper.push(delta({ role: 'assistant', content: null })),
      ...mapper.push(delta({ reasoning_content: 'hm' })),
      ...mapper.push(delta({ content: 'Hi' })),
      ...mapper.push({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
    ];
    expect(mapper.done).toBe(false);
    parts.push(
      ...mapper.push({
        choices: [],
        usage: { prompt_tokens: 7, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 5 } },
        timings: { prompt_ms: 1.5, predicted_ms: 3 },
      }),
    );
    expect(parts).toEqual([
      { type: 'reasoning-delta', text: 'hm' },
      { type: 'text-delta', text: 'Hi' },
      { type: 'finish', reason: 'stop', usage: { promptTokens: 7, completionTokens: 2, cachedPromptTokens: 5, timings: { promptMs: 1.5, generationMs: 3 } } },
    ]);
    expect(mapper.done).toBe(true);
    expect(mapper.finish()).toEqual([]);
  });

  it('streams tool-call deltas with the id and name of their first chunk, then whole calls', () => {
    const mapper = new ChatStreamMapper(undefined);
    const parts = [
      ...mapper.push(delta({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'get', arguments: '{"a"' } }] })),
      ...mapper.push(delta({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] })),
      ...mapper.push({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 1, completion_tokens: 2 } }),
    ];
    expect(parts).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'c1', name: 'get', argumentsDelta: '{"a"' },
      { type: 'tool-call-delta', index: 0, id: 'c1', name: 'get', argumentsDelta: ':1}' },
      { type: 'tool-call', index: 0, id: 'c1', name: 'get', arguments: '{"a":1}' },
      { type: 'finish', reason: 'tool-calls', usage: { promptTokens: 1, completionTokens: 2 } },
    ]);
  });

  it('keeps logprobs of a chunk without text for the next text, trimmed to top_logprobs', () => {
    const mapper = new ChatStreamMapper(1);
    const entry = (token: string) => ({ id: 1, token, logprob: -0.5, bytes: [1], top_logprobs: [{ token, logprob: -0.5 }, { token: 'x', logprob: -2 }] });
    expect(mapper.push(delta({ content: '' }, { logprobs: { content: [entry('a')] } }))).toEqual([]);
    const [part] = mapper.push(delta({ content: 'ab' }, { logprobs: { content: [entry('b')] } }));
    expect(part).toEqual({
      type: 'text-delta',
      text: 'ab',
      logprobs: [
        { token: 'a', logprob: -0.5, bytes: [1], topLogprobs: [{ token: 'a', logprob: -0.5 }] },
        { token: 'b', logprob: -0.5, bytes: [1], topLogprobs: [{ token: 'b', logprob: -0.5 }] },
      ],
    });
  });

  it('finishes as cancelled when the stream was cut before a finish reason', () => {
    const mapper = new ChatStreamMapper(undefined);
    mapper.push(delta({ content: 'a' }));
    expect(mapper.finish()).toEqual([{ type: 'finish', reason: 'cancelled', usage: { promptTokens: 0, completionTokens: 1 } }]);
  });
});

describe('CompletionStreamMapper', () => {
  it('collects token ids into the context and maps limit to length', () => {
    const mapper = new CompletionStreamMapper({ topLogprobs: undefined, stopToken: 1, promptTokens: [1, 5] });
    const parts = [
      ...mapper.push({ content: ' a', tokens: [9], stop: false }),
      ...mapper.push({ content: '', tokens: [], stop: true, stop_type: 'limit', timings: { cache_n: 1, prompt_ms: 2, predicted_ms: 4 } }),
    ];
    expect(parts).toEqual([
      { type: 'text-delta', text: ' a' },
      { type: 'finish', reason: 'length', usage: { promptTokens: 2, completionTokens: 1, cachedPromptTokens: 1, timings: { promptMs: 2, generationMs: 4 } }, context: [1, 5, 9] },
    ]);
  });

  it('stops at the stop token (BOS) without emitting it', () => {
    const mapper = new CompletionStreamMapper({ topLogprobs: undefined, stopToken: 1, promptTokens: [1] });
    mapper.push({ content: 'x', tokens: [7], stop: false });
    const parts = mapper.push({ content: '', tokens: [1], stop: false });
    expect(mapper.done).toBe(true);
    expect(parts).toEqual([{ type: 'finish', reason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, context: [1, 7] }]);
  });
});
