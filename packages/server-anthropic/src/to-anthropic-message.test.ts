import { ContentBlockSequencer, type StreamPart } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { createMessageContext, MessageEventMapper, toAnthropicMessage, toStopReason } from './to-anthropic-message.js';

const usage = { promptTokens: 12, completionTokens: 5, cachedPromptTokens: 4 };

function run(parts: StreamPart[], stops: string[] = []) {
  const context = createMessageContext('m', stops);
  const mapper = new MessageEventMapper(context);
  const sequencer = new ContentBlockSequencer();
  const events = [...mapper.start(12)];
  let finish;
  for (const part of parts) {
    for (const event of sequencer.push(part)) {
      events.push(...mapper.map(event));
      if (event.type === 'finish') finish = event;
    }
  }
  return { events, message: toAnthropicMessage(context, finish!) };
}

describe('MessageEventMapper and toAnthropicMessage', () => {
  it('streams text and a tool call in Anthropic order and builds the same message', () => {
    const { events, message } = run([
      { type: 'reasoning-delta', text: 'hmm' },
      { type: 'text-delta', text: 'Let me ' },
      { type: 'text-delta', text: 'check.' },
      { type: 'tool-call-delta', index: 0, id: 'call_0', name: 'get_weather', argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, id: 'call_0', name: 'get_weather', argumentsDelta: '"Paris"}' },
      { type: 'tool-call', index: 0, id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'finish', reason: 'tool-calls', usage },
    ]);
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]!.data).toMatchObject({ type: 'message_start', message: { id: message.id, role: 'assistant', content: [], usage: { input_tokens: 12 } } });
    expect(events[2]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(events[9]!.data).toEqual({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_0', name: 'get_weather', input: {} } });
    expect(events[10]!.data).toEqual({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":' } });
    expect(events[13]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 8, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 },
    });
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: '' },
        { type: 'text', text: 'Let me check.', citations: null },
        { type: 'tool_use', id: 'call_0', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 8, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 },
    });
  });

  it('reports a stop sequence only when the request asked for it', () => {
    const context = createMessageContext('m', ['END']);
    expect(toStopReason({ reason: 'stop', stopSequence: 'END' }, context)).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    // A stop string from the model's config is an ordinary end of turn.
    expect(toStopReason({ reason: 'stop', stopSequence: '</s>' }, context)).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    expect(toStopReason({ reason: 'length' }, context)).toEqual({ stop_reason: 'max_tokens', stop_sequence: null });
    expect(toStopReason({ reason: 'length', contextFull: true }, context)).toEqual({ stop_reason: 'model_context_window_exceeded', stop_sequence: null });
    expect(toStopReason({ reason: 'cancelled' }, context).stop_reason).toBe('end_turn');
  });

  it('gives an empty input for arguments cut off mid-JSON', () => {
    const { message } = run([
      { type: 'tool-call-delta', index: 0, id: 'c', name: 'f', argumentsDelta: '{"a":' },
      { type: 'finish', reason: 'length', usage },
    ]);
    expect(message.content).toEqual([{ type: 'tool_use', id: 'c', name: 'f', input: {} }]);
    expect(message.stop_reason).toBe('max_tokens');
  });
});
