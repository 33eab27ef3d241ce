import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { createTestRouter } from '../testing/create-test-router.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ModelRouter loading', () => {
  it('loads a cold model once for 50 concurrent acquires', async () => {
    const { router, stats } = createTestRouter({ a: { load_delay_ms: 20 } });
    const leases = await Promise.all(Array.from({ length: 50 }, () => router.acquire('a')));
    expect(stats.loadAttempts).toBe(1);
    expect(new Set(leases.map((lease) => lease.provider)).size).toBe(1);
    expect(router.list().find((model) => model.id === 'a')?.activeRequests).toBe(50);
    for (const lease of leases) lease.release();
  });

  it('does not cache a failed load; every waiter gets the error, the next acquire retries', async () => {
    const { router, stats } = createTestRouter({ a: { fail_loads: 1, load_delay_ms: 5 } });
    const results = await Promise.allSettled([router.acquire('a'), router.acquire('a'), router.acquire('a')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason.code).toBe(errorCodes.loadFailed);
    }
    expect(stats.loadAttempts).toBe(1);
    const lease = await router.acquire('a');
    expect(stats.loadAttempts).toBe(2);
    expect(stats.loads).toBe(1);
    lease.release();
  });

  it('aborting the only waiter aborts the load; a later acquire loads again', async () => {
    const { router, stats } = createTestRouter({ a: { load_delay_ms: 200 } });
    const controller = new AbortController();
    const pending = router.acquire('a', { signal: controller.signal });
    await tick(10);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: errorCodes.aborted });
    await tick(10);
    expect(stats.abortedLoads).toBe(1);
    expect(router.list()[0]?.state).toBe('unloaded');
    const lease = await router.acquire('a');
    expect(stats.loads).toBe(1);
    lease.release();
  });

  it('keeps loading while another waiter still wants the model', async () => {
    const { router, stats } = createTestRouter({ a: { load_delay_ms: 50 } });
    const controller = new AbortController();
    const quitter = router.acquire('a', { signal: controller.signal });
    const stayer = router.acquire('a');
    await tick(5);
    controller.abort();
    await expect(quitter).rejects.toMatchObject({ code: errorCodes.aborted });
    const lease = await stayer;
    expect(stats.loads).toBe(1);
    expect(stats.abortedLoads).toBe(0);
    lease.release();
  });

  it('resolves default model and aliases, and names what exists when a model is unknown', async () => {
    const { router } = createTestRouter({ a: { aliases: ['alpha'] }, b: { enabled: false } }, { defaultModel: 'a' });
    expect(router.resolve(undefined).id).toBe('a');
    expect(router.resolve('alpha').id).toBe('a');
    expect(() => router.resolve('nope')).toThrow(/Available models: a/);
    await expect(router.acquire('b')).rejects.toMatchObject({ code: errorCodes.modelDisabled });
    const { router: noDefault } = createTestRouter({ a: {}, b: {} });
    expect(() => noDefault.resolve(undefined)).toThrow(expect.objectContaining({ code: errorCodes.noModelSpecified }));
  });

  it('defaults to the one enabled model when no default_model is set (serve --model FILE)', () => {
    expect(createTestRouter({ only: {} }).router.resolve(undefined).id).toBe('only');
    expect(createTestRouter({ only: {}, off: { enabled: false } }).router.resolve('').id).toBe('only');
  });
});

