import type { OpenAIChatMessage } from './request-schemas.js';

/** What /v1/responses keeps of a response: the object GET returns and the conversation it ends. */
export interface StoredResponse {
  /** The Response object, as POST returned it. */
  response: { id: string; model: string } & Record<string, unknown>;
  /** Every message up to and including this response's output (instructions excluded), for previous_response_id. */
  conversation: readonly OpenAIChatMessage[];
}

export interface ResponseStoreOptions {
  /** How many responses are kept (default 200); past that the least recently used goes. */
  maxEntries?: number;
  /** A response not read or written for this long is dropped (default 1 hour). */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * The bounded in-memory store behind `store`, `previous_response_id`, GET and DELETE
 * /v1/responses/{id}. It lives as long as the server process. Evicted are, first, entries
 * idle for longer than the TTL (a read through previous_response_id or GET counts as use),
 * then the least recently used entries while there are more than `maxEntries`. Each entry
 * holds its whole conversation, so evicting an older turn never breaks a newer one.
 */
export class ResponseStore {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly #now: () => number;
  /** Map order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, { value: StoredResponse; lastUsed: number }>();

  constructor(options: ResponseStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 200;
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
    if (!(this.maxEntries >= 0) || !(this.ttlMs > 0)) throw new RangeError('ResponseStore needs maxEntries >= 0 and ttlMs > 0.');
  }

  get size(): number {
    this.#expire();
    return this.#entries.size;
  }

  set(value: StoredResponse): void {
    this.#expire();
    if (this.maxEntries === 0) return;
    this.#entries.delete(value.response.id);
    this.#entries.set(value.response.id, { value, lastUsed: this.#now() });
    for (const id of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(id);
    }
  }

  /** The response, or undefined when it was never stored, was deleted or was evicted. */
  get(id: string): StoredResponse | undefined {
    this.#expire();
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    entry.lastUsed = this.#now();
    this.#entries.set(id, entry);
    return entry.value;
  }

  delete(id: string): boolean {
    this.#expire();
    return this.#entries.delete(id);
  }

  #expire(): void {
    const cutoff = this.#now() - this.ttlMs;
    // Oldest use first, so the scan stops at the first entry still fresh.
    for (const [id, entry] of this.#entries) {
      if (entry.lastUsed > cutoff) break;
      this.#entries.delete(id);
    }
  }
}
