import { describe, expect, it } from 'vitest';
import { conversationKey, toChatBody, toCompletionBody } from './to-upstream-request.js';
import { upstreamUrl } from './upstream-url.js';

describe('toChatBody', () => {
  it('forwards messages, tools, tool_choice, response_format, stop, seed, sampling and logprobs', () => {
    const body = toChatBody(
      {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', data: new Uint8Array([1, 2]), mediaType: 'image/jpeg' }] },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'look', arguments: '{}' }] },
          { role: 'tool', content: 'a cat', toolCallId: 'c1' },
        ],
        tools: [{ name: 'look', description: 'looks', parameters: { type: 'object', properties: {} } }],
        toolChoice: { name: 'look' },
        parallelToolCalls: false,
        responseFormat: { type: 'json-schema', schema: { type: 'object' }, name: 'thing', strict: true },
        stop: ['\n\n'],
        seed: 42,
        temperature: 0,
        topK: 40,
        maxTokens: 12,
        logprobs: { topLogprobs: 2 },
      },
      'qwen',
    );
    expect(body).toEqual({
      model: 'qwen',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AQI=' } }] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
        { role: 'tool', content: 'a cat', tool_call_id: 'c1' },
      ],
      max_tokens: 12,
      temperature: 0,
      top_k: 40,
      seed: 42,
      stop: ['\n\n'],
      tools: [{ type: 'function', function: { name: 'look', description: 'looks', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'look' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'thing', schema: { type: 'object' }, strict: true } },
      logprobs: true,
      top_logprobs: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends JSON mode as json_object and leaves unset options out', () => {
    const body = toChatBody({ messages: [{ role: 'user', content: 'hi' }], responseFormat: { type: 'json' } }, 'm');
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(Object.keys(body).sort()).toEqual(['messages', 'model', 'response_format', 'stream', 'stream_options']);
  });
});

describe('toCompletionBody', () => {
  it('sends the raw prompt and suffix', () => {
    expect(toCompletionBody({ prompt: 'def f(', suffix: '):', maxTokens: 4 }, 'coder')).toMatchObject({ model: 'coder', prompt: 'def f(', suffix: '):', max_tokens: 4, stream: true });
  });
});

describe('conversationKey', () => {
  it('is the same for every turn of one conversation and differs between conversations', () => {
    const first = [{ role: 'system' as const, content: 's' }, { role: 'user' as const, content: 'hello' }];
    const later = [...first, { role: 'assistant' as const, content: 'hi' }, { role: 'user' as const, content: 'more' }];
    expect(conversationKey(later)).toBe(conversationKey(first));
    expect(conversationKey([{ role: 'user', content: 'other' }])).not.toBe(conversationKey(first));
  });
});

describe('upstreamUrl', () => {
  it('adds /v1 to a bare server, keeps an API base, and drops credentials from the label', () => {
    expect(upstreamUrl('http://gpu:8000')).toEqual({ api: 'http://gpu:8000/v1', root: 'http://gpu:8000', label: 'http://gpu:8000/v1' });
    expect(upstreamUrl('http://gpu:8000/v1/')).toEqual({ api: 'http://gpu:8000/v1', root: 'http://gpu:8000', label: 'http://gpu:8000/v1' });
    expect(upstreamUrl('https://user:secret@example.com/openai/v1')).toEqual({
      api: 'https://example.com/openai/v1',
      root: 'https://example.com/openai',
      label: 'https://example.com/openai/v1',
    });
  });
});