describe('ModelRouter residency', () => {
  it('evicts the least recently used idle model', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {}, c: {} }, { maxLoadedModels: 2 });
    (await router.acquire('a')).release();
    (await router.acquire('b')).release();
    (await router.acquire('a')).release(); // a is now more recent than b
    (await router.acquire('c')).release();
    expect([...stats.loaded].sort()).toEqual(['a', 'c']);
    (await router.acquire('b')).release(); // evicts a (least recently used)
    expect([...stats.loaded].sort()).toEqual(['b', 'c']);
    expect(stats.unloads).toBe(2);
  });

  it('never evicts a busy model: a new model waits until one is released', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {}, c: {} }, { maxLoadedModels: 2 });
    const leaseA = await router.acquire('a');
    const leaseB = await router.acquire('b');
    let gotC = false;
    const pendingC = router.acquire('c').then((lease) => {
      gotC = true;
      return lease;
    });
    await tick(20);
    expect(gotC).toBe(false);
    expect(router.queueDepth).toBe(1);
    expect([...stats.loaded].sort()).toEqual(['a', 'b']);
    leaseB.release();
    const leaseC = await pendingC;
    expect([...stats.loaded].sort()).toEqual(['a', 'c']);
    expect(router.queueDepth).toBe(0);
    leaseA.release();
    leaseC.release();
  });

  it('serves the queue first come, first served', async () => {
    const { router } = createTestRouter({ a: {}, b: {}, c: {} }, { maxLoadedModels: 1 });
    const leaseA = await router.acquire('a');
    const order: string[] = [];
    const pendingB = router.acquire('b').then((lease) => (order.push('b'), lease));
    const pendingC = router.acquire('c').then((lease) => (order.push('c'), lease));
    await tick(5);
    leaseA.release();
    const leaseB = await pendingB;
    await tick(5);
    expect(order).toEqual(['b']);
    leaseB.release();
    (await pendingC).release();
    expect(order).toEqual(['b', 'c']);
  });

  it('a request that aborts while queued leaves the queue and does not load', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {} }, { maxLoadedModels: 1 });
    const leaseA = await router.acquire('a');
    const controller = new AbortController();
    const pendingB = router.acquire('b', { signal: controller.signal });
    await tick(5);
    expect(router.queueDepth).toBe(1);
    controller.abort();
    await expect(pendingB).rejects.toMatchObject({ code: errorCodes.aborted });
    expect(router.queueDepth).toBe(0);
    leaseA.release();
    await tick(5);
    expect(stats.loaded.has('b')).toBe(false);
    expect(stats.loadAttempts).toBe(1);
  });

  it('rejects at once with a coded error when the queue is full', async () => {
    const { router } = createTestRouter({ a: {}, b: {}, c: {} }, { maxLoadedModels: 1, maxQueue: 1 });
    const leaseA = await router.acquire('a');
    const queued = router.acquire('b');
    await tick(2);
    const error = await router.acquire('c').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: errorCodes.queueFull, retryAfterSeconds: 1 });
    leaseA.release();
    (await queued).release();
  });

  it('gives up after queue_timeout with a busy error', async () => {
    const { router } = createTestRouter({ a: {}, b: {} }, { maxLoadedModels: 1, queueTimeoutMs: 30 });
    const leaseA = await router.acquire('a');
    await expect(router.acquire('b')).rejects.toMatchObject({ code: errorCodes.modelBusyTimeout });
    expect(router.queueDepth).toBe(0);
    leaseA.release();
  });

  it('respects a memory budget with provider estimates', async () => {
    const { router, stats } = createTestRouter(
      { big: { size_bytes: 600 }, small: { size_bytes: 300 }, mid: { size_bytes: 300 }, huge: { size_bytes: 2000 } },
      { maxLoadedModels: 5, maxMemory: 1000 },
    );
    (await router.acquire('big')).release();
    (await router.acquire('small')).release();
    expect([...stats.loaded].sort()).toEqual(['big', 'small']);
    // Using a resident model within budget evicts nothing, and makes "small" the least recently used.
    (await router.acquire('big')).release();
    expect(stats.unloads).toBe(0);
    // 600 + 300 + 300 > 1000: the least recently used idle model makes room.
    (await router.acquire('mid')).release();
    expect([...stats.loaded].sort()).toEqual(['big', 'mid']);
    const { router: router2, stats: stats2 } = createTestRouter(
      { a: { size_bytes: 600 }, b: { size_bytes: 600 } },
      { maxLoadedModels: 5, maxMemory: 1000 },
    );
    (await router2.acquire('a')).release();
    (await router2.acquire('b')).release();
    expect([...stats2.loaded]).toEqual(['b']);
    await expect(router.acquire('huge')).rejects.toMatchObject({ code: errorCodes.modelTooLarge });
  });
});

