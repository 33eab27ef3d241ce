import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { abortError, errorCodes, HeylookError } from '../errors/heylook-error.js';
import { assertCanChat } from '../provider/assert-capabilities.js';
import {
  BaseProvider,
  type GenerateCallOptions,
  type LoadOptions,
  type ProviderCapabilities,
  type ProviderPlugin,
} from '../provider/base-provider.js';
import type { ChatRequest, CompletionRequest, EmbedRequest, EmbedResult, FinishReason, StreamPart } from '../provider/types.js';

/** Config of the fake provider; every knob exists for a router or server test. */
export const fakeProviderConfigSchema = z.object({
  /** Fixed reply; by default the provider echoes the last user message. */
  reply: z.string().optional(),
  /** When set and the request offers tools, the model calls this tool with these arguments. */
  tool_call: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) }).optional(),
  load_delay_ms: z.number().int().nonnegative().default(0),
  token_delay_ms: z.number().int().nonnegative().default(0),
  /** Fail this many loads before succeeding (-1: always). */
  fail_loads: z.number().int().default(0),
  /** The code those failed loads throw. */
  fail_code: z.enum(Object.values(errorCodes)).default(errorCodes.loadFailed),
  /** Throw a fatal error in the middle of the next generation. */
  crash_on: z.string().optional(),
  size_bytes: z.number().int().nonnegative().optional(),
  max_parallel: z.number().int().positive().default(4),
  /** Declare tools and JSON schemas (the fake scripts tool calls with `tool_call`; it does not constrain its output). */
  structured_output: z.boolean().default(true),
  /** Declare the logprobs capability and attach made-up log-probabilities to each token. */
  logprobs: z.boolean().default(false),
  embedding_dimensions: z.number().int().positive().default(8),
  /** A file that stands for the model's weights in listings (size, digest). */
  file: z.string().optional(),
  /** The chat template describe() reports; '' for a model without one. */
  chat_template: z.string().default('{{ fake template }}'),
});
export type FakeProviderConfig = z.infer<typeof fakeProviderConfigSchema>;

/** What the fake provider did, shared by every model it created. */
export interface FakeProviderStats {
  loads: number;
  loadAttempts: number;
  /** Calls of the plugin's describe(). */
  describes: number;
  unloads: number;
  abortedLoads: number;
  /** Model ids currently loaded. */
  loaded: Set<string>;
}

