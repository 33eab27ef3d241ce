import type { CustomBatchingPrioritizationStrategy } from 'node-llama-cpp';

/** Decode batches run and rows decoded in them (rows / batches = mean batch size). */
export interface DecodeStats {
  batches: number;
  rows: number;
}

/**
 * How node-llama-cpp fills each llama_decode() batch from the sequences that have tokens
 * waiting: one token from each sequence that is generating (all in one batch, as many as fit),
 * or, when none is, a chunk of one sequence's prompt on its own — never rows of several
 * sequences with different row counts together.
 *
 * Why prompt chunks go alone: with node-llama-cpp 3.21.1 on CPU, a batch that mixes one
 * sequence's prompt rows with other sequences' rows (another prompt, or a decode row) now and
 * then hands a sequence the logits of another: concurrent greedy answers come back with tokens
 * of other requests in them (mostly the first ones). It reproduces with node-llama-cpp alone,
 * while llama-server built from the same llama.cpp source answers the same load without a
 * single mix-up, so the fault is in node-llama-cpp's batching, not in llama.cpp. Measured with
 * 4 sequences, 16 concurrent mixed prompts per wave, 6 greedy tokens each: the default strategy
 * gave 18 wrong answers in 960, batching equal-sized prompt chunks together still 4 in 960,
 * this strategy 0 in 960 (and 0 with no batching at all).
 *
 * Measured since (decodeStats): with this strategy concurrent sequences in fact almost never
 * share a decode batch — node-llama-cpp starts the next batch as soon as one sequence has
 * queued its token, so batches hold one row (mean 1.00 at 4 and 8 streams) and a waiting
 * prompt gets in through the gaps. A variant where prompts and decode steps took turns made
 * real batches (mean 2.97 rows at 4 streams, 6.8 at 8) but one greedy answer in the CLI's
 * 64-client soak test then differed from its solo answer, and it did not raise throughput on
 * this project's 2-core test machine (bench/RESULTS.md), so it was not kept.
 */
export function createBatchingStrategy(stats: DecodeStats): CustomBatchingPrioritizationStrategy {
  return ({ items, size }) => {
    const generating = items.filter((item) => item.tokens.length === 1);
    if (generating.length > 0) {
      const batch = generating.slice(0, size);
      stats.batches++;
      stats.rows += batch.length;
      return batch.map((item) => ({ item, processAmount: 1 }));
    }
    // Highest priority first, as node-llama-cpp's own strategies order them.
    const prompt = items.reduce((best, item) => (item.evaluationPriority > best.evaluationPriority ? item : best), items[0]!);
    return [{ item: prompt, processAmount: Math.min(prompt.tokens.length, size) }];
  };
}
