import { createHash } from 'node:crypto';
import { abortError, errorCodes, HeylookError, type ProviderLogger } from '@heylook/core';
import type { UpstreamUrl } from './upstream-url.js';

export interface Replica {
  readonly index: number;
  readonly url: UpstreamUrl;
  /** Requests running on it now. */
  outstanding: number;
  /** Requests it was given since the pool started (attempts, fail-overs included). */
  served: number;
  healthy: boolean;
  /** Consecutive failed checks since it went down (sets the backoff). */
  failures: number;
  /** Why it went down, for readiness and errors. */
  problem?: string;
}

export interface ReplicaPoolOptions {
  urls: UpstreamUrl[];
  /** Requests one replica runs at once. */
  maxParallel: number;
  /** Interval of health checks of healthy replicas, in ms; 0 turns them off. */
  healthIntervalMs: number;
  /** Longest wait before a down replica is checked again, in ms. */
  maxBackoffMs: number;
  /** Most requests waiting for a free replica; past it, acquire fails with a 429. */
  maxQueue: number;
  /** Resolves when the replica answers its health check, rejects with the reason otherwise. */
  check(replica: Replica): Promise<void>;
  logger: ProviderLogger;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Requests with the same key prefer the same replica (prefix-cache stickiness). */
  stickyKey?: string;
  /** Replicas this request already failed on. */
  exclude?: ReadonlySet<Replica>;
}

/** A request's slot on a replica; release it exactly once. */
export interface ReplicaLease {
  replica: Replica;
  release(): void;
}

interface Waiter {
  options: AcquireOptions;
  resolve(lease: ReplicaLease): void;
  reject(error: unknown): void;
}

const firstBackoffMs = 250;

/**
 * Replicas of one model. Picks the healthy replica with the fewest requests running (or the
 * sticky one, while it has room), queues requests when every replica is full, takes a
 * failing replica out and checks it again with exponential backoff until it answers.
 */
export class ReplicaPool {
  readonly replicas: Replica[];
  readonly #options: ReplicaPoolOptions;
  readonly #waiters: Waiter[] = [];
  readonly #retryTimers = new Map<Replica, NodeJS.Timeout>();
  /** Replicas with a check in flight: a slow check is not stacked with the next one. */
  readonly #checking = new Set<Replica>();
  #healthTimer: NodeJS.Timeout | undefined;
  #rotation = 0;
  #closed = false;

  constructor(options: ReplicaPoolOptions) {
    this.#options = options;
    this.replicas = options.urls.map((url, index) => ({ index, url, outstanding: 0, served: 0, healthy: true, failures: 0 }));
  }

