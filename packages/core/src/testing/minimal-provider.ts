import { z } from 'zod';
import { assertCanChat } from '../provider/assert-capabilities.js';
import { BaseProvider, type GenerateCallOptions, type ProviderCapabilities, type ProviderPlugin } from '../provider/base-provider.js';
import type { ChatRequest, StreamPart } from '../provider/types.js';

export const minimalProviderConfigSchema = z.object({ reply: z.string().default('hello') });
export type MinimalProviderConfig = z.infer<typeof minimalProviderConfigSchema>;

/**
 * A provider with only what the v1 spec requires (load, chat, unload; no describe, info,
 * estimateMemory, canServe or check), so server tests prove every optional hook is optional.
 */
export class MinimalProvider extends BaseProvider<MinimalProviderConfig> {
  readonly capabilities: ProviderCapabilities = {
    chat: true,
    complete: false,
    embed: false,
    tokenize: false,
    tools: false,
    jsonSchema: false,
    vision: false,
    maxParallel: 1,
  };

  async load(): Promise<void> {}

  async unload(): Promise<void> {}

  async *chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    assertCanChat(this, request);
    const usage = { promptTokens: request.messages.length, completionTokens: 0 };
    if (options.signal?.aborted) {
      yield { type: 'finish', reason: 'cancelled', usage };
      return;
    }
    yield { type: 'text-delta', text: this.config.reply };
    yield { type: 'finish', reason: 'stop', usage: { ...usage, completionTokens: 1 } };
  }
}

export function createMinimalProviderPlugin(providerId = 'minimal'): ProviderPlugin<MinimalProviderConfig> {
  return {
    specificationVersion: 'v1',
    providerId,
    configSchema: minimalProviderConfigSchema,
    create: (modelId, config, context) => new MinimalProvider(modelId, config, context),
  };
}
