import { errorCodes, silentLogger } from '@heylook/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaPool, type ReplicaPoolOptions } from './replica-pool.js';
import { upstreamUrl } from './upstream-url.js';

const pools: ReplicaPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

/** A pool over three made-up replicas whose health is whatever `up` says. */
function createPool(options: Partial<ReplicaPoolOptions> = {}, up = new Set(['a', 'b', 'c'])) {
  const pool = new ReplicaPool({
    urls: ['a', 'b', 'c'].map((name) => upstreamUrl(`http://${name}:1`)),
    maxParallel: 2,
    healthIntervalMs: 0,
    maxBackoffMs: 20,
    maxQueue: 4,
    check: async (replica) => {
      if (!up.has(new URL(replica.url.api).hostname)) throw new Error('connection refused');
    },
    logger: silentLogger,
    ...options,
  });
  pools.push(pool);
  return { pool, up };
}
const host = (lease: { replica: { url: { api: string } } }) => new URL(lease.replica.url.api).hostname;
const until = async (condition: () => boolean) => {
  for (let tries = 0; !condition(); tries++) {
    if (tries > 200) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('ReplicaPool', () => {
  it('spreads requests to the replica with the fewest outstanding, then queues when all are full', async () => {
    const { pool } = createPool();
    await pool.start();
    const leases = await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
    expect(leases.map(host).sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    let queued: string | undefined;
    const waiting = pool.acquire().then((lease) => (queued = host(lease)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(queued).toBeUndefined();
    const freed = leases.find((lease) => host(lease) === 'b')!;
    freed.release();
    freed.release(); // idempotent: must not free a second slot
    await waiting;
    expect(queued).toBe('b');
    expect(pool.replicas.map((replica) => replica.outstanding)).toEqual([2, 2, 2]);
  });

  it('refuses past its queue bound with a 429-coded error, and drops aborted waiters', async () => {
    const { pool } = createPool({ maxQueue: 1 });
    await pool.start();
    await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal });
    await expect(pool.acquire()).rejects.toMatchObject({ code: errorCodes.queueFull, retryAfterSeconds: 1 });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: errorCodes.aborted });
  });

  it('keeps a conversation on one replica while it has room', async () => {
    const { pool } = createPool();
    await pool.start();
    const first = await pool.acquire({ stickyKey: 'conversation-1' });
    first.release();
    for (let turn = 0; turn < 5; turn++) {
      const lease = await pool.acquire({ stickyKey: 'conversation-1' });
      expect(lease.replica).toBe(first.replica);
      lease.release();
    }
    const hosts = new Set<string>();
    for (let key = 0; key < 30; key++) {
      const lease = await pool.acquire({ stickyKey: `conversation-${key}` });
      hosts.add(host(lease));
      lease.release();
    }
    expect(hosts.size).toBe(3);
    // Full sticky replica: load wins.
    const held = [await pool.acquire({ stickyKey: 'conversation-1' }), await pool.acquire({ stickyKey: 'conversation-1' })];
    expect(held.every((lease) => lease.replica === first.replica)).toBe(true);
    expect((await pool.acquire({ stickyKey: 'conversation-1' })).replica).not.toBe(first.replica);
  });

  it('takes a down replica out, names it when nothing is left, and brings it back once it answers', async () => {
    const { pool, up } = createPool({}, new Set(['a']));
    await pool.start();
    expect(pool.replicas.map((replica) => replica.healthy)).toEqual([true, false, false]);
    const lease = await pool.acquire();
    expect(host(lease)).toBe('a');
    pool.markDown(lease.replica, 'ECONNRESET');
    lease.release();
    const error = await pool.acquire().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: errorCodes.modelBusyTimeout, retryAfterSeconds: 1 });
    expect((error as Error).message).toContain('http://a:1/v1 (ECONNRESET)');
    up.add('b');
    await until(() => pool.replicas[1]!.healthy);
    expect(host(await pool.acquire())).toBe('b');
    // c, still down, keeps being checked with backoff (its re-check may come just after b's).
    await until(() => pool.replicas[2]!.failures > 0);
    expect(pool.replicas[2]!.failures).toBeGreaterThan(0);
  });

  it('excludes replicas a request already failed on', async () => {
    const { pool } = createPool();
    await pool.start();
    const first = await pool.acquire();
    const second = await pool.acquire({ exclude: new Set([first.replica]) });
    const third = await pool.acquire({ exclude: new Set([first.replica, second.replica]) });
    expect(new Set([first.replica, second.replica, third.replica]).size).toBe(3);
    await expect(pool.acquire({ exclude: new Set(pool.replicas) })).rejects.toMatchObject({ code: errorCodes.modelBusyTimeout });
  });

  it('fails waiting requests when it closes', async () => {
    const { pool } = createPool();
    await pool.start();
    await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
    const waiting = pool.acquire();
    pool.close();
    await expect(waiting).rejects.toMatchObject({ code: errorCodes.closed });
  });
});
