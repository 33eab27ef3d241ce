import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { adjacentSlackTokens, PrefixSlotPool } from './prefix-slot-pool.js';

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

  it('with adjacent, keeps busy slots side by side where least recently used would scatter them', async () => {
    const taken = async (pool: PrefixSlotPool<{ tokens: number[] }>, slots: { tokens: number[] }[]) => {
      const all = await Promise.all(slots.map(() => pool.take([1, 2, 3])));
      for (const index of [0, 2, 4, 1, 3, 5]) all.find((lease) => lease.slot === slots[index])!.release();
      const leases = [await pool.take([1, 2, 3, 4]), await pool.take([1, 2, 3, 5]), await pool.take([1, 2, 3, 6])];
      return leases.map((lease) => slots.indexOf(lease.slot));
    };
    const slots = () => Array.from({ length: 6 }, () => ({ tokens: [1, 2, 3] }));
    const plain = slots();
    expect(await taken(new PrefixSlotPool(plain, (slot) => slot.tokens), plain)).toEqual([0, 2, 4]);
    const adjacent = slots();
    expect(await taken(new PrefixSlotPool(adjacent, (slot) => slot.tokens, { adjacent: true }), adjacent)).toEqual([0, 1, 2]);
  });

  it('with adjacent, still takes a slot holding a much longer prefix than the neighbours', async () => {
    const prompt = Array.from({ length: 100 }, (_, index) => index);
    const pick = async (farPrefix: number) => {
      const slots = [{ tokens: [7] }, { tokens: prompt.slice(0, 10) }, { tokens: [7] }, { tokens: prompt.slice(0, farPrefix) }];
      const pool = new PrefixSlotPool(slots, (slot) => slot.tokens, { adjacent: true });
      await pool.take([7]); // slot 0 busy: slot 1 is its neighbour
      return slots.indexOf((await pool.take(prompt)).slot);
    };
    expect(await pick(10 + adjacentSlackTokens)).toBe(1);
    expect(await pick(11 + adjacentSlackTokens)).toBe(3);
  });
});
