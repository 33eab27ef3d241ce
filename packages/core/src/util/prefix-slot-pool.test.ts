import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { PrefixSlotPool } from './prefix-slot-pool.js';

const pool = () => {
  const slots = [{ tokens: [1, 2, 3, 4] }, { tokens: [1, 9] }];
  return { slots, pool: new PrefixSlotPool(slots, (slot) => slot.tokens) };
};

describe('PrefixSlotPool', () => {
  it('picks the free slot with the longest shared prefix and reports what it reuses', async () => {
    const { slots, pool: slotPool } = pool();
    const lease = await slotPool.take([1, 2, 3, 7]);
    expect(lease.slot).toBe(slots[0]);
    expect(lease.reused).toBe(3);
    const other = await slotPool.take([1, 2, 3, 7]);
    expect(other.slot).toBe(slots[1]);
    expect(other.reused).toBe(1);
    // A prompt the slot holds entirely still evaluates its last token.
    lease.release();
    expect((await slotPool.take([1, 2, 3, 4])).reused).toBe(3);
  });

  it('queues when all slots are busy, in order, and lets aborted waiters leave', async () => {
    const { pool: slotPool } = pool();
    const first = await slotPool.take([5]);
    const second = await slotPool.take([5]);
    const order: string[] = [];
    const controller = new AbortController();
    const quitter = slotPool.take([5], controller.signal);
    const a = slotPool.take([5]).then((lease) => (order.push('a'), lease));
    const b = slotPool.take([5]).then((lease) => (order.push('b'), lease));
    controller.abort();
    await expect(quitter).rejects.toMatchObject({ code: errorCodes.aborted });
    first.release();
    second.release();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });
});
