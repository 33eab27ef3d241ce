import { EventEmitter } from 'node:events';
import { parseProviderConfig } from '../config/parse-provider-config.js';
import type { ModelEntry } from '../config/load-config.js';
import { abortError, errorCodes, hasErrorCode, HeylookError, isHeylookError } from '../errors/heylook-error.js';
import { silentLogger, type BaseProvider, type ModelInfo, type ProviderLogger, type ProviderPlugin } from '../provider/base-provider.js';
import type { ProviderRegistry } from '../registry/provider-registry.js';
import { abortable } from '../util/abortable.js';
import { parseKeepAlive } from '../util/duration.js';
import type { AcquireOptions, ModelLease, ModelRouterOptions, ModelState, ModelStatus, ReleaseOptions, RouterEvents } from './router-types.js';

export type {
  AcquireOptions,
  GenerationEvent,
  ModelLease,
  ModelRouterOptions,
  ModelState,
  ModelStatus,
  ReleaseOptions,
  RouterEvents,
} from './router-types.js';

interface ModelRecord {
  entry: ModelEntry;
  state: ModelState;
  provider?: BaseProvider;
  leases: number;
  /** Requests waiting for the current load; the load is aborted when all of them give up. */
  loadWaiters: number;
  loadPromise?: Promise<void>;
  loadController?: AbortController;
  unloadPromise?: Promise<void>;
  /** Resolves when the last lease is released while unloading. */
  drained?: () => void;
  broken: boolean;
  /** Position in use order (a counter, so LRU is exact within one millisecond). */
  useOrder: number;
  /** The model's own keep-alive from its config entry, in ms. */
  configKeepAliveMs?: number;
  /** The keep-alive in force since the last request ended (that request's, or the default). */
  keepAliveMs?: number;
  expiryTimer?: NodeJS.Timeout;
  expiresAt?: number;
  sizeEstimate?: number;
  sizeKnown: boolean;
  /** The provider's description of the model's files, read once (listings ask for it on every call). */
  description?: Promise<ModelInfo>;
}

interface Waiter {
  record: ModelRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Decides which models are resident. Loads on first use (once, however many requests
 * arrive together), keeps at most `maxLoadedModels` (and `maxMemory`), evicts the least
 * recently used idle model, never one with leases out, and queues requests (bounded,
 * FIFO, abortable) when every resident model is busy.
 */
export class ModelRouter extends EventEmitter<RouterEvents> {
  readonly registry: ProviderRegistry;
  readonly maxLoadedModels: number;
  readonly maxMemory: number | undefined;
  readonly maxQueue: number;
  readonly maxQueuePerModel: number;
  readonly defaultModel: string | undefined;
  readonly #queueTimeoutMs: number | undefined;
  readonly #keepAliveMs: number;
  readonly #logger: ProviderLogger;
  readonly #records = new Map<string, ModelRecord>();
  readonly #names = new Map<string, ModelRecord>();
  readonly #waiters: Waiter[] = [];
  #closed = false;
  #useClock = 0;

  constructor(options: ModelRouterOptions) {
    super();
    this.registry = options.registry;
    this.maxLoadedModels = options.maxLoadedModels ?? 2;
    this.maxMemory = options.maxMemory;
    this.maxQueue = options.maxQueue ?? 64;
    this.maxQueuePerModel = options.maxQueuePerModel ?? 64;
    this.#queueTimeoutMs = options.queueTimeoutMs;
    this.#keepAliveMs = options.keepAliveMs ?? 5 * 60_000;
    this.defaultModel = options.defaultModel;
    this.#logger = options.logger ?? silentLogger;
    for (const entry of options.models) {
      // Plain objects from JavaScript callers miss defaults; say what to use instead of crashing later.
      if (!Array.isArray(entry.aliases) || typeof entry.baseDir !== 'string' || typeof entry.config !== 'object') {
        throw new HeylookError(
          errorCodes.invalidConfig,
          `Model "${String(entry.id)}" is not a complete model entry (aliases, config, baseDir). Build entries with defineModel() or loadConfigFile() from @heylook/core.`,
        );
      }
      const record: ModelRecord = {
        entry,
        state: 'unloaded',
        leases: 0,
        loadWaiters: 0,
        broken: false,
        useOrder: 0,
        sizeKnown: false,
        ...(entry.keepAlive === undefined ? {} : { configKeepAliveMs: parseKeepAlive(entry.keepAlive) }),
      };
      this.#records.set(entry.id, record);
      for (const name of [entry.id, ...entry.aliases]) this.#names.set(name, record);
    }
    if (this.defaultModel !== undefined && !this.#names.has(this.defaultModel)) {
      throw new HeylookError(errorCodes.invalidConfig, `default_model "${this.defaultModel}" is not a configured model.`);
    }
  }

