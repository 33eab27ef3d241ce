import type { NativeModel, NativeSampling } from './native-binding.js';

interface PendingStep {
  sequence: number;
  token: number;
  sampling: NativeSampling;
  resolve: (token: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Continuous batching of decode steps: requests that want their next token while a batch is
 * running wait for it to finish and then go together in one forward pass (`stepBatch`), so
 * the weights are read once per step for all of them instead of once per request.
 */
export class DecodeBatcher {
  #pending: PendingStep[] = [];
  #running = false;
  /** Batches run and rows decoded, for benchmarks. */
  batches = 0;
  rows = 0;

  constructor(private readonly model: NativeModel) {}

  step(sequence: number, token: number, sampling: NativeSampling): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ sequence, token, sampling, resolve, reject });
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
        const next = await this.model.stepBatch(
          Int32Array.from(batch.map((step) => step.sequence)),
          Int32Array.from(batch.map((step) => step.token)),
          batch.map((step) => step.sampling),
        );
        this.batches++;
        this.rows += batch.length;
        batch.forEach((step, index) => step.resolve(next[index]!));
      } catch (error) {
        for (const step of batch) step.reject(error);
      }
    }
    this.#running = false;
  }
}
