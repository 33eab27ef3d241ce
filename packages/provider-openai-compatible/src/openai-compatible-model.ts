import {
  abortError,
  assertCanChat,
  BaseProvider,
  errorCodes,
  HeylookError,
  type ChatRequest,
  type CompletionRequest,
  type EmbedRequest,
  type EmbedResult,
  type GenerateCallOptions,
  type LoadOptions,
  type ModelInfo,
  type ProviderCapabilities,
  type ProviderContext,
  type StreamPart,
} from '@heylook/core';
import { replicaUrls, type OpenAICompatibleConfig } from './openai-compatible-config.js';
import { describeRemote } from './remote-info.js';
import { ReplicaPool, type Replica, type ReplicaLease } from './replica-pool.js';
import { readSse } from './sse-parser.js';
import { conversationKey, toChatBody, toCompletionBody, toEmbeddingsBody } from './to-upstream-request.js';
import { AttemptFailed, UpstreamClient, type UpstreamAttempt } from './upstream-client.js';
import { streamError, unreachable } from './upstream-error.js';
import { checkUpstream } from './upstream-health.js';
import { UpstreamStreamReader } from './upstream-stream-reader.js';
import { upstreamUrl, type UpstreamUrl } from './upstream-url.js';

/** Requests waiting for a free replica slot, per model, before new ones get a 429. */
const maxQueue = 256;

/**
 * A model served by one or more remote OpenAI-compatible servers. "Loading" it starts the
 * replica pool (a health check of each replica, then periodic ones); every request goes to
 * the best replica and, until its first part is out, fails over to another one.
 */
export class OpenAICompatibleModel extends BaseProvider<OpenAICompatibleConfig> {
  // `logprobs` is declared for cores whose capabilities know it; older ones ignore it.
  readonly capabilities: ProviderCapabilities & { logprobs: boolean };
  readonly urls: UpstreamUrl[];
  readonly #client: UpstreamClient;
  #pool: ReplicaPool | undefined;
  #info: Promise<ModelInfo> | undefined;

  constructor(modelId: string, config: OpenAICompatibleConfig, context: ProviderContext) {
    super(modelId, config, context);
    this.urls = replicaUrls(config).map(upstreamUrl);
    const { capabilities } = config;
    this.capabilities = {
      chat: capabilities.chat,
      complete: capabilities.complete,
      embed: capabilities.embed,
      tokenize: false,
      tools: capabilities.tools,
      jsonSchema: capabilities.json_schema,
      vision: capabilities.vision,
      logprobs: capabilities.logprobs,
      maxParallel: config.max_parallel * this.urls.length,
    };
    this.#client = createClient(config);
  }

  /** The replicas and their state (for readiness and tests). */
  get replicas(): readonly Replica[] {
    return this.#pool?.replicas ?? [];
  }