  /** Resolves a requested name (id, alias, or nothing for the default) to its entry. */
  resolve(name: string | undefined): ModelEntry {
    return this.#record(name).entry;
  }

  /** All configured models, enabled or not. */
  models(): ModelEntry[] {
    return [...this.#records.values()].map((record) => record.entry);
  }

  /**
   * Returns a lease on a loaded model, loading it (and evicting idle models) as needed.
   * Rejects with HEYLOOK_ABORTED as soon as `signal` aborts, leaving any queue.
   */
  async acquire(name: string | undefined, options: AcquireOptions = {}): Promise<ModelLease> {
    const { signal } = options;
    const record = this.#record(name);
    if (!record.entry.enabled) {
      throw new HeylookError(
        errorCodes.modelDisabled,
        `Model "${record.entry.id}" is disabled; set enabled: true for it in ${record.entry.source}.`,
      );
    }
    let requestKeepAlive: number | undefined;
    if (options.keepAlive !== undefined) {
      requestKeepAlive = parseKeepAlive(options.keepAlive);
      if (requestKeepAlive === undefined) {
        throw new HeylookError(
          errorCodes.invalidRequest,
          `Invalid keep_alive ${JSON.stringify(options.keepAlive)}: use a duration like "5m", seconds, 0 or -1.`,
          { param: 'keep_alive' },
        );
      }
    }
    const started = performance.now();
    let loadedNow = false;
    for (;;) {
      if (this.#closed) throw new HeylookError(errorCodes.closed, 'The server is shutting down.');
      if (signal?.aborted) throw abortError(signal);
      switch (record.state) {
        case 'loaded':
          if (record.broken) {
            this.#startUnload(record, 'broken');
            continue;
          }
          this.#assertModelQueueRoom(record);
          return this.#lease(record, loadedNow ? performance.now() - started : 0, requestKeepAlive);
        case 'loading': {
          loadedNow = true;
          record.loadWaiters++;
          try {
            await abortable(record.loadPromise!, signal);
          } catch (error) {
            // The load was abandoned by everyone else just before we came: start another.
            if (hasErrorCode(error, errorCodes.aborted) && !signal?.aborted) continue;
            throw error;
          } finally {
            record.loadWaiters--;
            if (record.loadWaiters === 0 && record.state === 'loading') record.loadController?.abort(abortError(signal));
          }
          continue;
        }
        case 'unloading':
          await abortable(record.unloadPromise!, signal);
          continue;
        case 'unloaded':
          loadedNow = true;
          if (!record.sizeKnown) {
            await abortable(this.#estimate(record), signal);
            continue;
          }
          if (!this.#admit(record)) await this.#enqueue(record, signal);
          continue;
      }
    }
  }

  /** Loads a model without holding it (the seed's preload, Ollama's empty /api/generate). */
  async load(name: string | undefined, options: AcquireOptions = {}): Promise<ModelLease> {
    const lease = await this.acquire(name, options);
    lease.release();
    return lease;
  }

  /** Unloads a model now, or as soon as its in-flight requests finish. */
  async unload(name: string | undefined): Promise<void> {
    const record = this.#record(name);
    switch (record.state) {
      case 'loaded':
        return this.#startUnload(record, 'requested');
      case 'loading':
        await record.loadPromise!.catch(() => undefined);
        return this.unload(name);
      case 'unloading':
        return record.unloadPromise;
      case 'unloaded':
        return;
    }
  }

  /** A snapshot of every configured model, resident ones first. */
  list(): ModelStatus[] {
    return [...this.#records.values()].map((record) => ({
      id: record.entry.id,
      provider: record.entry.provider,
      entry: record.entry,
      state: record.state,
      activeRequests: record.leases,
      sizeBytes: record.sizeEstimate,
      ...(record.expiresAt === undefined ? {} : { expiresAt: new Date(record.expiresAt) }),
      pinned: this.#keepAliveOf(record) === Infinity,
    }));
  }

  /** Number of requests waiting for a model to become resident. */
  get queueDepth(): number {
    return this.#waiters.length;
  }

  /** Facts about a model without loading it, from its provider. */
  async describe(name: string | undefined): Promise<ModelInfo> {
    const record = this.#record(name);
    if (record.provider?.info && record.state === 'loaded') return record.provider.info();
    record.description ??= (async () => {
      const { plugin, config } = await this.#pluginAndConfig(record);
      return plugin.describe ? plugin.describe(config, this.#context(record)) : {};
    })().catch((error: unknown) => {
      record.description = undefined;
      throw error;
    });
    return record.description;
  }

  /** Rejects queued requests, waits for nothing, unloads every model. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new HeylookError(errorCodes.closed, 'The server is shutting down.'));
    await Promise.all(
      [...this.#records.values()].map(async (record) => {
        if (record.state === 'loading') await record.loadPromise!.catch(() => undefined);
        if (record.state === 'loaded') await this.#startUnload(record, 'closed');
        else if (record.state === 'unloading') await record.unloadPromise;
      }),
    );
  }

  /** With one model served (e.g. `serve --model FILE`), a request without `model` means it. */
  #onlyEnabledModel(): string | undefined {
    const enabled = [...this.#records.values()].filter((record) => record.entry.enabled);
    return enabled.length === 1 ? enabled[0]!.entry.id : undefined;
  }

  #record(name: string | undefined): ModelRecord {
    const wanted = name === undefined || name === '' ? (this.defaultModel ?? this.#onlyEnabledModel()) : name;
    if (wanted === undefined) {
      throw new HeylookError(
        errorCodes.noModelSpecified,
        'The request names no model and no default_model is configured. Pass "model" in the request, or set default_model in models.yaml.',
        { param: 'model' },
      );
    }
    const record = this.#names.get(wanted);
    if (!record) {
      const available = [...this.#records.values()].filter((item) => item.entry.enabled).map((item) => item.entry.id);
      throw new HeylookError(
        errorCodes.noSuchModel,
        `The model "${wanted}" does not exist. Available models: ${available.join(', ') || '(none configured)'}.`,
        { param: 'model' },
      );
    }
    return record;
  }

  /** Requests past a model's parallel slots wait inside its provider; that wait is bounded here. */
  #assertModelQueueRoom(record: ModelRecord): void {
    const parallel = record.provider?.capabilities.maxParallel ?? 1;
    if (record.leases < parallel + this.maxQueuePerModel) return;
    throw new HeylookError(
      errorCodes.queueFull,
      `Model "${record.entry.id}" has ${record.leases} requests in progress or waiting, its limit (max_queue_per_model ${this.maxQueuePerModel} beyond ${parallel} in parallel); try again shortly.`,
      { retryAfterSeconds: 1 },
    );
  }

  #lease(record: ModelRecord, loadDurationMs: number, keepAliveMs: number | undefined): ModelLease {
    record.leases++;
    record.useOrder = ++this.#useClock;
    this.#clearExpiry(record);
    let released = false;
    return {
      modelId: record.entry.id,
      entry: record.entry,
      provider: record.provider!,
      loadedNow: loadDurationMs > 0,
      loadDurationMs,
      release: (options = {}) => {
        if (released) return;
        released = true;
        this.#release(record, options, keepAliveMs);
      },
    };
  }

  #release(record: ModelRecord, options: ReleaseOptions, keepAliveMs: number | undefined): void {
    record.leases--;
    // Ollama's semantics: each request's keep_alive (or the default) decides what happens after it.
    record.keepAliveMs = keepAliveMs ?? record.configKeepAliveMs ?? this.#keepAliveMs;
    record.useOrder = ++this.#useClock;
    if (options.error !== undefined && isHeylookError(options.error) && options.error.fatal && !record.broken) {
      record.broken = true;
      this.#logger.error(`Model "${record.entry.id}" failed and will be reloaded on its next request.`, {
        error: options.error.message,
      });
      this.emit('broken', { modelId: record.entry.id, error: options.error });
    }
    if (record.leases > 0) return;
    if (record.state === 'unloading') {
      record.drained?.();
      return;
    }
    if (record.broken) {
      void this.#startUnload(record, 'broken');
      return;
    }
    this.#scheduleExpiry(record);
    this.#pump();
  }

