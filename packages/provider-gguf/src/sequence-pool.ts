import { abortable, abortError } from '@heylook/core';
import type { LlamaContextSequence, Token } from 'node-llama-cpp';

export interface SequenceLease {
  sequence: LlamaContextSequence;
  /** Prompt tokens already evaluated in this sequence (reused, not read again). */
  cachedTokens: number;
  release(): void;
}

interface Slot {
  sequence: LlamaContextSequence;
  busy: boolean;
  lastUsed: number;
}

/**
 * The sequences of one context. A request takes the free sequence that already holds the
 * longest prefix of its prompt (so a follow-up turn lands where its conversation was
 * evaluated, as llama-server's slot selection does); ties go to the least recently used.
 * When all are busy, requests wait first come, first served.
 */
export class SequencePool {
  readonly #slots: Slot[];
  readonly #waiters: (() => void)[] = [];
  #clock = 0;

  constructor(sequences: LlamaContextSequence[]) {
    this.#slots = sequences.map((sequence) => ({ sequence, busy: false, lastUsed: 0 }));
  }

  get size(): number {
    return this.#slots.length;
  }

  get busyCount(): number {
    return this.#slots.filter((slot) => slot.busy).length;
  }

  async acquire(promptTokens: readonly Token[], signal?: AbortSignal): Promise<SequenceLease> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const free = this.#slots.filter((slot) => !slot.busy);
      if (free.length > 0 && this.#waiters.length === 0) return this.#take(free, promptTokens);
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.#waiters.push(wake);
      await abortable(woken, signal).catch((error: unknown) => {
        const index = this.#waiters.indexOf(wake);
        if (index >= 0) this.#waiters.splice(index, 1);
        else this.#wakeNext(); // we were woken as we aborted: pass the turn on
        throw error;
      });
      const stillFree = this.#slots.filter((slot) => !slot.busy);
      if (stillFree.length > 0) return this.#take(stillFree, promptTokens);
    }
  }

  #take(free: Slot[], promptTokens: readonly Token[]): SequenceLease {
    let best = free[0]!;
    let bestPrefix = -1;
    for (const slot of free) {
      const prefix = commonPrefix(slot.sequence.contextTokens, promptTokens);
      if (prefix > bestPrefix || (prefix === bestPrefix && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestPrefix = prefix;
      }
    }
    best.busy = true;
    let released = false;
    return {
      sequence: best.sequence,
      // The last prompt token is always evaluated again to produce logits.
      cachedTokens: Math.max(0, Math.min(bestPrefix, promptTokens.length - 1)),
      release: () => {
        if (released) return;
        released = true;
        best.busy = false;
        best.lastUsed = ++this.#clock;
        this.#wakeNext();
      },
    };
  }

  #wakeNext(): void {
    this.#waiters.shift()?.();
  }
}

function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a[index] === b[index]) index++;
  return index;
}