  async load(options: LoadOptions = {}): Promise<void> {
    if (this.#pool) return;
    resolveApiKey(this.config, this.modelId);
    const pool = new ReplicaPool({
      urls: this.urls,
      maxParallel: this.config.max_parallel,
      healthIntervalMs: this.config.health_interval * 1000,
      maxBackoffMs: this.config.max_backoff * 1000,
      maxQueue,
      check: (replica) => checkUpstream(this.#client, replica.url, this.config.health_path, this.config.timeout * 1000),
      logger: this.context.logger,
    });
    await pool.start();
    if (options.signal?.aborted) {
      pool.close();
      throw abortError(options.signal);
    }
    // Down replicas do not fail the load: requests fail over, and the pool checks them again.
    if (pool.healthyCount < this.urls.length) {
      const down = pool.replicas.filter((replica) => !replica.healthy).map((replica) => `${replica.url.label}: ${replica.problem}`);
      this.context.logger.warn(`model "${this.modelId}": ${down.length} of ${this.urls.length} upstreams do not answer yet`, { down });
    }
    this.#pool = pool;
    options.onProgress?.({ fraction: 1 });
  }

  async unload(): Promise<void> {
    this.#pool?.close();
    this.#pool = undefined;
  }

  chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const pool = this.#requirePool();
    assertCanChat(this, request);
    const stickyKey = this.config.sticky_prefix ? conversationKey(request.messages) : undefined;
    return this.#stream(pool, '/chat/completions', toChatBody(request, this.config.model), options.signal, stickyKey);
  }

  override complete(request: CompletionRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const pool = this.#requirePool();
    if (!this.capabilities.complete) {
      throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" cannot complete raw prompts; use a chat endpoint.`);
    }
    if (request.context?.length) {
      throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" is remote and cannot continue from token ids; send the text instead.`, {
        param: 'context',
      });
    }
    // The start of the prompt stands for its cached prefix on the upstream.
    const stickyKey = this.config.sticky_prefix ? request.prompt.slice(0, 512) : undefined;
    return this.#stream(pool, '/completions', toCompletionBody(request, this.config.model), options.signal, stickyKey);
  }

  override async embed(request: EmbedRequest, options: GenerateCallOptions = {}): Promise<EmbedResult> {
    const pool = this.#requirePool();
    if (!this.capabilities.embed) {
      throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" cannot create embeddings.`, { param: 'model' });
    }
    const body = toEmbeddingsBody(request, this.config.model);
    return this.#withFailover(pool, '/embeddings', body, options.signal, async (attempt, url) => {
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of attempt.body()) text += decoder.decode(chunk, { stream: true });
      const parsed = parseJson(text + decoder.decode(), url) as { data?: { index?: number; embedding?: unknown }[]; usage?: { prompt_tokens?: number } };
      const data = [...(parsed.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== request.input.length || !data.every((item) => Array.isArray(item.embedding))) {
        throw new HeylookError(errorCodes.providerError, `Upstream ${url.label} sent ${data.length} embeddings for ${request.input.length} inputs (base64 or malformed).`);
      }
      return { embeddings: data.map((item) => item.embedding as number[]), usage: { promptTokens: parsed.usage?.prompt_tokens ?? 0 } };
    });
  }

  override info(): Promise<ModelInfo> {
    this.#info ??= describeRemote(this.config, this.#client, this.urls);
    return this.#info;
  }

  #requirePool(): ReplicaPool {
    if (!this.#pool) throw new HeylookError(errorCodes.closed, `Model "${this.modelId}" is not loaded.`);
    return this.#pool;
  }

  /**
   * Streams one request. Each attempt takes a slot on a replica; an attempt that fails before
   * any part went out moves on to a replica this request has not tried, so a dead replica
   * costs a client nothing but time. Once parts went out, a failure ends the stream.
   */
  async *#stream(pool: ReplicaPool, path: string, body: unknown, signal: AbortSignal | undefined, stickyKey: string | undefined): AsyncGenerator<StreamPart> {
    const tried = new Set<Replica>();
    const failures: AttemptFailed[] = [];
    for (;;) {
      const lease = await this.#acquire(pool, signal, stickyKey, tried, failures);
      const { url } = lease.replica;
      const reader = new UpstreamStreamReader();
      let started = false;
      let attempt: UpstreamAttempt | undefined;
      try {
        attempt = await this.#client.post(url, path, body, signal);
        let done = false;
        for await (const event of readSse(attempt.body())) {
          if (event.data === '[DONE]') {
            done = true;
            break;
          }
          const chunk = parseJson(event.data, url) as { error?: unknown };
          if (chunk.error !== undefined) throw new AttemptFailed({ error: streamError(url.label, chunk), replicaDown: false, tryAnother: true });
          for (const part of reader.read(chunk)) {
            started = true;
            yield part;
          }
        }
        // A stream cut without [DONE] or a finish reason lost the rest of the answer.
        if (!done && !reader.finished) throw new AttemptFailed(unreachable(url.label, new Error('stream ended early'), 'closed the stream mid-answer'));
        yield* reader.end();
        return;
      } catch (error) {
        if (signal?.aborted) {
          yield* reader.end(true);
          return;
        }
        if (!(error instanceof AttemptFailed)) throw error;
        if (error.failure.replicaDown) pool.markDown(lease.replica, error.message);
        if (started || !error.failure.tryAnother) throw error.failure.error;
        this.context.logger.warn(`model "${this.modelId}": ${error.message}; trying another replica`);
        failures.push(error);
      } finally {
        attempt?.close();
        lease.release();
      }
    }
  }

  /** The non-streaming twin of #stream: retries on another replica while nothing was returned. */
  async #withFailover<T>(
    pool: ReplicaPool,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    read: (attempt: UpstreamAttempt, url: UpstreamUrl) => Promise<T>,
  ): Promise<T> {
    const tried = new Set<Replica>();
    const failures: AttemptFailed[] = [];
    for (;;) {
      const lease = await this.#acquire(pool, signal, undefined, tried, failures);
      let attempt: UpstreamAttempt | undefined;
      try {
        attempt = await this.#client.post(lease.replica.url, path, body, signal);
        return await read(attempt, lease.replica.url);
      } catch (error) {
        if (!(error instanceof AttemptFailed)) throw error;
        if (error.failure.replicaDown) pool.markDown(lease.replica, error.message);
        if (!error.failure.tryAnother) throw error.failure.error;
        failures.push(error);
      } finally {
        attempt?.close();
        lease.release();
      }
    }
  }

  /** A replica this request has not tried; when none is left, the attempts' errors say why. */
  async #acquire(pool: ReplicaPool, signal: AbortSignal | undefined, stickyKey: string | undefined, tried: Set<Replica>, failures: AttemptFailed[]): Promise<ReplicaLease> {
    let lease: ReplicaLease;
    try {
      lease = await pool.acquire({ ...(signal ? { signal } : {}), ...(stickyKey !== undefined ? { stickyKey } : {}), exclude: tried });
    } catch (error) {
      if (failures.length === 0 || signal?.aborted) throw error;
      const last = failures.at(-1)!.failure.error;
      if (failures.length === 1) throw last;
      throw new HeylookError(last.code, `Every upstream failed the request: ${failures.map((failure) => failure.message).join('; ')}`, {
        ...(last.param ? { param: last.param } : {}),
        ...(last.retryAfterSeconds !== undefined ? { retryAfterSeconds: Math.max(...failures.map((failure) => failure.failure.error.retryAfterSeconds ?? 0)) } : {}),
      });
    }
    tried.add(lease.replica);
    return lease;
  }
}

/** The upstream key: `api_key`, or the variable `api_key_env` names (which must be set). */
export function resolveApiKey(config: OpenAICompatibleConfig, modelId: string): string | undefined {
  if (config.api_key_env === undefined) return config.api_key;
  const key = process.env[config.api_key_env];
  if (!key) {
    throw new HeylookError(
      errorCodes.invalidConfig,
      `Model "${modelId}" reads its upstream key from $${config.api_key_env}, which is not set. Export it before starting heylook.`,
      { param: 'api_key_env' },
    );
  }
  return key;
}

export function createClient(config: OpenAICompatibleConfig): UpstreamClient {
  const apiKey = config.api_key_env === undefined ? config.api_key : process.env[config.api_key_env];
  return new UpstreamClient({ model: config.model, headers: config.headers, timeoutMs: config.timeout * 1000, ...(apiKey ? { apiKey } : {}) });
}

function parseJson(text: string, url: UpstreamUrl): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HeylookError(errorCodes.providerError, `Upstream ${url.label} sent invalid JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}
