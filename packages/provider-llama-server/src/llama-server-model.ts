import path from 'node:path';
import {
  assertCanChat,
  assertGgufFile,
  BaseProvider,
  cpuFlashAttention,
  errorCodes,
  HeylookError,
  readGgufHeader,
  type ChatRequest,
  type CompletionRequest,
  type EmbedRequest,
  type EmbedResult,
  type GenerateCallOptions,
  type LoadOptions,
  type ProviderCapabilities,
  type StreamPart,
} from '@heylook/core';
import { requireLlamaServerBinary, type FoundBinary } from './find-binary.js';
import type { LlamaServerConfig } from './llama-server-config.js';
import { chatBody, completionFormat, samplingFields } from './request-body.js';
import { headWidthOf, templateTakesTools } from './model-facts.js';
import { LlamaServerProcess } from './server-process.js';
import { readSseJson } from './sse.js';
import { ChatStreamMapper, CompletionStreamMapper } from './stream-mappers.js';
import { upstreamError, Upstream } from './upstream.js';

/** Below this file size one thread is fastest: thread sync costs more than the tiny matmuls. */
const smallModelBytes = 64 * 1024 * 1024;

interface Mapper {
  readonly done: boolean;
  push(chunk: Record<string, unknown>): StreamPart[];
}

/**
 * A GGUF model served by its own llama-server child process. Requests go over HTTP on
 * 127.0.0.1; a crashed child fails the request in flight with a fatal coded error and is
 * started again by the next request (the router also reloads a model that failed fatally).
 */
export class LlamaServerModel extends BaseProvider<LlamaServerConfig> {
  readonly capabilities: ProviderCapabilities;
  #upstream: Upstream | undefined;
  /** Set between load and unload: a crashed child is restarted only while loaded. */
  #loaded = false;
  #starting: Promise<Upstream> | undefined;
  #bosToken: number | undefined;
  /** The model's token count (its GGUF header's vocabulary), for checking logit_bias ids. */
  #vocabSize = Number.MAX_SAFE_INTEGER;

  constructor(...args: ConstructorParameters<typeof BaseProvider<LlamaServerConfig>>) {
    super(...args);
    const generates = !this.config.embedding;
    this.capabilities = {
      chat: generates,
      complete: generates,
      embed: this.config.embedding,
      tokenize: true,
      tools: generates,
      jsonSchema: generates,
      vision: generates && this.config.mmproj_path !== undefined,
      logprobs: generates,
      logitBias: generates,
      maxParallel: this.config.parallel,
    };
  }

  /** The running child's pid (for tests and `heylook ps`). */
  get pid(): number | undefined {
    return this.#upstream?.server.exitInfo ? undefined : this.#upstream?.server.pid;
  }

  /** Where the running llama-server listens (127.0.0.1), for diagnostics and benchmarks. */
  get baseUrl(): string | undefined {
    return this.#upstream?.server.baseUrl;
  }

