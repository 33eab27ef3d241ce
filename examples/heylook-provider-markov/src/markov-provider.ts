import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderPlugin } from '@heylook/core';
import { markovConfigSchema, type MarkovConfig } from './markov-config.js';
import { MarkovModel } from './markov-model.js';

export const VERSION = '0.1.0';

/** The `markov` provider: serves a word-level Markov chain learned from a text file. */
export function createMarkovProvider(): ProviderPlugin<MarkovConfig> {
  return {
    specificationVersion: 'v1',
    providerId: 'markov',
    configSchema: markovConfigSchema,
    create: (modelId, config, context) => new MarkovModel(modelId, config, context),
    // Optional hooks: facts for /api/tags and /api/show, read without loading.
    describe: async (config, context) => {
      const file = path.resolve(context.baseDir, config.model_path);
      return { format: 'text', family: 'markov', contextLength: config.order, files: [file], fileSize: (await stat(file)).size };
    },
    canServe: async (candidate) => candidate.endsWith('.txt'),
  };
}

export const markovProvider = createMarkovProvider();
