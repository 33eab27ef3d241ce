import { errorCodes, parseRequest } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema } from './request-schemas.js';
import { toChatRequest } from './to-chat-request.js';

const parse = (body: object) => toChatRequest(parseRequest(chatCompletionRequestSchema, body));

describe('toChatRequest', () => {
  it('turns thinking off for reasoning_effort "none" and maps chat_template_kwargs.enable_thinking', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
    expect(parse(base).think).toBeUndefined();
    expect(parse({ ...base, reasoning_effort: 'none' }).think).toBe(false);
    expect(parse({ ...base, reasoning_effort: 'high' }).think).toBeUndefined();
    expect(parse({ ...base, chat_template_kwargs: { enable_thinking: false } }).think).toBe(false);
    expect(parse({ ...base, reasoning_effort: 'none', chat_template_kwargs: { enable_thinking: true } }).think).toBe(true);
  });

  it('maps messages, sampling, local extras and tools', () => {
    const request = parse({
      model: 'm',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AQID' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
      ],
      max_completion_tokens: 10,
      max_tokens: 99,
      temperature: 0,
      stop: 'END',
      top_k: 5,
      repetition_penalty: 1.1,
      seed: 3,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      unknown_field: 'ignored',
    });
    expect(request).toMatchObject({
      maxTokens: 10,
      temperature: 0,
      stop: ['END'],
      topK: 5,
      repeatPenalty: 1.1,
      seed: 3,
      responseFormat: { type: 'json-schema', schema: { type: 'object' }, name: 'x' },
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: { name: 'f' },
    });
    expect(request.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(request.messages[1]).toEqual({
      role: 'user',
      content: [{ type: 'text', text: 'Hi' }, { type: 'image', data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' }],
    });
    expect(request.messages[2]).toEqual({ role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] });
    expect(request.messages[3]).toEqual({ role: 'tool', content: '42', toolCallId: 'c1' });
  });

  it("takes llama-server's schema inside json_object", () => {
    const request = parse({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object', schema: { const: '42' } } });
    expect(request.responseFormat).toEqual({ type: 'json-schema', schema: { const: '42' } });
  });

  it('maps logit_bias to token ids and passes grammar through', () => {
    const request = parse({ messages: [{ role: 'user', content: 'x' }], logit_bias: { '15': -100, '7': 2.5 }, grammar: 'root ::= "a"', n: 2 });
    expect(request).toMatchObject({ logitBias: { 15: -100, 7: 2.5 }, grammar: 'root ::= "a"' });
  });

  it.each([
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }, 'temperature'],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages.0.role'],
    [{ messages: [{ role: 'user', content: 'x' }], n: 9 }, 'n'],
    [{ messages: [{ role: 'user', content: 'x' }], n: 0 }, 'n'],
    [{ messages: [{ role: 'user' }] }, 'messages.0.content'],
    [{ messages: [{ role: 'user', content: 'x' }], logit_bias: { '1': 101 } }, 'logit_bias.1'],
    [{ messages: [{ role: 'user', content: 'x' }], grammar: '' }, 'grammar'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'https://x/y.png' }] }] }, 'messages.0.content.0.image_url'],
    [{ messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice'],
    [{ messages: [{ role: 'user', content: 'x' }], top_logprobs: 2 }, 'top_logprobs'],
  ])('rejects %j naming %s', (body, param) => {
    expect(() => parse(body)).toThrow(expect.objectContaining({ param }));
    try {
      parse(body);
    } catch (error) {
      expect([errorCodes.invalidRequest, errorCodes.unsupportedCapability]).toContain((error as { code: string }).code);
    }
  });
});