  /** Checks every replica once, then keeps checking them in the background. */
  async start(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => this.#runCheck(replica)));
    if (this.#options.healthIntervalMs > 0 && !this.#closed) {
      this.#healthTimer = setInterval(() => {
        for (const replica of this.replicas) if (replica.healthy) void this.#runCheck(replica);
      }, this.#options.healthIntervalMs);
      this.#healthTimer.unref();
    }
  }

  /** Stops the checks and fails waiting requests. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#healthTimer);
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new HeylookError(errorCodes.closed, 'The model was unloaded.'));
  }

  get healthyCount(): number {
    return this.replicas.filter((replica) => replica.healthy).length;
  }

  /**
   * A slot on the best replica for this request, waiting (abortably) while all usable ones
   * are full. Throws when no replica is usable: all are down or already failed this request.
   */
  acquire(options: AcquireOptions = {}): Promise<ReplicaLease> {
    if (this.#closed) return Promise.reject(new HeylookError(errorCodes.closed, 'The model was unloaded.'));
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    const usable = this.#usable(options);
    if (usable.length === 0) return Promise.reject(this.#noReplicaError(options));
    const picked = this.#pick(usable, options.stickyKey);
    if (picked) return Promise.resolve(this.#lease(picked));
    if (this.#waiters.length >= this.#options.maxQueue) {
      return Promise.reject(
        new HeylookError(errorCodes.queueFull, `All ${this.replicas.length} upstream replica(s) are busy and ${this.#waiters.length} requests wait already.`, {
          retryAfterSeconds: 1,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { options, resolve, reject };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(abortError(options.signal));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      waiter.resolve = (lease) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(lease);
      };
      waiter.reject = (error) => {
        options.signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      this.#waiters.push(waiter);
    });
  }

  /** A request failed in a way that says the replica is down: take it out until it answers again. */
  markDown(replica: Replica, problem: string): void {
    if (!replica.healthy || this.#closed) return;
    replica.healthy = false;
    replica.failures = 0;
    replica.problem = problem;
    this.#options.logger.warn(`upstream ${replica.url.label} is down; retrying it with backoff`, { problem });
    this.#scheduleRetry(replica);
    // Waiters that can only use this replica must not wait for it.
    this.#drain();
  }

  #lease(replica: Replica): ReplicaLease {
    replica.outstanding++;
    replica.served++;
    let released = false;
    return {
      replica,
      release: () => {
        if (released) return;
        released = true;
        replica.outstanding--;
        this.#drain();
      },
    };
  }

  #usable(options: AcquireOptions): Replica[] {
    return this.replicas.filter((replica) => replica.healthy && !options.exclude?.has(replica));
  }

  /** Sticky replica if it has room, else the least loaded (ties rotate), else none. */
  #pick(usable: Replica[], stickyKey: string | undefined): Replica | undefined {
    const withRoom = usable.filter((replica) => replica.outstanding < this.#options.maxParallel);
    if (withRoom.length === 0) return undefined;
    if (stickyKey !== undefined) {
      const sticky = rendezvous(usable, stickyKey);
      if (sticky && sticky.outstanding < this.#options.maxParallel) return sticky;
    }
    const start = this.#rotation++ % withRoom.length;
    let best = withRoom[start]!;
    for (let offset = 1; offset < withRoom.length; offset++) {
      const candidate = withRoom[(start + offset) % withRoom.length]!;
      if (candidate.outstanding < best.outstanding) best = candidate;
    }
    return best;
  }

  /** Hands free slots to waiters in FIFO order; fails waiters no replica can serve any more. */
  #drain(): void {
    for (let index = 0; index < this.#waiters.length; ) {
      const waiter = this.#waiters[index]!;
      const usable = this.#usable(waiter.options);
      if (usable.length === 0) {
        this.#waiters.splice(index, 1);
        waiter.reject(this.#noReplicaError(waiter.options));
        continue;
      }
      const picked = this.#pick(usable, waiter.options.stickyKey);
      if (!picked) {
        index++;
        continue;
      }
      this.#waiters.splice(index, 1);
      waiter.resolve(this.#lease(picked));
    }
  }

  #noReplicaError(options: AcquireOptions): HeylookError {
    const down = this.replicas.filter((replica) => !replica.healthy);
    const names = down.map((replica) => `${replica.url.label} (${replica.problem ?? 'down'})`).join(', ');
    const tried = this.replicas.length - down.length;
    return new HeylookError(
      errorCodes.modelBusyTimeout,
      down.length > 0
        ? `No upstream can take the request: ${names}${tried > 0 && options.exclude?.size ? `; the others failed it` : ''}. Try again shortly.`
        : 'Every upstream replica failed this request. Try again shortly.',
      { retryAfterSeconds: 1 },
    );
  }

  async #runCheck(replica: Replica): Promise<void> {
    if (this.#checking.has(replica)) return;
    this.#checking.add(replica);
    try {
      await this.#options.check(replica);
      if (!replica.healthy && !this.#closed) {
        this.#options.logger.info(`upstream ${replica.url.label} is back`);
        replica.healthy = true;
        replica.failures = 0;
        delete replica.problem;
        this.#drain();
      }
    } catch (error) {
      if (replica.healthy) this.markDown(replica, messageOf(error));
      else {
        replica.failures++;
        replica.problem = messageOf(error);
        this.#scheduleRetry(replica);
      }
    } finally {
      this.#checking.delete(replica);
    }
  }

  #scheduleRetry(replica: Replica): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimers.get(replica));
    const delay = Math.min(this.#options.maxBackoffMs, firstBackoffMs * 2 ** replica.failures);
    const timer = setTimeout(() => {
      this.#retryTimers.delete(replica);
      void this.#runCheck(replica);
    }, delay);
    timer.unref();
    this.#retryTimers.set(replica, timer);
  }
}

/** Highest-random-weight hashing: each key has a stable favourite, and only a lost replica's keys move. */
export function rendezvous(replicas: Replica[], key: string): Replica | undefined {
  let best: Replica | undefined;
  let bestScore = -1;
  for (const replica of replicas) {
    const score = createHash('sha256').update(`${key}\0${replica.url.api}`).digest().readUInt32BE(0);
    if (score > bestScore) {
      best = replica;
      bestScore = score;
    }
  }
  return best;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
