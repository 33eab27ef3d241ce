import { stat } from 'node:fs/promises';
import type { ProviderPlugin } from '@heylook/core';
import { ggufConfigSchema, type GgufConfig } from './gguf-config.js';
import { describeHeader, estimateMemory, hasGgufMagic, readHeader, resolveModelPath, withConfiguredTemplate } from './gguf-file.js';
import { GgufModel } from './gguf-model.js';

export const VERSION = '0.1.0';

/** The gguf provider plugin: llama.cpp through node-llama-cpp. Alias `llama_cpp` is the seed's name. */
export function createGgufProvider(): ProviderPlugin<GgufConfig> {
  return {
    specificationVersion: 'v1',
    providerId: 'gguf',
    aliases: ['llama_cpp', 'llama-cpp', 'llamacpp'],
    configSchema: ggufConfigSchema,
    create: (modelId, config, context) => new GgufModel(modelId, config, context),
    estimateMemory: (config, context) => estimateMemory(config, context.baseDir),
    describe: async (config, context) => {
      const file = resolveModelPath(config, context.baseDir);
      const header = await readHeader(file);
      return withConfiguredTemplate(describeHeader(header, file, (await stat(file)).size), config, context.baseDir);
    },
    canServe: hasGgufMagic,
  };
}

export const ggufProvider = createGgufProvider();