  #scheduleExpiry(record: ModelRecord): void {
    const keepAlive = this.#keepAliveOf(record);
    if (keepAlive === Infinity) return;
    if (keepAlive <= 0) {
      void this.#startUnload(record, 'expired');
      return;
    }
    record.expiresAt = Date.now() + keepAlive;
    record.expiryTimer = setTimeout(() => {
      record.expiryTimer = undefined;
      if (record.state === 'loaded' && record.leases === 0) void this.#startUnload(record, 'expired');
    }, Math.min(keepAlive, 2 ** 31 - 1));
    record.expiryTimer.unref();
  }

  #keepAliveOf(record: ModelRecord): number {
    return record.keepAliveMs ?? record.configKeepAliveMs ?? this.#keepAliveMs;
  }

  #clearExpiry(record: ModelRecord): void {
    if (record.expiryTimer) clearTimeout(record.expiryTimer);
    record.expiryTimer = undefined;
    record.expiresAt = undefined;
  }

  /**
   * Synchronously decides whether `record` may start loading now, evicting idle models to
   * make room. Decisions are synchronous so two requests cannot both claim the last slot.
   */
  #admit(record: ModelRecord): boolean {
    const resident = [...this.#records.values()].filter(
      (other) => other !== record && (other.state === 'loading' || other.state === 'loaded'),
    );
    const size = record.sizeEstimate ?? 0;
    if (this.maxMemory !== undefined && size > this.maxMemory) {
      throw new HeylookError(
        errorCodes.modelTooLarge,
        `Model "${record.entry.id}" needs about ${formatBytes(size)}, more than max_memory (${formatBytes(this.maxMemory)}). Raise max_memory or use a smaller quantization.`,
      );
    }
    let count = resident.length + 1;
    let memory = resident.reduce((sum, other) => sum + (other.sizeEstimate ?? 0), 0) + size;
    const fits = () => count <= this.maxLoadedModels && (this.maxMemory === undefined || memory <= this.maxMemory);
    const victims: ModelRecord[] = [];
    if (!fits()) {
      const idle = resident
        .filter((other) => other.state === 'loaded' && other.leases === 0 && other.loadWaiters === 0)
        .sort((a, b) => a.useOrder - b.useOrder);
      for (const victim of idle) {
        if (fits()) break;
        victims.push(victim);
        count--;
        memory -= victim.sizeEstimate ?? 0;
      }
      if (!fits()) return false;
    }
    const evictions = victims.map((victim) => this.#startUnload(victim, 'evicted'));
    this.#startLoad(record, evictions);
    return true;
  }

  #startLoad(record: ModelRecord, evictions: Promise<void>[]): void {
    const controller = new AbortController();
    record.state = 'loading';
    record.broken = false;
    record.loadController = controller;
    const startedAt = performance.now();
    record.loadPromise = (async () => {
      await Promise.all(evictions);
      const { plugin, config } = await this.#pluginAndConfig(record);
      controller.signal.throwIfAborted();
      this.emit('load-start', { modelId: record.entry.id });
      this.#logger.info(`Loading model "${record.entry.id}" (${plugin.providerId})`);
      const provider = plugin.create(record.entry.id, config, this.#context(record));
      try {
        await provider.load({
          signal: controller.signal,
          onProgress: ({ fraction }) => this.emit('load-progress', { modelId: record.entry.id, fraction }),
        });
        controller.signal.throwIfAborted();
      } catch (error) {
        await provider.unload().catch(() => undefined);
        throw error;
      }
      return provider;
    })().then(
      (provider) => {
        record.provider = provider;
        record.state = 'loaded';
        const durationMs = performance.now() - startedAt;
        this.emit('load-end', { modelId: record.entry.id, durationMs });
        this.#logger.info(`Loaded model "${record.entry.id}" in ${Math.round(durationMs)} ms`);
        // Nobody wants it any more (everyone aborted while it loaded): honour keep-alive.
        if (record.loadWaiters === 0) this.#scheduleExpiry(record);
      },
      (error: unknown) => {
        record.state = 'unloaded';
        record.loadPromise = undefined;
        this.emit('load-end', { modelId: record.entry.id, durationMs: performance.now() - startedAt, error });
        this.#pump();
        if (controller.signal.aborted) throw abortError(controller.signal);
        if (isHeylookError(error) && error.code !== errorCodes.providerError) throw error;
        throw new HeylookError(
          errorCodes.loadFailed,
          `Model "${record.entry.id}" failed to load: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      },
    );
    // Waiters attach their own handlers; this one keeps a load nobody awaits from being "unhandled".
    record.loadPromise.catch(() => undefined);
  }

  #startUnload(record: ModelRecord, reason: RouterEvents['unload'][0]['reason']): Promise<void> {
    if (record.state === 'unloading') return record.unloadPromise!;
    if (record.state !== 'loaded') return Promise.resolve();
    this.#clearExpiry(record);
    record.state = 'unloading';
    const drained = record.leases === 0 ? Promise.resolve() : new Promise<void>((resolve) => (record.drained = resolve));
    record.unloadPromise = (async () => {
      await drained;
      record.drained = undefined;
      try {
        await record.provider?.unload();
      } catch (error) {
        this.#logger.warn(`Unloading model "${record.entry.id}" failed`, { error: String(error) });
      }
      record.provider = undefined;
      record.state = 'unloaded';
      record.broken = false;
      record.keepAliveMs = undefined;
      record.unloadPromise = undefined;
      this.#logger.info(`Unloaded model "${record.entry.id}" (${reason})`);
      this.emit('unload', { modelId: record.entry.id, reason });
      this.#pump();
    })();
    return record.unloadPromise;
  }

  #enqueue(record: ModelRecord, signal: AbortSignal | undefined): Promise<void> {
    if (this.#waiters.length >= this.maxQueue) {
      return Promise.reject(
        new HeylookError(
          errorCodes.queueFull,
          `Too many requests are waiting for a model (${this.#waiters.length}); try again shortly.`,
          { retryAfterSeconds: 1 },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (error: unknown) => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        cleanup();
        this.emit('queue-change', { depth: this.#waiters.length });
        reject(error);
      };
      const onAbort = () => leave(abortError(signal));
      const cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      const waiter: Waiter = {
        record,
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#queueTimeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            leave(
              new HeylookError(
                errorCodes.modelBusyTimeout,
                `Every loaded model stayed busy for ${this.#queueTimeoutMs} ms, so "${record.entry.id}" could not be loaded; try again later or raise max_loaded_models.`,
                { retryAfterSeconds: 5 },
              ),
            ),
          this.#queueTimeoutMs,
        );
      }
      this.#waiters.push(waiter);
      this.emit('queue-change', { depth: this.#waiters.length });
    });
  }

  /** Lets queued requests in, first come first served, as far as room allows. */
  #pump(): void {
    let changed = false;
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      let admitted: boolean;
      try {
        admitted = head.record.state !== 'unloaded' || this.#admit(head.record);
      } catch (error) {
        this.#waiters.shift();
        head.reject(error);
        changed = true;
        continue;
      }
      if (!admitted) break;
      this.#waiters.shift();
      head.resolve();
      changed = true;
    }
    if (changed) this.emit('queue-change', { depth: this.#waiters.length });
  }

  async #estimate(record: ModelRecord): Promise<void> {
    try {
      const { plugin, config } = await this.#pluginAndConfig(record);
      const estimate = await plugin.estimateMemory?.(config, this.#context(record));
      if (estimate !== undefined) record.sizeEstimate = estimate;
    } catch (error) {
      // A missing provider or bad config is reported by the load itself, with a coded error.
      if (isHeylookError(error)) throw error;
      this.#logger.warn(`Could not estimate the size of "${record.entry.id}"`, { error: String(error) });
    }
    record.sizeKnown = true;
  }

  async #pluginAndConfig(record: ModelRecord): Promise<{ plugin: ProviderPlugin; config: unknown }> {
    const plugin = await this.registry.get(record.entry.provider);
    return { plugin, config: parseProviderConfig(plugin, record.entry).config };
  }

  #context(record: ModelRecord) {
    return { logger: this.#logger, baseDir: record.entry.baseDir };
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
