import type { ProviderPlugin } from '@heylook/core';
import { llamaServerConfigSchema, type LlamaServerConfig } from './llama-server-config.js';
import { LlamaServerModel } from './llama-server-model.js';
import { describeModel, estimateMemory } from './model-facts.js';

export const VERSION = '0.1.0';

/** The llama-server provider plugin: each model runs in its own llama.cpp llama-server child process. */
export function createLlamaServerProvider(): ProviderPlugin<LlamaServerConfig> {
  return {
    specificationVersion: 'v1',
    providerId: 'llama-server',
    aliases: ['llama_server'],
    configSchema: llamaServerConfigSchema,
    create: (modelId, config, context) => new LlamaServerModel(modelId, config, context),
    estimateMemory: (config, context) => estimateMemory(config, context.baseDir),
    describe: (config, context) => describeModel(config, context.baseDir),
    // Not claiming GGUF files for `--model PATH`: provider-gguf is the default for them.
  };
}

export const llamaServerProvider = createLlamaServerProvider();
