import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../provider/types.js';
import { ContentBlockSequencer, type ContentBlockEvent } from './content-blocks.js';

const usage = { promptTokens: 3, completionTokens: 4 };

function run(parts: StreamPart[]): ContentBlockEvent[] {
  const sequencer = new ContentBlockSequencer();
  return parts.flatMap((part) => sequencer.push(part));
}

describe('ContentBlockSequencer', () => {
  it('opens one block per kind change and closes every block before finish', () => {
    const events = run([
      { type: 'reasoning-delta', text: 'hm' },
      { type: 'reasoning-delta', text: 'm' },
      { type: 'text-delta', text: 'Hi' },
      { type: 'text-delta', text: '' },
      { type: 'text-delta', text: '!' },
      { type: 'finish', reason: 'stop', usage },
    ]);
    expect(events.map((event) => `${event.type}:${'index' in event ? event.index : ''}`)).toEqual([
      'block-start:0',
      'block-delta:0',
      'block-delta:0',
      'block-stop:0',
      'block-start:1',
      'block-delta:1',
      'block-delta:1',
      'block-stop:1',
      'finish:',
    ]);
    expect(events.at(-1)).toEqual({
      type: 'finish',
      reason: 'stop',
      usage,
      blocks: [
        { type: 'reasoning', text: 'hmm' },
        { type: 'text', text: 'Hi!' },
      ],
    });
  });

  it('gives each tool call its own block, from deltas or whole calls, without repeating streamed arguments', () => {
    const events = run([
      { type: 'text-delta', text: 'Calling' },
      { type: 'tool-call-delta', index: 0, id: 'a', name: 'f', argumentsDelta: '{"x":' },
      { type: 'tool-call-delta', index: 0, id: 'a', name: 'f', argumentsDelta: '1}' },
      { type: 'tool-call', index: 0, id: 'a', name: 'f', arguments: '{"x":1}' },
      { type: 'tool-call', index: 1, id: 'b', name: 'g', arguments: '{}' },
      { type: 'finish', reason: 'tool-calls', usage },
    ]);
    const deltas = events.filter((event) => event.type === 'block-delta').map((event) => [event.index, event.kind, event.delta]);
    expect(deltas).toEqual([
      [0, 'text', 'Calling'],
      [1, 'tool-call', '{"x":'],
      [1, 'tool-call', '1}'],
      [2, 'tool-call', '{}'],
    ]);
    const starts = events.filter((event) => event.type === 'block-start').map((event) => event.block);
    expect(starts[1]).toEqual({ type: 'tool-call', id: 'a', name: 'f', arguments: '' });
    const stops = events.filter((event) => event.type === 'block-stop');
    expect(stops.map((event) => event.index)).toEqual([0, 1, 2]);
    expect(stops[2]?.block).toEqual({ type: 'tool-call', id: 'b', name: 'g', arguments: '{}' });
  });

  it('passes errors through and closes nothing it never opened', () => {
    const error = new Error('boom');
    expect(run([{ type: 'error', error }])).toEqual([{ type: 'error', error }]);
    expect(run([{ type: 'finish', reason: 'length', usage }])).toEqual([{ type: 'finish', reason: 'length', usage, blocks: [] }]);
  });

  it('says whether the context, not max_tokens, ended the answer', () => {
    expect(run([{ type: 'finish', reason: 'length', usage, contextFull: true }])).toEqual([
      { type: 'finish', reason: 'length', usage, blocks: [], contextFull: true },
    ]);
  });
});
