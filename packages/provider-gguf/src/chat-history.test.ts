import { describe, expect, it } from 'vitest';
import { toChatFunctions, toChatHistory, toolCallId } from './chat-history.js';

describe('toChatHistory', () => {
  it('maps roles and opens a new model reply', () => {
    expect(
      toChatHistory([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi ' }, { type: 'text', text: 'there' }] },
      ]),
    ).toEqual([
      { type: 'system', text: 'Be brief.' },
      { type: 'user', text: 'Hi there' },
      { type: 'model', response: [] },
    ]);
  });

  it('attaches tool results to the calls they answer, by id and in order', () => {
    const history = toChatHistory([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'a', name: 'weather', arguments: '{"city":"Paris"}' },
          { id: 'b', name: 'weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'b', content: '{"temp":25}' },
      { role: 'tool', content: 'sunny' },
    ]);
    expect(history[1]).toEqual({
      type: 'model',
      response: [
        { type: 'functionCall', name: 'weather', params: { city: 'Paris' }, result: 'sunny' },
        { type: 'functionCall', name: 'weather', params: { city: 'Rome' }, result: { temp: 25 } },
      ],
    });
    expect(history.at(-1)).toEqual({ type: 'model', response: [] });
  });

  it('keeps an orphan tool result visible and continues a trailing assistant message', () => {
    const orphan = toChatHistory([{ role: 'tool', name: 'clock', content: '12:00' }]);
    expect(orphan[0]).toEqual({ type: 'user', text: 'Tool result (clock): 12:00' });
    const prefill = toChatHistory([
      { role: 'user', content: 'Count' },
      { role: 'assistant', content: 'One, two,' },
    ]);
    expect(prefill.at(-1)).toEqual({ type: 'model', response: ['One, two,'] });
  });

  it('keeps reasoning as a thought segment', () => {
    const history = toChatHistory([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a', reasoning: 'hmm' },
      { role: 'user', content: 'q2' },
    ]);
    expect(history[1]).toEqual({ type: 'model', response: [{ type: 'segment', segmentType: 'thought', text: 'hmm', ended: true }, 'a'] });
  });
});

describe('tool conversion', () => {
  it('maps tool definitions to functions and mints distinct call ids', () => {
    expect(toChatFunctions([{ name: 'f', description: 'd', parameters: { type: 'object' } }, { name: 'g' }])).toEqual({
      f: { description: 'd', params: { type: 'object' } },
      g: {},
    });
    expect(toolCallId(0)).toMatch(/^call_0_[a-z0-9]+$/);
    expect(toolCallId(1)).not.toBe(toolCallId(1));
  });
});
