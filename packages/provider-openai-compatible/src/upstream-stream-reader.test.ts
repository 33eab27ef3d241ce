import { describe, expect, it } from 'vitest';
import { UpstreamStreamReader } from './upstream-stream-reader.js';

const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({ choices: [{ index: 0, delta, finish_reason: finish, ...extra }] });

describe('UpstreamStreamReader', () => {
  it('turns content and reasoning deltas into parts, and builds the finish from the trailing usage chunk', () => {
    const reader = new UpstreamStreamReader();
    const parts = [
      ...reader.read(chunk({ role: 'assistant', content: '' })),
      ...reader.read(chunk({ reasoning_content: 'hmm' })),
      ...reader.read(chunk({ content: 'Hel' })),
      ...reader.read(chunk({ content: 'lo' })),
      ...reader.read(chunk({}, 'length')),
      ...reader.read({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } }),
      ...reader.end(),
    ];
    expect(parts).toEqual([
      { type: 'reasoning-delta', text: 'hmm' },
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'finish', reason: 'length', usage: { promptTokens: 5, completionTokens: 3, cachedPromptTokens: 4 } },
    ]);
  });

  it('streams tool-call deltas by index and repeats each call whole before finishing with tool-calls', () => {
    const reader = new UpstreamStreamReader();
    const parts = [
      ...reader.read(chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] })),
      ...reader.read(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })),
      ...reader.read(chunk({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'now', arguments: '{}' } }] })),
      ...reader.read(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }, 'tool_calls')),
      ...reader.end(),
    ];
    expect(parts.filter((part) => part.type === 'tool-call')).toEqual([
      { type: 'tool-call', index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'tool-call', index: 1, id: 'call_b', name: 'now', arguments: '{}' },
    ]);
    expect(parts.filter((part) => part.type === 'tool-call-delta').map((part) => part.type === 'tool-call-delta' && part.argumentsDelta)).toEqual([
      '',
      '{"city":',
      '{}',
      '"Oslo"}',
    ]);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', reason: 'tool-calls' });
  });

  it('reads legacy completion chunks and chat logprobs', () => {
    const reader = new UpstreamStreamReader();
    expect(reader.read({ choices: [{ index: 0, text: ', there', finish_reason: null }] })).toEqual([{ type: 'text-delta', text: ', there' }]);
    expect(reader.read({ choices: [{ index: 0, text: ' was', logprobs: { tokens: [' was'], token_logprobs: [-0.1], top_logprobs: [{ ' was': -0.1, ' is': -2.5 }] } }] })).toEqual([
      { type: 'text-delta', text: ' was', logprobs: [{ token: ' was', logprob: -0.1, topLogprobs: [{ token: ' was', logprob: -0.1 }, { token: ' is', logprob: -2.5 }] }] },
    ]);
    const withLogprobs = reader.read(
      chunk({ content: 'a' }, null, { logprobs: { content: [{ token: 'a', logprob: -0.5, bytes: [97], top_logprobs: [{ token: 'a', logprob: -0.5 }, { token: 'b', logprob: -1 }] }] } }),
    );
    expect(withLogprobs).toEqual([
      {
        type: 'text-delta',
        text: 'a',
        logprobs: [{ token: 'a', logprob: -0.5, bytes: [97], topLogprobs: [{ token: 'a', logprob: -0.5 }, { token: 'b', logprob: -1 }] }],
      },
    ]);
  });

  it('counts content chunks when the upstream sends no usage, and reports cancellation', () => {
    const reader = new UpstreamStreamReader();
    reader.read(chunk({ content: 'a' }));
    reader.read(chunk({ content: 'b' }));
    expect(reader.finished).toBe(false);
    expect(reader.end(true)).toEqual([{ type: 'finish', reason: 'cancelled', usage: { promptTokens: 0, completionTokens: 2 } }]);
  });
});
