import { describe, expect, it } from 'vitest';
import { CpuShare, cpuShare } from './cpu-share.js';

describe('CpuShare', () => {
  it('tells working engines their share of the cores while more than one works, and nothing when one works alone', () => {
    const share = new CpuShare(8);
    const told = { a: [] as (number | undefined)[], b: [] as (number | undefined)[], c: [] as (number | undefined)[] };
    const a = share.register('a', (threads) => told.a.push(threads));
    const b = share.register('b', (threads) => told.b.push(threads));
    const c = share.register('c', (threads) => told.c.push(threads));

    const endA = a.begin();
    expect(told.a).toEqual([]); // alone: its own choice, as before
    const endA2 = a.begin(); // a second request on the same engine changes nothing
    const endB = b.begin();
    expect(told).toEqual({ a: [4], b: [4], c: [] });
    const endC = c.begin();
    expect(told).toEqual({ a: [4, 2], b: [4, 2], c: [2] });
    endA();
    expect(told.a).toEqual([4, 2]); // a still has one piece of work
    endA2();
    expect(told).toEqual({ a: [4, 2, undefined], b: [4, 2, 4], c: [2, 4] });
    endB();
    endB(); // ending twice counts once
    expect(told).toEqual({ a: [4, 2, undefined], b: [4, 2, 4, undefined], c: [2, 4, undefined] });
    expect(share.share()).toBeUndefined();
    endC();
  });

  it('gives each engine at least one thread, and forgets a disposed engine', () => {
    const share = new CpuShare(2);
    const told: (number | undefined)[] = [];
    const a = share.register('a', (threads) => told.push(threads));
    const b = share.register('b', () => {});
    const c = share.register('c', () => {});
    a.begin();
    b.begin();
    c.begin();
    expect(told).toEqual([1]);
    expect(share.snapshot()).toEqual([
      { name: 'a', working: 1, threads: 1 },
      { name: 'b', working: 1, threads: 1 },
      { name: 'c', working: 1, threads: 1 },
    ]);
    c.dispose();
    b.dispose();
    expect(told).toEqual([1, undefined]);
  });

  it('counts a job run through work() as working until it settles, also when it fails', async () => {
    const share = new CpuShare(4);
    const told: (number | undefined)[] = [];
    const a = share.register('a', (threads) => told.push(threads));
    const b = share.register('b', () => {});
    const endB = b.begin();
    let finish!: () => void;
    const job = a.work(() => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    expect(told).toEqual([2]);
    finish();
    expect(await job).toBe('done');
    expect(told).toEqual([2, undefined]);
    await expect(a.work(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(told).toEqual([2, undefined, 2, undefined]);
    endB();
  });

  it('is one per process', () => {
    expect(cpuShare()).toBe(cpuShare());
  });
});
