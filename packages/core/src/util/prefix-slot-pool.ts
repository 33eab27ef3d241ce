import { abortError } from '../errors/heylook-error.js';
import { abortable } from './abortable.js';

interface SlotEntry<Slot> {
  slot: Slot;
  busy: boolean;
  lastUsed: number;
}

export interface SlotLease<Slot> {
  slot: Slot;
  /** Prompt tokens the slot already holds (reused, not evaluated again). */
  reused: number;
  release(): void;
}

export interface PrefixSlotPoolOptions {
  /**
   * Keep busy slots side by side: among the free slots whose prefix is within
   * `adjacentSlackTokens` of the longest, take one next to a busy slot (next to two first).
   * For llama.cpp, whose contexts with one KV cache per sequence decode a batch in one pass
   * per run of consecutive sequence ids: slots 0, 2 and 5 busy cost three passes per token,
   * slots 0, 1 and 2 one.
   */
  adjacent?: boolean;
}

/** How much shorter a prefix an adjacent slot may hold: re-evaluating that much costs one prompt chunk. */
export const adjacentSlackTokens = 32;

/**
 * A provider's decoding slots (sequences, KV caches). A request takes the free slot that
 * already holds the longest prefix of its prompt, so a follow-up turn lands where its
 * conversation was evaluated (llama-server's slot selection); ties go to the least recently
 * used (with `adjacent`, see there). When every slot is busy, requests wait first come, first
 * served, and leave the line when their signal aborts.
 */
export class PrefixSlotPool<Slot> {
  readonly #slots: SlotEntry<Slot>[];
  readonly #waiters: (() => void)[] = [];
  #clock = 0;

  constructor(
    slots: Slot[],
    private readonly tokensOf: (slot: Slot) => readonly number[],
    private readonly options: PrefixSlotPoolOptions = {},
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

  #lease(free: SlotEntry<Slot>[], prompt: readonly number[]): SlotLease<Slot> {
    const scored = free.map((entry) => ({ entry, prefix: commonPrefix(this.tokensOf(entry.slot), prompt), neighbours: 0 }));
    if (this.options.adjacent) {
      const longest = Math.max(...scored.map((candidate) => candidate.prefix));
      for (const candidate of scored) {
        if (longest - candidate.prefix <= adjacentSlackTokens) candidate.neighbours = this.#busyNeighbours(candidate.entry);
      }
    }
    scored.sort((a, b) => b.neighbours - a.neighbours || b.prefix - a.prefix || a.entry.lastUsed - b.entry.lastUsed);
    const { entry: best, prefix: bestPrefix } = scored[0]!;
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

  #busyNeighbours(entry: SlotEntry<Slot>): number {
    const index = this.#slots.indexOf(entry);
    return Number(this.#slots[index - 1]?.busy === true) + Number(this.#slots[index + 1]?.busy === true);
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a[index] === b[index]) index++;
  return index;
}
