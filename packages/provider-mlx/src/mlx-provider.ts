import path from 'node:path';
import type { ProviderPlugin } from '@heylook/core';
import { mlxConfigSchema, type MlxConfig } from './mlx-config.js';
import { describeFolder, isModelFolder } from './mlx-folder.js';
import { MlxModel } from './mlx-model.js';
import { checkNative } from './native-setup.js';

export const VERSION = '0.1.0';

/** The mlx provider plugin: Hugging Face / mlx-community model folders through MLX's C++ API. */
export function createMlxProvider(): ProviderPlugin<MlxConfig> {
  return {
    specificationVersion: 'v1',
    providerId: 'mlx',
    configSchema: mlxConfigSchema,
    create: (modelId, config, context) => new MlxModel(modelId, config, context),
    describe: (config, context) => describeFolder(path.resolve(context.baseDir, config.model_path)),
    // Weights are loaded as stored; the KV caches come on top, so estimate a little more.
    estimateMemory: async (config, context) => Math.round(((await describeFolder(path.resolve(context.baseDir, config.model_path))).fileSize ?? 0) * 1.1),
    canServe: isModelFolder,
    check: async () => checkNative(),
  };
}

export const mlxProvider = createMlxProvider();