describe('ModelRouter keep-alive and recovery', () => {
  it('unloads after the keep-alive expires, and at once for keep_alive 0', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {} }, { keepAliveMs: 40 });
    (await router.acquire('a')).release();
    expect(router.list()[0]?.expiresAt).toBeInstanceOf(Date);
    await tick(15);
    expect(stats.loaded.has('a')).toBe(true);
    await tick(60);
    expect(stats.loaded.has('a')).toBe(false);
    (await router.acquire('b', { keepAlive: 0 })).release();
    await tick(5);
    expect(stats.loaded.has('b')).toBe(false);
  });

  it('pins a model with a negative keep-alive and a request keep-alive outlives the default', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {} }, { keepAliveMs: 20 });
    (await router.acquire('a', { keepAlive: -1 })).release();
    (await router.acquire('b', { keepAlive: '1h' })).release();
    await tick(60);
    expect([...stats.loaded].sort()).toEqual(['a', 'b']);
    expect(router.list().find((model) => model.id === 'a')?.pinned).toBe(true);
    expect(router.list().find((model) => model.id === 'b')?.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it("applies a request's keep-alive to that request only: the next one gets the default again", async () => {
    const { router, stats } = createTestRouter({ a: {}, b: { keep_alive: -1 } }, { keepAliveMs: 60_000 });
    (await router.acquire('a', { keepAlive: -1 })).release();
    expect(router.list()[0]?.pinned).toBe(true);
    (await router.acquire('a')).release();
    expect(router.list()[0]).toMatchObject({ pinned: false, expiresAt: expect.any(Date) });
    (await router.acquire('b')).release();
    expect(router.list()[1]?.pinned).toBe(true);
    (await router.acquire('b', { keepAlive: 0 })).release();
    await tick(5);
    expect(stats.loaded.has('b')).toBe(false);
    (await router.acquire('b')).release();
    await tick(5);
    expect(stats.loaded.has('b')).toBe(true);
  });

  it('rejects an invalid request keep-alive with a coded error', async () => {
    const { router } = createTestRouter({ a: {} });
    await expect(router.acquire('a', { keepAlive: 'forever' })).rejects.toMatchObject({ code: errorCodes.invalidRequest });
  });

  it('does not unload under a request: expiry waits for the lease', async () => {
    const { router, stats } = createTestRouter({ a: {} }, { keepAliveMs: 10 });
    const lease = await router.acquire('a');
    await tick(40);
    expect(stats.loaded.has('a')).toBe(true);
    lease.release();
    await tick(40);
    expect(stats.loaded.has('a')).toBe(false);
  });

  it('an explicit unload waits for in-flight requests', async () => {
    const { router, stats } = createTestRouter({ a: {} });
    const lease = await router.acquire('a');
    const unloading = router.unload('a');
    await tick(10);
    expect(stats.loaded.has('a')).toBe(true);
    lease.release();
    await unloading;
    expect(stats.loaded.has('a')).toBe(false);
  });

  it('marks a model broken on a fatal error, unloads it and reloads on next acquire', async () => {
    const { router, stats } = createTestRouter({ a: { reply: 'one two boom three', crash_on: 'boom' } });
    const lease = await router.acquire('a');
    const first = lease.provider;
    let failure: unknown;
    try {
      for await (const _part of lease.provider.chat({ messages: [{ role: 'user', content: 'hi' }] })) {
        // consume
      }
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ code: errorCodes.providerCrashed, fatal: true });
    lease.release({ error: failure });
    await tick(5);
    expect(stats.unloads).toBe(1);
    const again = await router.acquire('a');
    expect(again.provider).not.toBe(first);
    expect(stats.loads).toBe(2);
    again.release();
  });

  it('a non-fatal error keeps the model loaded', async () => {
    const { router, stats } = createTestRouter({ a: {} });
    const lease = await router.acquire('a');
    lease.release({ error: new Error('client mistake') });
    const again = await router.acquire('a');
    expect(again.provider).toBe(lease.provider);
    expect(stats.loads).toBe(1);
    again.release();
  });

  it('describes an unloaded model once, however often listings ask', async () => {
    const { router, stats } = createTestRouter({ a: {} });
    const [first, second] = await Promise.all([router.describe('a'), router.describe('a')]);
    await router.describe('a');
    expect(first).toMatchObject({ family: 'fake', parameterCount: 1000 });
    expect(second).toBe(first);
    expect(stats.describes).toBe(1);
  });

  it('close() unloads everything and rejects queued requests', async () => {
    const { router, stats } = createTestRouter({ a: {}, b: {} }, { maxLoadedModels: 1 });
    const lease = await router.acquire('a');
    const queued = router.acquire('b');
    await tick(2);
    const closing = router.close();
    await expect(queued).rejects.toMatchObject({ code: errorCodes.closed });
    lease.release();
    await closing;
    expect(stats.loaded.size).toBe(0);
  });
});

describe('ModelRouter load timing', () => {
  it('reports the whole wait for a load to the requests that waited, and nothing once loaded', async () => {
    const { router } = createTestRouter({ a: { load_delay_ms: 40 } });
    const first = await router.acquire('a');
    expect(first.loadedNow).toBe(true);
    expect(first.loadDurationMs).toBeGreaterThanOrEqual(35);
    first.release();
    const second = await router.acquire('a');
    expect(second).toMatchObject({ loadedNow: false, loadDurationMs: 0 });
    second.release();
  });
});
