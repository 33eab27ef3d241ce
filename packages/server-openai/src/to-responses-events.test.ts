import type { StreamPart } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { createResponseObject } from './response-object.js';
import { responsesRequestSchema } from './responses-schemas.js';
import { ResponseEventMapper } from './to-responses-events.js';

const usage = { promptTokens: 3, completionTokens: 4, cachedPromptTokens: 2 };

function run(parts: StreamPart[]) {
  const mapper = new ResponseEventMapper(createResponseObject(responsesRequestSchema.parse({ input: 'x' }), 'm'));
  const events = [...mapper.start(), ...parts.flatMap((part) => mapper.push(part))];
  return { events, response: mapper.response };
}

describe('ResponseEventMapper', () => {
  it('maps reasoning, text and a tool call to three output items in order', () => {
    const { events, response } = run([
      { type: 'reasoning-delta', text: 'hmm' },
      { type: 'text-delta', text: 'Hi' },
      { type: 'tool-call-delta', index: 0, id: 'c', name: 'f', argumentsDelta: '{"a":' },
      { type: 'tool-call', index: 0, id: 'c', name: 'f', arguments: '{"a":1}' },
      { type: 'finish', reason: 'tool-calls', usage },
    ]);
    expect(events.map((event) => [event.type, event.output_index])).toEqual([
      ['response.created', undefined],
      ['response.in_progress', undefined],
      ['response.output_item.added', 0],
      ['response.content_part.added', 0],
      ['response.reasoning_text.delta', 0],
      ['response.reasoning_text.done', 0],
      ['response.content_part.done', 0],
      ['response.output_item.done', 0],
      ['response.output_item.added', 1],
      ['response.content_part.added', 1],
      ['response.output_text.delta', 1],
      ['response.output_text.done', 1],
      ['response.content_part.done', 1],
      ['response.output_item.done', 1],
      ['response.output_item.added', 2],
      ['response.function_call_arguments.delta', 2],
      ['response.function_call_arguments.delta', 2],
      ['response.function_call_arguments.done', 2],
      ['response.output_item.done', 2],
      ['response.completed', undefined],
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(response).toMatchObject({
      status: 'completed',
      output: [
        { type: 'reasoning', status: 'completed', summary: [], content: [{ type: 'reasoning_text', text: 'hmm' }] },
        { type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hi' }] },
        { type: 'function_call', status: 'completed', call_id: 'c', name: 'f', arguments: '{"a":1}' },
      ],
      usage: { input_tokens: 3, input_tokens_details: { cached_tokens: 2 }, output_tokens: 4, total_tokens: 7 },
    });
    // Events carry snapshots: the added item stays as it was when sent.
    expect(events[8]!.item).toMatchObject({ type: 'message', status: 'in_progress', content: [] });
  });

  it('marks a cut answer incomplete and a failed one failed', () => {
    const cut = run([{ type: 'text-delta', text: 'a' }, { type: 'finish', reason: 'length', usage }]);
    expect(cut.events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    expect(cut.response.output[0]!.status).toBe('incomplete');
    const failed = run([{ type: 'finish', reason: 'error', usage }]);
    expect(failed.events.slice(-2).map((event) => event.type)).toEqual(['error', 'response.failed']);
    expect(() => run([{ type: 'error', error: new Error('boom') }])).toThrow('boom');
  });
});
