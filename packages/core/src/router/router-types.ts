import type { ModelEntry } from '../config/load-config.js';
import type { BaseProvider, ProviderLogger } from '../provider/base-provider.js';
import type { ProviderRegistry } from '../registry/provider-registry.js';

// The router's public types: its options, leases, model status and events.

export interface ModelRouterOptions {
  registry: ProviderRegistry;
  models: ModelEntry[];
  /** Most models resident at once (default 2). */
  maxLoadedModels?: number;
  /** Memory budget in bytes for resident models, from providers' estimates. */
  maxMemory?: number;
  /** Most requests waiting for a model to become resident (default 64). */
  maxQueue?: number;
  /**
   * Most requests holding one model beyond what it decodes in parallel (default 64);
   * past that, acquire fails with HEYLOOK_QUEUE_FULL instead of piling up.
   */
  maxQueuePerModel?: number;
  /** Longest a request waits in the queue, in ms. */
  queueTimeoutMs?: number;
  /** Keep-alive after the last request, in ms; Infinity pins (default 5 minutes). */
  keepAliveMs?: number;
  defaultModel?: string;
  logger?: ProviderLogger;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Request-level keep-alive (Ollama semantics); it becomes the model's keep-alive. */
  keepAlive?: string | number;
  onProgress?: (fraction: number) => void;
}

export interface ReleaseOptions {
  /** The error the request ended with; a fatal one marks the model broken. */
  error?: unknown;
}

/** A request's hold on a loaded model. The model is never unloaded while a lease is out. */
export interface ModelLease {
  readonly modelId: string;
  readonly entry: ModelEntry;
  readonly provider: BaseProvider;
  /** True when this request waited for the model to load. */
  readonly loadedNow: boolean;
  /** How long this request waited for the model to be loaded (estimate, queue and load), in ms. */
  readonly loadDurationMs: number;
  release(options?: ReleaseOptions): void;
}

export type ModelState = 'unloaded' | 'loading' | 'loaded' | 'unloading';

export interface ModelStatus {
  id: string;
  provider: string;
  entry: ModelEntry;
  state: ModelState;
  activeRequests: number;
  /** Estimated bytes once loaded, if the provider can tell. */
  sizeBytes?: number;
  /** When the keep-alive timer unloads it; undefined when pinned or not loaded. */
  expiresAt?: Date;
  pinned: boolean;
}

export interface RouterEvents {
  'load-start': [{ modelId: string }];
  'load-end': [{ modelId: string; durationMs: number; error?: unknown }];
  'load-progress': [{ modelId: string; fraction: number }];
  unload: [{ modelId: string; reason: 'evicted' | 'expired' | 'requested' | 'broken' | 'closed' }];
  'queue-change': [{ depth: number }];
  broken: [{ modelId: string; error: unknown }];
  /** A generation ended (finished, failed or abandoned); for metrics. */
  generation: [GenerationEvent];
}

export interface GenerationEvent {
  modelId: string;
  provider: string;
  promptTokens: number;
  completionTokens: number;
  /** From the start of generation to its first output part, in ms; undefined when nothing came out. */
  timeToFirstTokenMs?: number;
  /** From the start of generation to its end, in ms. */
  durationMs: number;
  outcome: 'finished' | 'failed' | 'abandoned';
}
