import type { ProviderPlugin } from '@heylook/core';
import { openAICompatibleConfigSchema, replicaUrls, type OpenAICompatibleConfig } from './openai-compatible-config.js';
import { createClient, OpenAICompatibleModel, resolveApiKey } from './openai-compatible-model.js';
import { describeRemote } from './remote-info.js';
import { checkUpstream } from './upstream-health.js';
import { upstreamUrl } from './upstream-url.js';

export const VERSION = '0.1.0';

/**
 * What `heylook providers` shows: whether the provider (or one model's upstreams) can be used
 * now. `message` says it in one line; `detail`, `problem` and `fix` carry the same for callers
 * that want them apart.
 */
export type OpenAICompatibleReadiness =
  | { ready: true; message: string; detail: string }
  | { ready: false; message: string; problem: string; fix: string };

export type OpenAICompatibleProviderPlugin = ProviderPlugin<OpenAICompatibleConfig> & {
  /**
   * Readiness. Without a config: the provider itself (pure TypeScript on Node's fetch, always
   * ready). With a model's config: whether any of its upstreams answers its health check.
   */
  check(config?: OpenAICompatibleConfig): Promise<OpenAICompatibleReadiness>;
};

const ready = (message: string): OpenAICompatibleReadiness => ({ ready: true, message, detail: message });
const notReady = (problem: string, fix: string): OpenAICompatibleReadiness => ({ ready: false, message: `${problem}; ${fix}`, problem, fix });

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
    check: async (config?: OpenAICompatibleConfig) => {
      if (!config) return ready(`${VERSION} on Node ${process.version} fetch; nothing to build`);
      try {
        resolveApiKey(config, config.model);
      } catch (error) {
        return notReady((error as Error).message, `export ${config.api_key_env}`);
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
      const summary = [`${urls.length - problems.length}/${urls.length} upstreams answer`, ...problems].join('; ');
      return problems.length < urls.length ? ready(summary) : notReady(summary, 'start the upstream servers or fix base_url(s)');
    },
  };
}

export const openAICompatibleProvider = createOpenAICompatibleProvider();