  #resolve(file: string): string {
    return path.resolve(this.context.baseDir, file);
  }

  async load(options: LoadOptions = {}): Promise<void> {
    if (this.#loaded && this.#upstream) return;
    this.#loaded = true;
    try {
      await this.#start(options);
      const header = await readGgufHeader(this.#resolve(this.config.model_path));
      // Tools only where the template renders them: elsewhere llama-server ignores tools and tool_choice.
      if (this.capabilities.tools) this.capabilities.tools = templateTakesTools(header.metadata);
      this.#vocabSize = header.arrayLengths['tokenizer.ggml.tokens'] ?? Number.MAX_SAFE_INTEGER;
    } catch (error) {
      this.#loaded = false;
      throw error;
    }
  }

  async unload(): Promise<void> {
    this.#loaded = false;
    const starting = this.#starting;
    this.#starting = undefined;
    await starting?.catch(() => undefined);
    const upstream = this.#upstream;
    this.#upstream = undefined;
    await upstream?.server.stop();
  }

  /** The running server; restarts a crashed one; refuses after unload. */
  async #running(): Promise<Upstream> {
    if (!this.#loaded) throw new HeylookError(errorCodes.closed, `Model "${this.modelId}" is not loaded.`);
    if (this.#upstream && !this.#upstream.server.exitInfo) return this.#upstream;
    this.context.logger.warn('restarting llama-server after it exited', { modelId: this.modelId });
    return this.#start({});
  }

  #start(options: LoadOptions): Promise<Upstream> {
    this.#starting ??= this.#spawn(options).finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #spawn(options: LoadOptions): Promise<Upstream> {
    const modelPath = this.#resolve(this.config.model_path);
    const size = await assertGgufFile(modelPath, 'model_path');
    const binary = requireLlamaServerBinary(this.config.binary_path ? { configured: this.#resolve(this.config.binary_path) } : {});
    const server = await LlamaServerProcess.start({
      binary: binary.path,
      args: await this.#args(modelPath, size, binary),
      logger: this.context.logger,
      modelId: this.modelId,
      timeoutMs: this.config.load_timeout * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const upstream = new Upstream(server, this.modelId);
    if (!this.#loaded) {
      // Unloaded while starting.
      await server.stop();
      throw new HeylookError(errorCodes.closed, `Model "${this.modelId}" was unloaded while it started.`);
    }
    // BOS id for stop_on_bos: the one token an empty text tokenizes to with special tokens on.
    if (this.config.stop_on_bos && !this.config.embedding) {
      const { tokens } = await upstream.postJson<{ tokens: number[] }>('/tokenize', { content: '', add_special: true });
      this.#bosToken = tokens.length === 1 ? tokens[0] : undefined;
    }
    this.#upstream = upstream;
    return upstream;
  }

  async #args(modelPath: string, size: number, binary: FoundBinary): Promise<string[]> {
    const c = this.config;
    const args = ['--model', modelPath, '--parallel', String(c.parallel), '--no-webui', '--jinja'];
    const push = (flag: string, value: unknown) => value !== undefined && args.push(flag, String(value));
    if (c.mmproj_path) {
      const mmproj = this.#resolve(c.mmproj_path);
      await assertGgufFile(mmproj, 'mmproj_path');
      args.push('--mmproj', mmproj);
    }
    // llama-server splits n_ctx over its slots; give each slot the configured context.
    push('--ctx-size', c.n_ctx === undefined ? undefined : c.n_ctx * c.parallel);
    push('--batch-size', c.n_batch);
    push('--threads', c.n_threads ?? (size < smallModelBytes ? 1 : undefined));
    push('--n-gpu-layers', c.n_gpu_layers === -1 ? 'all' : c.n_gpu_layers);
    if (!c.use_mmap) args.push('--no-mmap');
    if (c.use_mlock) args.push('--mlock');
    // On the CPU-only binary heylook built, core's rule (cpuFlashAttention); with a GPU, or a
    // binary heylook did not build, llama-server's own default (auto).
    const cpuOnly = binary.backend === 'cpu' && !c.rpc?.length;
    const flashAttention = c.flash_attention ?? (cpuOnly ? cpuFlashAttention(headWidthOf(await readGgufHeader(modelPath))) : undefined);
    if (flashAttention !== undefined) args.push('--flash-attn', flashAttention ? 'on' : 'off');
    push('--chat-template', c.chat_format);
    if (c.chat_format_template) args.push('--chat-template-file', this.#resolve(c.chat_format_template));
    if (c.draft_model_path) {
      const draft = this.#resolve(c.draft_model_path);
      await assertGgufFile(draft, 'draft_model_path');
      args.push('--model-draft', draft);
    }
    push('--draft-max', c.num_draft_tokens);
    if (c.embedding) args.push('--embeddings');
    if (c.rpc?.length) args.push('--rpc', c.rpc.join(','));
    args.push(...c.extra_args);
    return args;
  }

  async *chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    if (!this.capabilities.chat) throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" serves embeddings only.`);
    assertCanChat(this, request);
    const mapper = new ChatStreamMapper(request.logprobs?.topLogprobs);
    yield* this.#stream('/v1/chat/completions', () => chatBody(request, this.config, this.#vocabSize), mapper, () => mapper.finish(), options);
  }

  override async *complete(request: CompletionRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    if (!this.capabilities.complete) throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" serves embeddings only.`);
    const upstream = await this.#running();
    // Tokenize here so the prompt tokens (Ollama's `context`) are exact and a context continues.
    const promptTokens = [
      ...(request.context ?? []),
      ...(await this.#tokenize(upstream, request.prompt, request.context === undefined, options.signal)),
    ];
    const maxTokens = request.maxTokens ?? this.config.max_tokens;
    const mapper = new CompletionStreamMapper({ topLogprobs: request.logprobs?.topLogprobs, stopToken: this.#bosToken, promptTokens });
    const body = () => ({
      prompt: promptTokens,
      stream: true,
      return_tokens: true,
      cache_prompt: true,
      n_predict: maxTokens ?? -1,
      ...samplingFields(request, this.config, this.#vocabSize),
      ...completionFormat(request.responseFormat),
      ...(request.logprobs ? { n_probs: Math.max(1, request.logprobs.topLogprobs) } : {}),
    });
    yield* this.#stream('/completion', body, mapper, () => [mapper.cancelled()], options);
  }

  /**
   * Runs one streaming request: maps its chunks, closes the HTTP request when the consumer stops
   * early or aborts (llama-server then frees the slot), and turns failures into coded errors.
   */
  async *#stream(
    endpoint: string,
    body: () => Record<string, unknown>,
    mapper: Mapper,
    cancelled: () => StreamPart[],
    options: GenerateCallOptions,
  ): AsyncIterable<StreamPart> {
    const upstream = await this.#running();
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    try {
      const response = await upstream.post(endpoint, body(), controller.signal);
      for await (const chunk of readSseJson(response.body!)) {
        if (chunk.error) throw upstreamError(chunk.error, 500, this.modelId);
        // Chunks already buffered keep coming after an abort; stop at once instead.
        if (options.signal?.aborted) break;
        yield* mapper.push(chunk);
        if (mapper.done) return;
      }
      if (options.signal?.aborted) {
        yield* cancelled();
        return;
      }
      if (!mapper.done) throw await upstream.failure(new Error('the stream ended without a final chunk'));
    } catch (error) {
      if (options.signal?.aborted) {
        yield* cancelled();
        return;
      }
      throw await upstream.failure(error, controller.signal);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  override async embed(request: EmbedRequest, options: GenerateCallOptions = {}): Promise<EmbedResult> {
    if (!this.capabilities.embed) throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" cannot create embeddings; set embedding: true.`);
    const upstream = await this.#running();
    const result = await upstream.postJson<{ data: { index: number; embedding: number[] }[]; usage?: { prompt_tokens?: number } }>(
      '/v1/embeddings',
      { input: request.input, encoding_format: 'float' },
      options.signal,
    );
    const embeddings = [...result.data].sort((a, b) => a.index - b.index).map((item) => shorten(item.embedding, request.dimensions));
    return { embeddings, usage: { promptTokens: result.usage?.prompt_tokens ?? 0 } };
  }

  override async tokenize(text: string): Promise<number[]> {
    return this.#tokenize(await this.#running(), text, false);
  }

  override async detokenize(tokens: number[]): Promise<string> {
    const upstream = await this.#running();
    return (await upstream.postJson<{ content: string }>('/detokenize', { tokens })).content;
  }

  override async countTokens(text: string): Promise<number> {
    return (await this.tokenize(text)).length;
  }

  async #tokenize(upstream: Upstream, text: string, addSpecial: boolean, signal?: AbortSignal): Promise<number[]> {
    if (text === '' && !addSpecial) return [];
    return (await upstream.postJson<{ tokens: number[] }>('/tokenize', { content: text, add_special: addSpecial }, signal)).tokens;
  }
}

/** Matryoshka-style shortening: keep the first `dimensions` values and re-normalise. */
function shorten(vector: number[], dimensions: number | undefined): number[] {
  if (!dimensions || dimensions >= vector.length) return vector;
  const head = vector.slice(0, dimensions);
  const norm = Math.hypot(...head) || 1;
  return head.map((value) => value / norm);
}
