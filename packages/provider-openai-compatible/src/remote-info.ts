import type { ModelInfo } from '@heylook/core';
import type { OpenAICompatibleConfig } from './openai-compatible-config.js';
import type { UpstreamClient } from './upstream-client.js';
import { healthTimeoutMs } from './upstream-health.js';
import type { UpstreamUrl } from './upstream-url.js';

type Json = Record<string, unknown>;

/**
 * What listings show for a remote model: its capabilities from the config, its origin, and
 * what the upstream's /v1/models says about it (vLLM's max_model_len, llama-server's meta)
 * when an upstream answers. An unreachable upstream still gets a listing.
 */
export async function describeRemote(config: OpenAICompatibleConfig, client: UpstreamClient, urls: UpstreamUrl[]): Promise<ModelInfo> {
  let entry: Json | undefined;
  for (const url of urls) {
    try {
      const list = (await client.getJson(url, `${url.api}/models`, healthTimeoutMs)) as { data?: unknown } | undefined;
      const models = Array.isArray(list?.data) ? (list.data as Json[]) : [];
      entry = models.find((model) => model?.id === config.model) ?? {};
      break;
    } catch {
      // Try the next replica; with none answering, the listing has the config's facts only.
    }
  }
  const meta = (typeof entry?.meta === 'object' && entry.meta !== null ? entry.meta : {}) as Json;
  const number = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);
  const contextLength = config.context_length ?? number(entry?.max_model_len) ?? number(meta.n_ctx_train);
  const parameterCount = number(meta.n_params);
  const { capabilities } = config;
  return {
    format: 'remote',
    ...(contextLength ? { contextLength } : {}),
    ...(parameterCount ? { parameterCount } : {}),
    capabilities: {
      chat: capabilities.chat,
      complete: capabilities.complete,
      embed: capabilities.embed,
      tools: capabilities.tools,
      jsonSchema: capabilities.json_schema,
      vision: capabilities.vision,
      maxParallel: config.max_parallel * urls.length,
    },
    remote: { host: urls.map((url) => url.label).join(', '), model: config.model },
    metadata: {
      'remote.base_urls': urls.map((url) => url.label),
      'remote.model': config.model,
      ...(typeof entry?.owned_by === 'string' ? { 'remote.owned_by': entry.owned_by } : {}),
      ...(entry === undefined ? { 'remote.reachable': false } : {}),
    },
  };
}
