import type { ProviderContext, ProviderPlugin } from '@heylook/core';
import { openAICompatibleConfigSchema, replicaUrls, type OpenAICompatibleConfig } from './openai-compatible-config.js';
import { createClient, OpenAICompatibleModel, resolveApiKey } from './openai-compatible-model.js';
import { describeRemote } from './remote-info.js';
import { checkUpstream } from './upstream-health.js';
import { upstreamUrl } from './upstream-url.js';

export const VERSION = '0.1.0';

/** What `heylook providers` shows: whether the provider (or one model's upstreams) can be used now. */
export interface ProviderReadiness {
  ready: boolean;
  message?: string;
}

export type OpenAICompatibleProviderPlugin = ProviderPlugin<OpenAICompatibleConfig> & {
  /**
   * Readiness. Without a config: the provider itself (pure TypeScript on Node's fetch, always
   * ready). With a model's config: whether any of its upstreams answers its health check.
   */
  check(config?: OpenAICompatibleConfig, context?: ProviderContext): Promise<ProviderReadiness>;
};

/** The openai-compatible provider plugin: models served by remote OpenAI-compatible servers. */
export function createOpenAICompatibleProvider(): OpenAICompatibleProviderPlugin {
  return {
    specificationVersion: 'v1',
    providerId: 'openai-compatible',
    aliases: ['openai_compatible', 'remote'],
    configSchema: openAICompatibleConfigSchema,
    create: (modelId, config, context) => new OpenAICompatibleModel(modelId, config, context),
    // Nothing is held locally: a remote model takes no memory budget.
    estimateMemory: async () => 0,
    describe: async (config) => describeRemote(config, createClient(config), replicaUrls(config).map(upstreamUrl)),
    check: async (config) => {
      if (!config) return { ready: true, message: `${VERSION}, Node ${process.version} fetch` };
      try {
        resolveApiKey(config, config.model);
      } catch (error) {
        return { ready: false, message: (error as Error).message };
      }
      const client = createClient(config);
      const urls = replicaUrls(config).map(upstreamUrl);
      const results = await Promise.all(
        urls.map((url) =>
          checkUpstream(client, url, config.health_path, config.timeout * 1000).then(
            () => undefined,
            (error: unknown) => `${url.label}: ${(error as Error).message}`,
          ),
        ),
      );
      const problems = results.filter((problem) => problem !== undefined);
      const up = urls.length - problems.length;
      return { ready: up > 0, message: [`${up}/${urls.length} upstreams answer`, ...problems].join('; ') };
    },
  };
}

export const openAICompatibleProvider = createOpenAICompatibleProvider();
