import { open, stat } from 'node:fs/promises';
import type { ProviderPlugin } from '@heylook/core';
import { ggufConfigSchema, type GgufConfig } from './gguf-config.js';
import { describeHeader, estimateMemory, readHeader, resolveModelPath } from './gguf-file.js';
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
      return describeHeader(header, file, (await stat(file)).size);
    },
    canServe: async (candidate) => {
      try {
        const handle = await open(candidate, 'r');
        try {
          const magic = Buffer.alloc(4);
          await handle.read(magic, 0, 4, 0);
          return magic.toString('latin1') === 'GGUF';
        } finally {
          await handle.close();
        }
      } catch {
        return false;
      }
    },
  };
}

export const ggufProvider = createGgufProvider();
