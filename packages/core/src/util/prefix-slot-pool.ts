import { abortError } from '../errors/heylook-error.js';
import { abortable } from './abortable.js';

export interface SlotLease<Slot> {
  slot: Slot;
  /** Prompt tokens the slot already holds (reused, not evaluated again). */
  reused: number;
  release(): void;
}

/**
 * A provider's decoding slots (sequences, KV caches). A request takes the free slot that
 * already holds the longest prefix of its prompt, so a follow-up turn lands where its
 * conversation was evaluated (llama-server's slot selection); ties go to the least recently
 * used. When every slot is busy, requests wait first come, first served, and leave the
 * line when their signal aborts.
 */
export class PrefixSlotPool<Slot> {
  readonly #slots: { slot: Slot; busy: boolean; lastUsed: number }[];
  readonly #waiters: (() => void)[] = [];
  #clock = 0;

  constructor(
    slots: Slot[],
    private readonly tokensOf: (slot: Slot) => readonly number[],
  ) {
    this.#slots = slots.map((slot) => ({ slot, busy: false, lastUsed: 0 }));
  }

  /** Slots held by requests now; 0 once every request ended, however it ended. */
  get busyCount(): number {
    return this.#slots.filter((entry) => entry.busy).length;
  }

  async take(prompt: readonly number[], signal?: AbortSignal): Promise<SlotLease<Slot>> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const free = this.#slots.filter((entry) => !entry.busy);
      if (free.length > 0) return this.#lease(free, prompt);
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.#waiters.push(wake);
      await abortable(woken, signal).catch((error: unknown) => {
        const index = this.#waiters.indexOf(wake);
        if (index >= 0) this.#waiters.splice(index, 1);
        else this.#waiters.shift()?.(); // woken as we aborted: pass the turn on
        throw error;
      });
    }
  }

  #lease(free: { slot: Slot; busy: boolean; lastUsed: number }[], prompt: readonly number[]): SlotLease<Slot> {
    let best = free[0]!;
    let bestPrefix = -1;
    for (const entry of free) {
      const prefix = commonPrefix(this.tokensOf(entry.slot), prompt);
      if (prefix > bestPrefix || (prefix === bestPrefix && entry.lastUsed < best.lastUsed)) {
        best = entry;
        bestPrefix = prefix;
      }
    }
    best.busy = true;
    let released = false;
    return {
      slot: best.slot,
      // The last prompt token is always evaluated again, to produce the next token's logits.
      reused: Math.max(0, Math.min(bestPrefix, prompt.length - 1)),
      release: () => {
        if (released) return;
        released = true;
        best.busy = false;
        best.lastUsed = ++this.#clock;
        this.#waiters.shift()?.();
      },
    };
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a[index] === b[index]) index++;
  return index;
}
