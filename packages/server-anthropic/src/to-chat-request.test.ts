import { describe, expect, it } from 'vitest';
import { messagesRequestSchema, type MessagesRequest } from './request-schemas.js';
import { toChatRequest } from './to-chat-request.js';

const parse = (body: object): MessagesRequest => messagesRequestSchema.parse({ model: 'm', max_tokens: 10, ...body });
const map = (body: object) => toChatRequest(parse(body));

describe('toChatRequest', () => {
  it('maps system blocks, sampling and stop sequences, and drops cache_control', () => {
    const request = map({
      system: [
        { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }],
      temperature: 0,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      context_management: { edits: [] },
      output_config: { effort: 'high' },
    });
    expect(request).toEqual({
      messages: [
        { role: 'system', content: 'You are terse.\nAnswer in English.' },
        { role: 'user', content: 'hi' },
      ],
      maxTokens: 10,
      temperature: 0,
      topP: 0.9,
      topK: 40,
      stop: ['END'],
    });
  });

  it('keeps a system message in the middle of the conversation (Claude Code sends them)', () => {
    const request = map({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'system', content: [{ type: 'text', text: 'reminder' }] },
        { role: 'user', content: 'c' },
      ],
    });
    expect(request.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'system', 'user']);
    expect(request.messages[2]).toEqual({ role: 'system', content: 'reminder' });
  });

  it('maps a tool round trip: thinking and tool_use in the assistant turn, tool_result blocks to tool messages in order', () => {
    const request = map({
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'need a tool', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'no such city', is_error: true },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning: 'need a tool',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      { role: 'tool', content: 'sunny', toolCallId: 'toolu_1' },
      { role: 'tool', content: 'Error: no such city', toolCallId: 'toolu_2' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it('maps tools and every tool_choice, skipping Anthropic server tools', () => {
    const tools = [
      { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } },
      { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
    ];
    const base = { messages: [{ role: 'user', content: 'x' }], tools };
    expect(map(base).tools).toEqual([{ name: 'get_weather', description: 'Weather', parameters: tools[0]!.input_schema }]);
    expect(map({ ...base, tool_choice: { type: 'auto' } }).toolChoice).toBe('auto');
    expect(map({ ...base, tool_choice: { type: 'none' } }).toolChoice).toBe('none');
    expect(map({ ...base, tool_choice: { type: 'any', disable_parallel_tool_use: true } })).toMatchObject({ toolChoice: 'required', parallelToolCalls: false });
    expect(map({ ...base, tool_choice: { type: 'tool', name: 'get_weather' } }).toolChoice).toEqual({ name: 'get_weather' });
    expect(() => map({ ...base, tool_choice: { type: 'tool', name: 'web_search' } })).toThrow(/not in tools/);
  });

  it('maps thinking and output_config.format', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(map({ messages, thinking: { type: 'enabled', budget_tokens: 1024 } }).think).toBe(true);
    expect(map({ messages, thinking: { type: 'disabled' } }).think).toBe(false);
    expect(map({ messages, thinking: { type: 'adaptive' } }).think).toBeUndefined();
    expect(map({ messages, thinking: { type: 'between_tools', display: 'omitted' } }).think).toBeUndefined();
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(map({ messages, output_config: { format: { type: 'json_schema', schema } } }).responseFormat).toEqual({ type: 'json-schema', schema });
  });

  it('decodes base64 images and data URLs, keeps plain-text documents', () => {
    const request = map({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AQID' } },
            { type: 'image', source: { type: 'url', url: 'data:image/jpeg;base64,BAU=' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' } },
            { type: 'text', text: 'describe' },
          ],
        },
      ],
    });
    expect(request.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'image', data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' },
        { type: 'image', data: new Uint8Array([4, 5]), mediaType: 'image/jpeg' },
        { type: 'text', text: 'notes' },
        { type: 'text', text: 'describe' },
      ],
    });
  });

  it.each([
    [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }, /does not fetch remote images/, 'messages.0.content.0.source.url'],
    [{ type: 'text' }, /"messages.0.content.0.text"/, 'messages.0.content.0.text'],
    [{ type: 'tool_use', id: 'x', name: 'f', input: {} }, /cannot appear here/, 'messages.0.content.0'],
    [{ type: 'hologram' }, /unknown content block type "hologram"/, 'messages.0.content.0.type'],
    [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'AA==' } }, /plain-text documents/, 'messages.0.content.0.source'],
  ])('rejects a bad user block %j, naming it', (block, message, param) => {
    expect(() => map({ messages: [{ role: 'user', content: [block] }] })).toThrow(expect.objectContaining({ message: expect.stringMatching(message), param }));
  });
});
