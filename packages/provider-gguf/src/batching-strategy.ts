import type { CustomBatchingPrioritizationStrategy } from 'node-llama-cpp';

/**
 * How node-llama-cpp fills each llama_decode() batch from the sequences that have tokens
 * waiting: either one token from each sequence that is generating (all in one batch, as
 * many as fit), or a chunk of one sequence's prompt on its own — never rows of several
 * sequences with different row counts together.
 *
 * Why: with node-llama-cpp 3.21.1 on CPU, a batch that mixes one sequence's prompt rows with
 * other sequences' rows (another prompt, or a decode row) now and then hands a sequence the
 * logits of another: concurrent greedy answers come back with tokens of other requests in
 * them (mostly the first ones). It reproduces with node-llama-cpp alone, while llama-server
 * built from the same llama.cpp source answers the same load without a single mix-up, so the
 * fault is in node-llama-cpp's batching, not in llama.cpp. Measured with 4 sequences, 16
 * concurrent mixed prompts per wave, 6 greedy tokens each: the default strategy gave 18 wrong
 * answers in 960, batching equal-sized prompt chunks together still 4 in 960, this strategy
 * 0 in 960 (and 0 with no batching at all). Decoding stays batched; a new prompt is evaluated in batches of its own,
 * which costs concurrent decodes a step while it runs (~25% on a prompt-heavy load of tiny
 * answers, less as answers get longer).
 */
export const separatePromptsStrategy: CustomBatchingPrioritizationStrategy = ({ items, size }) => {
  const generating = items.filter((item) => item.tokens.length === 1);
  if (generating.length > 0) return generating.slice(0, size).map((item) => ({ item, processAmount: 1 }));
  // Highest priority first, as node-llama-cpp's own strategies order them.
  const prompt = items.reduce((best, item) => (item.evaluationPriority > best.evaluationPriority ? item : best), items[0]!);
  return [{ item: prompt, processAmount: Math.min(prompt.tokens.length, size) }];
};
