import type { ProviderPlugin } from '@heylook/core';
import { llamaServerConfigSchema, type LlamaServerConfig } from './llama-server-config.js';
import { LlamaServerModel } from './llama-server-model.js';

export const VERSION = '0.1.0';

/** The llama-server provider plugin: each model runs in its own llama.cpp llama-server child process. */
export function createLlamaServerProvider(): ProviderPlugin<LlamaServerConfig> {
  return {
    specificationVersion: 'v1',
    providerId: 'llama-server',
    aliases: ['llama_server'],
    configSchema: llamaServerConfigSchema,
    create: (modelId, config, context) => new LlamaServerModel(modelId, config, context),
  };
}

export const llamaServerProvider = createLlamaServerProvider();
