import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import type { BaseProvider } from './base-provider.js';
import { assertCanChat, assertCanLogprobs } from './assert-capabilities.js';

const textOnly = {
  modelId: 'm',
  capabilities: { chat: true, complete: true, embed: false, tokenize: true, tools: false, jsonSchema: false, vision: false, maxParallel: 1 },
} as unknown as BaseProvider;
const user = [{ role: 'user' as const, content: 'hi' }];

describe('assertCanChat', () => {
  it('refuses images, tools to call and JSON output a model cannot give, with coded errors', () => {
    for (const request of [
      { messages: [{ role: 'user' as const, content: [{ type: 'image' as const, data: new Uint8Array([1]) }] }] },
      { messages: user, tools: [{ name: 'f' }] },
      { messages: user, responseFormat: { type: 'json' as const } },
      { messages: user, responseFormat: { type: 'json-schema' as const, schema: {} } },
      { messages: user, logprobs: { topLogprobs: 0 } },
    ]) {
      expect(() => assertCanChat(textOnly, request)).toThrow(expect.objectContaining({ code: errorCodes.unsupportedCapability }));
    }
  });

  it('takes plain text, and tools that tool_choice "none" says not to call', () => {
    expect(() => assertCanChat(textOnly, { messages: user, responseFormat: { type: 'text' } })).not.toThrow();
    expect(() => assertCanChat(textOnly, { messages: user, tools: [{ name: 'f' }], toolChoice: 'none' })).not.toThrow();
  });
});

describe('assertCanLogprobs', () => {
  it('lets logprobs through only for a model that declares them', () => {
    const withLogprobs = { ...textOnly, capabilities: { ...textOnly.capabilities, logprobs: true } } as unknown as BaseProvider;
    expect(() => assertCanLogprobs(withLogprobs, { logprobs: { topLogprobs: 3 } })).not.toThrow();
    expect(() => assertCanLogprobs(textOnly, { logprobs: { topLogprobs: 3 } })).toThrow(
      expect.objectContaining({ code: errorCodes.unsupportedCapability, param: 'logprobs' }),
    );
    expect(() => assertCanLogprobs(textOnly, {})).not.toThrow();
  });
});
