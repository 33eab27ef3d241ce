import type { NativeModel, NativeSampling } from './native-binding.js';

interface PendingStep {
  sequence: number;
  token: number;
  sampling: NativeSampling;
  steps: number;
  stops: readonly number[];
  resolve: (tokens: number[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Continuous batching of decode steps: requests that want their next tokens while a batch is
 * running wait for it to finish and then go together in one native call (`decodeBatch`), so
 * the weights are read once per step for all of them instead of once per request. A call runs
 * as many steps as the row asking for the fewest wants, so a row decoding one token at a time
 * (a new or a constrained one) is not kept waiting by the others' longer chunks.
 */
export class DecodeBatcher {
  #pending: PendingStep[] = [];
  #running = false;
  /** For benchmarks and tests: forward passes, rows decoded in them (tokens), and rows handed back to requests. */
  batches = 0;
  rows = 0;
  handoffs = 0;

  constructor(private readonly model: NativeModel) {}

  /**
   * Feeds `token` to `sequence` and resolves with up to `steps` tokens decoded after it; fewer
   * when one of `stops` (returned last) ends them first. The last one is not evaluated yet.
   */
  step(sequence: number, token: number, sampling: NativeSampling, steps: number, stops: readonly number[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ sequence, token, sampling, steps, stops, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#pending.length > 0) {
      // Let the requests whose tokens just arrived handle them and ask for their next step,
      // so they join this batch rather than the one after.
      await new Promise((resolve) => setImmediate(resolve));
      const batch = this.#pending.splice(0);
      try {
        const steps = Math.min(...batch.map((step) => step.steps));
        // Rows of one model share their stop ids; were they to differ, a row ended by another's stop id just gets a shorter chunk.
        const stops = new Set(batch.flatMap((step) => step.stops));
        const out = await this.model.decodeBatch(
          Int32Array.from(batch.map((step) => step.sequence)),
          Int32Array.from(batch.map((step) => step.token)),
          batch.map((step) => step.sampling),
          new Int32Array(batch.length).fill(steps),
          Int32Array.from(stops),
        );
        const counts = Array.from(out.subarray(0, batch.length));
        // Every step is one forward pass, for as long as any row is still decoding.
        this.batches += Math.max(...counts);
        this.rows += out.length - batch.length;
        this.handoffs += batch.length;
        let offset = batch.length;
        batch.forEach((step, index) => {
          const count = counts[index]!;
          step.resolve(Array.from(out.subarray(offset, offset + count)));
          offset += count;
        });
      } catch (error) {
        for (const step of batch) step.reject(error);
      }
    }
    this.#running = false;
  }
}
