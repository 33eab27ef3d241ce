import { z } from 'zod';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  // fetch refuses URLs with credentials, and they would end up in listings and logs.
  .refine((url) => !/^https?:\/\/[^/]*@/.test(url), 'must not contain credentials; put the key in api_key_env');

/**
 * An openai-compatible model's `config:` block. The "model" is a remote endpoint: one
 * server (`base_url`) or several replicas of the same model (`base_urls`).
 */
export const openAICompatibleConfigSchema = z
  .object({
    /** The upstream, e.g. http://gpu-box:8000/v1 (a URL without a path gets /v1 added). */
    base_url: httpUrl.optional(),
    /** Several replicas serving the same model; requests are balanced across them. */
    base_urls: z.array(httpUrl).min(1, 'must list at least one URL').optional(),
    /** The model's name on the upstream (what its /v1/models lists). */
    model: z.string().min(1, 'must name the upstream model'),
    /** Bearer key for the upstream. Prefer api_key_env, so the key stays out of the file. */
    api_key: z.string().min(1).optional(),
    /** Name of the environment variable holding the upstream's key. */
    api_key_env: z.string().min(1).optional(),
    /** Extra headers sent with every upstream request. */
    headers: z.record(z.string(), z.string()).default({}),
    /** Seconds to wait for the upstream to answer, and between two chunks of a stream. */
    timeout: z.number().positive().default(300),
    /** Requests one replica runs at once; more wait here, not on the upstream. */
    max_parallel: z.number().int().positive().max(1024).default(8),
    /** Seconds between health checks of healthy replicas; 0 turns them off. */
    health_interval: z.number().min(0).default(10),
    /** Health check path (at the server root); default `/health`, falling back to `/v1/models`. */
    health_path: z.string().startsWith('/').optional(),
    /** Longest wait, in seconds, before a failed replica is tried again (the backoff doubles up to it). */
    max_backoff: z.number().positive().default(30),
    /**
     * Send requests that share a conversation start (system prompt and first user message)
     * to the same replica, so its prompt cache hits. Load still wins: a full replica is skipped.
     */
    sticky_prefix: z.boolean().default(false),
    /** What the upstream model can do; requests asking for more are refused here. */
    capabilities: z
      .object({
        chat: z.boolean().default(true),
        complete: z.boolean().default(true),
        embed: z.boolean().default(true),
        tools: z.boolean().default(true),
        json_schema: z.boolean().default(true),
        vision: z.boolean().default(false),
        /** Token logprobs (vLLM, SGLang and llama-server return them; heylook does not yet). */
        logprobs: z.boolean().default(false),
      })
      .prefault({}),
    /** Context window, for listings (read from the upstream's /v1/models when it says). */
    context_length: z.number().int().positive().optional(),
  })
  .refine((config) => (config.base_url === undefined) !== (config.base_urls === undefined), {
    message: 'set exactly one of base_url (one server) or base_urls (replicas)',
    path: ['base_url'],
  })
  .refine((config) => config.api_key === undefined || config.api_key_env === undefined, {
    message: 'set api_key or api_key_env, not both',
    path: ['api_key'],
  });
export type OpenAICompatibleConfig = z.infer<typeof openAICompatibleConfigSchema>;

/** The replica URLs of a config, in order. */
export function replicaUrls(config: OpenAICompatibleConfig): string[] {
  return config.base_urls ?? (config.base_url ? [config.base_url] : []);
}
