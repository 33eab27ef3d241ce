import { CallBatcher } from './call-batcher.js';
import type { NativeModel, NativeSampling } from './native-binding.js';

interface DecodeRow {
  sequence: number;
  token: number;
  sampling: NativeSampling;
  steps: number;
  stops: readonly number[];
}

/**
 * Continuous batching of decode steps: requests that want their next tokens while a batch is
 * running wait for it to finish and then go together in one native call (`decodeBatch`), so
 * the weights are read once per step for all of them instead of once per request. A call runs
 * as many steps as the row asking for the fewest wants, so a row decoding one token at a time
 * (a new or a constrained one) is not kept waiting by the others' longer chunks.
 */
export class DecodeBatcher extends CallBatcher<DecodeRow, number[]> {
  /** For benchmarks and tests: forward passes, rows decoded in them (tokens), and rows handed back to requests. */
  batches = 0;
  rows = 0;
  handoffs = 0;

  constructor(private readonly model: NativeModel) {
    super();
  }

  /**
   * Feeds `token` to `sequence` and resolves with up to `steps` tokens decoded after it; fewer
   * when one of `stops` (returned last) ends them first. The last one is not evaluated yet.
   */
  step(sequence: number, token: number, sampling: NativeSampling, steps: number, stops: readonly number[]): Promise<number[]> {
    return this.enqueue({ sequence, token, sampling, steps, stops });
  }

  protected async run(batch: DecodeRow[]): Promise<number[][]> {
    const steps = Math.min(...batch.map((row) => row.steps));
    // Rows of one model share their stop ids; were they to differ, a row ended by another's stop id just gets a shorter chunk.
    const stops = new Set(batch.flatMap((row) => row.stops));
    const out = await this.model.decodeBatch(
      Int32Array.from(batch.map((row) => row.sequence)),
      Int32Array.from(batch.map((row) => row.token)),
      batch.map((row) => row.sampling),
      new Int32Array(batch.length).fill(steps),
      Int32Array.from(stops),
    );
    const counts = Array.from(out.subarray(0, batch.length));
    // Every step is one forward pass, for as long as any row is still decoding.
    this.batches += Math.max(...counts);
    this.rows += out.length - batch.length;
    this.handoffs += batch.length;
    let offset = batch.length;
    return counts.map((count) => Array.from(out.subarray(offset, (offset += count))));
  }
}
