import type { z } from 'zod';
import type {
  ChatRequest,
  CompletionRequest,
  EmbedRequest,
  EmbedResult,
  StreamPart,
} from './types.js';

/** What a provider declares it can do. Never detected from the prototype. */
export interface ProviderCapabilities {
  chat: boolean;
  /** Raw prompt completion (/v1/completions, /api/generate with raw). */
  complete: boolean;
  embed: boolean;
  tokenize: boolean;
  tools: boolean;
  jsonSchema: boolean;
  vision: boolean;
  /** Follows a GBNF grammar given with the request (llama.cpp's `grammar`). */
  grammar?: boolean;
  /** Applies per-token logit biases (OpenAI's `logit_bias`). */
  logitBias?: boolean;
  /**
   * Honours `logprobs` in generation requests (token log-probabilities with alternatives).
   * Optional so providers written before it existed keep compiling; absent means no, and the
   * servers answer 400 to a logprobs request.
   */
  logprobs?: boolean;
  /** How many requests the loaded model decodes at once; the router admits this many leases. */
  maxParallel: number;
}

export interface ProviderLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything (the router's default; handy in tests). */
export const silentLogger: ProviderLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ProviderContext {
  logger: ProviderLogger;
  /** Folder that relative paths in the model's config are resolved against. */
  baseDir: string;
}

export interface LoadProgress {
  /** 0..1 */
  fraction: number;
  message?: string;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
}

export interface TokenizeOptions {
  /** Add the tokens the model puts in front of a prompt (BOS), as llama-server's `add_special`. */
  addSpecial?: boolean;
  /** Read special-token text (`<s>`) as those tokens, as llama-server's `parse_special`. */
  parseSpecial?: boolean;
}

export interface GenerateCallOptions {
  signal?: AbortSignal;
}

/** Static facts about a model, for listings (Ollama /api/tags and /api/show). */
export interface ModelInfo {
  format?: string;
  family?: string;
  parameterCount?: number;
  quantization?: string;
  contextLength?: number;
  /** Bytes of the model file(s) on disk. */
  fileSize?: number;
  /** Absolute paths of the model's files (for digests and listings). */
  files?: string[];
  /** What the model can do, known without loading it. */
  capabilities?: Partial<ProviderCapabilities> & { infill?: boolean };
  /** Chat template source, when the model carries one. */
  chatTemplate?: string;
  /** Where a remote model is served from (its upstream's API base and its name there), for listings. */
  remote?: { host: string; model: string };
  /** A named chat format the model is configured with instead of a template (gguf `chat_format`). */
  chatFormat?: string;
  /** Everything else the model's metadata says, keyed like GGUF (`llama.context_length`). */
  metadata?: Record<string, unknown>;
}

/**
 * A model of one provider: created cheaply, loaded once by the router, used by many
 * requests at once (up to `capabilities.maxParallel`), unloaded when evicted.
 */
export abstract class BaseProvider<Config = unknown> {
  abstract readonly capabilities: ProviderCapabilities;

  constructor(
    readonly modelId: string,
    readonly config: Config,
    readonly context: ProviderContext,
  ) {}

  abstract load(options?: LoadOptions): Promise<void>;

  /**
   * Streams the answer. The iterable ends after exactly one `finish` part, or throws a
   * HeylookError. Aborting `signal` ends it with finish reason `cancelled` within a token.
   */
  abstract chat(request: ChatRequest, options?: GenerateCallOptions): AsyncIterable<StreamPart>;

  /** Releases everything the model holds. Idempotent. */
  abstract unload(): Promise<void>;

  complete?(request: CompletionRequest, options?: GenerateCallOptions): AsyncIterable<StreamPart>;
  embed?(request: EmbedRequest, options?: GenerateCallOptions): Promise<EmbedResult>;
  /** Text → token ids; by default without BOS and with special-token text taken literally. */
  tokenize?(text: string, options?: TokenizeOptions): Promise<number[]>;
  detokenize?(tokens: number[]): Promise<string>;
  countTokens?(text: string): Promise<number>;
  /** How many prompt tokens `chat(request)` would evaluate (chat template and tools included), without generating. */
  countChatTokens?(request: ChatRequest): Promise<number>;
  /** Facts from the loaded model's metadata. */
  info?(): Promise<ModelInfo>;
}

/**
 * Whether a provider can load anything on this machine (a native addon built, a runtime
 * present). `fix` is the one thing to do, e.g. a command to run.
 */
export type ProviderReadiness = { ready: true; detail?: string } | { ready: false; problem: string; fix: string };

/**
 * What a provider package default-exports. Core checks `specificationVersion` as a
 * string: an `instanceof` check fails when two copies of core are installed.
 */
export interface ProviderPlugin<Config = unknown> {
  readonly specificationVersion: 'v1';
  readonly providerId: string;
  readonly aliases?: readonly string[];
  /** Validates and fills defaults for a model's `config:` block. */
  readonly configSchema: z.ZodType<Config>;
  create(modelId: string, config: Config, context: ProviderContext): BaseProvider<Config>;
  /** Bytes the model will take once loaded, estimated before loading (for `max_memory`). */
  estimateMemory?(config: Config, context: ProviderContext): Promise<number | undefined>;
  /** Facts about the model read without loading it (file size, format, metadata). */
  describe?(config: Config, context: ProviderContext): Promise<ModelInfo>;
  /** Guesses whether a file or folder is a model this provider serves (for `--model PATH`). */
  canServe?(path: string): Promise<boolean>;
  /**
   * Whether this machine can run the provider at all, checked without loading a model and
   * without downloading anything. `heylook providers` prints it; `heylook serve` warns.
   */
  check?(): Promise<ProviderReadiness>;
}

/** Calls a plugin's optional check(); a plugin without one is ready, a throwing one is not. */
export async function checkProvider(plugin: ProviderPlugin): Promise<ProviderReadiness> {
  if (!plugin.check) return { ready: true };
  try {
    return await plugin.check();
  } catch (error) {
    return {
      ready: false,
      problem: `its check() failed: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'report this to the provider package',
    };
  }
}

export const supportedSpecificationVersions = ['v1'] as const;

export function isProviderPlugin(value: unknown): value is ProviderPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const plugin = value as Partial<ProviderPlugin>;
  return (
    typeof plugin.specificationVersion === 'string' &&
    typeof plugin.providerId === 'string' &&
    typeof plugin.create === 'function' &&
    typeof plugin.configSchema === 'object'
  );
}
