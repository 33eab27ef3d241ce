import { describe, expect, it } from 'vitest';
import { llamaServerConfigSchema } from './llama-server-config.js';
import { chatBody, completionFormat } from './request-body.js';

const config = llamaServerConfigSchema.parse({ model_path: 'm.gguf', temperature: 0.5, stop: ['END'], repetition_penalty: 1.2 });

describe('chatBody', () => {
  it('maps messages, images, tools, tool_choice, json schema, logprobs and sampling; the request wins over config', () => {
    const body = chatBody(
      {
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', data: new Uint8Array([1, 2]), mediaType: 'image/jpeg' }] },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] },
          { role: 'tool', content: 'r', toolCallId: 'c' },
        ],
        temperature: 0,
        seed: 3,
        stop: ['x'],
        tools: [{ name: 'f' }],
        toolChoice: { name: 'f' },
        responseFormat: { type: 'json-schema', schema: { type: 'object' } },
        logprobs: { topLogprobs: 2 },
        logitBias: { 5: -100, 7: 2.5 },
        maxTokens: 9,
      },
      config,
    );
    expect(body).toMatchObject({
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AQI=' } }] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: 'r', tool_call_id: 'c' },
      ],
      stream: true,
      temperature: 0,
      seed: 3,
      repeat_penalty: 1.2,
      stop: ['END', 'x'],
      max_tokens: 9,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'required',
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object' } } },
      logprobs: true,
      top_logprobs: 2,
      logit_bias: [
        [5, false],
        [7, 2.5],
      ],
    });
  });

  it('leaves unset sampling fields to llama-server', () => {
    const body = chatBody({ messages: [{ role: 'user', content: 'hi' }] }, llamaServerConfigSchema.parse({ model_path: 'm' }));
    expect(Object.keys(body)).not.toContain('temperature');
    expect(Object.keys(body)).not.toContain('tools');
  });
});

describe('completionFormat', () => {
  it('sends JSON mode as an empty schema and a schema as itself', () => {
    expect(completionFormat({ type: 'json' })).toEqual({ json_schema: {} });
    expect(completionFormat({ type: 'json-schema', schema: { type: 'string' } })).toEqual({ json_schema: { type: 'string' } });
    expect(completionFormat(undefined)).toEqual({});
  });
});