/** Token split used by the fake: words and the spaces before them. */
export function fakeTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export class FakeProvider extends BaseProvider<FakeProviderConfig> {
  readonly capabilities: ProviderCapabilities;
  #loaded = false;

  constructor(
    modelId: string,
    config: FakeProviderConfig,
    context: ConstructorParameters<typeof BaseProvider<FakeProviderConfig>>[2],
    private readonly stats: FakeProviderStats,
    private readonly failures: Map<string, number>,
  ) {
    super(modelId, config, context);
    this.capabilities = {
      chat: true,
      complete: true,
      embed: true,
      tokenize: true,
      tools: config.structured_output,
      jsonSchema: config.structured_output,
      vision: false,
      logprobs: config.logprobs,
      maxParallel: config.max_parallel,
    };
  }

  async load(options: LoadOptions = {}): Promise<void> {
    this.stats.loadAttempts++;
    options.onProgress?.({ fraction: 0 });
    await sleep(this.config.load_delay_ms, options.signal).catch((error: unknown) => {
      this.stats.abortedLoads++;
      throw error;
    });
    const failed = this.failures.get(this.modelId) ?? 0;
    if (this.config.fail_loads < 0 || failed < this.config.fail_loads) {
      this.failures.set(this.modelId, failed + 1);
      throw new HeylookError(this.config.fail_code, `fake load failure ${failed + 1} of "${this.modelId}"`);
    }
    options.onProgress?.({ fraction: 1 });
    this.#loaded = true;
    this.stats.loads++;
    this.stats.loaded.add(this.modelId);
  }

  async unload(): Promise<void> {
    if (!this.#loaded) return;
    this.#loaded = false;
    this.stats.unloads++;
    this.stats.loaded.delete(this.modelId);
  }

  chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    this.#assertLoaded();
    assertCanChat(this, request);
    const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
    const userText =
      typeof lastUser?.content === 'string'
        ? lastUser.content
        : (lastUser?.content.map((part) => (part.type === 'text' ? part.text : '')).join('') ?? '');
    const promptText = request.messages.map((message) => (typeof message.content === 'string' ? message.content : '')).join(' ');
    const wantsTool =
      this.config.tool_call && request.tools?.length && request.toolChoice !== 'none'
        ? this.config.tool_call
        : undefined;
    return this.#generate(this.config.reply ?? `You said: ${userText}`, promptText, request, options, wantsTool);
  }

  override complete(request: CompletionRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    this.#assertLoaded();
    return this.#generate(this.config.reply ?? ` and then ${request.prompt}`, request.prompt, request, options);
  }

  override async embed(request: EmbedRequest): Promise<EmbedResult> {
    this.#assertLoaded();
    const size = request.dimensions ?? this.config.embedding_dimensions;
    const embeddings = request.input.map((text) => {
      const vector = Array.from({ length: size }, (_, index) => {
        let hash = index + 1;
        for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) % 1000003;
        return (hash / 1000003) * 2 - 1;
      });
      const norm = Math.hypot(...vector) || 1;
      return vector.map((value) => value / norm);
    });
    return { embeddings, usage: { promptTokens: request.input.reduce((sum, text) => sum + fakeTokens(text).length, 0) } };
  }

  override async tokenize(text: string): Promise<number[]> {
    return fakeTokens(text).map((token) => token.length);
  }

  override async countTokens(text: string): Promise<number> {
    return fakeTokens(text).length;
  }

  async *#generate(
    reply: string,
    promptText: string,
    request: ChatRequest | CompletionRequest,
    options: GenerateCallOptions,
    toolCall?: FakeProviderConfig['tool_call'],
  ): AsyncIterable<StreamPart> {
    const promptTokens = fakeTokens(promptText).length;
    const usage = (completionTokens: number) => ({ promptTokens, completionTokens, timings: { promptMs: 1, generationMs: 1 } });
    if (toolCall) {
      const args = JSON.stringify(toolCall.arguments);
      yield { type: 'tool-call-delta', index: 0, id: 'call_0', name: toolCall.name, argumentsDelta: args };
      yield { type: 'tool-call', index: 0, id: 'call_0', name: toolCall.name, arguments: args };
      yield { type: 'finish', reason: 'tool-calls', usage: usage(1) };
      return;
    }
    let text = reply;
    let reason: FinishReason = 'stop';
    let stopSequence: string | undefined;
    for (const stop of request.stop ?? []) {
      const at = text.indexOf(stop);
      if (at >= 0) {
        text = text.slice(0, at);
        stopSequence = stop;
      }
    }
    let tokens = fakeTokens(text);
    if (request.maxTokens !== undefined && tokens.length > request.maxTokens) {
      tokens = tokens.slice(0, request.maxTokens);
      reason = 'length';
    }
    let produced = 0;
    for (const token of tokens) {
      if (options.signal?.aborted) {
        yield { type: 'finish', reason: 'cancelled', usage: usage(produced) };
        return;
      }
      if (this.config.crash_on !== undefined && token.trim() === this.config.crash_on) {
        throw new HeylookError(errorCodes.providerCrashed, `fake crash of "${this.modelId}"`, { fatal: true });
      }
      if (this.config.token_delay_ms > 0) {
        await sleep(this.config.token_delay_ms, options.signal).catch(() => undefined);
        if (options.signal?.aborted) continue;
      }
      produced++;
      yield { type: 'text-delta', text: token, ...(request.logprobs ? { logprobs: [fakeLogprob(token, request.logprobs.topLogprobs)] } : {}) };
    }
    yield { type: 'finish', reason, usage: usage(produced), ...(stopSequence !== undefined ? { stopSequence } : {}) };
  }

  #assertLoaded(): void {
    if (!this.#loaded) throw new HeylookError(errorCodes.closed, `fake model "${this.modelId}" is not loaded`);
  }
}

/** A provider plugin for router and server tests, and the stats it keeps. */
export function createFakeProviderPlugin(providerId = 'fake'): {
  plugin: ProviderPlugin<FakeProviderConfig>;
  stats: FakeProviderStats;
} {
  const stats: FakeProviderStats = { loads: 0, loadAttempts: 0, describes: 0, unloads: 0, abortedLoads: 0, loaded: new Set() };
  const failures = new Map<string, number>();
  const plugin: ProviderPlugin<FakeProviderConfig> = {
    specificationVersion: 'v1',
    providerId,
    aliases: [`${providerId}_alias`],
    configSchema: fakeProviderConfigSchema,
    create: (modelId, config, context) => new FakeProvider(modelId, config, context, stats, failures),
    estimateMemory: async (config) => config.size_bytes,
    describe: async (config) => {
      stats.describes++;
      return {
        format: 'fake',
        family: 'fake',
        parameterCount: 1000,
        quantization: 'F32',
        contextLength: 512,
        capabilities: { chat: true, complete: true, embed: true, tools: true, vision: false },
        ...(config.file ? { files: [config.file], fileSize: (await stat(config.file)).size } : {}),
        ...(config.chat_template ? { chatTemplate: config.chat_template } : {}),
      };
    },
  };
  return { plugin, stats };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(abortError(signal)) : Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The generated token is the likeliest, then made-up alternatives: enough for server tests. */
function fakeLogprob(token: string, top: number) {
  const alternatives = [token, 'alt1', 'alt2', 'alt3', 'alt4'].map((alt, index) => ({ token: alt, logprob: -0.25 * (index + 1) }));
  return { token, logprob: -0.25, bytes: [...Buffer.from(token)], topLogprobs: alternatives.slice(0, top) };
}
