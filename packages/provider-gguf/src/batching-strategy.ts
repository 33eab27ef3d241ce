import type { CustomBatchingPrioritizationStrategy, EvaluationPriority } from 'node-llama-cpp';

/** Decode batches run and rows decoded in them (rows / batches = mean batch size). */
export interface DecodeStats {
  batches: number;
  rows: number;
}

/**
 * The `evaluationPriority` provider-gguf gives every evaluation of a sequence: the sequence's
 * place in the context (0, 1, 2, … — its llama.cpp sequence id), which this strategy uses to
 * order a batch's rows. node-llama-cpp hands it to the strategy untouched.
 */
export const sequenceOrder = (index: number) => index as EvaluationPriority;

/**
 * How node-llama-cpp fills each llama_decode() batch from the sequences that have tokens
 * waiting. Generating sequences decode together, one row each, in sequence-id order; a waiting
 * prompt gets a chunk of its own (up to the batch size) between two decode steps, so a long
 * prompt never holds up the others for more than one chunk, and joins the shared decode batch
 * once it is evaluated (chunked prefill, one chunk per turn).
 *
 * Why rows go in sequence-id order, and prompt chunks alone: node-llama-cpp's contexts keep one
 * KV cache stream per sequence, so llama.cpp splits a batch into one pass per run of
 * consecutive, increasing sequence ids and, when that puts the outputs out of batch order,
 * reorders the logits lazily on the first read. node-llama-cpp samples the sequences of a
 * batch at the same time on several threads, so that first read races the others' reads:
 * a sequence gets another's logits. With rows in arbitrary order, 16 of 96 concurrent greedy
 * answers on stories260K had other requests' tokens in them; in sequence-id order, and with
 * prompt chunks alone (a chunk's output comes from a later pass than single rows'), the outputs
 * are always in batch order, nothing is reordered, and 0 of 96 differ from the answer alone.
 * Ordered rows also run in one pass instead of several, when their sequence ids are consecutive.
 */
export function createBatchingStrategy(stats: DecodeStats): CustomBatchingPrioritizationStrategy {
  let promptTurn = false;
  return ({ items, size }) => {
    const generating = items.filter((item) => item.tokens.length === 1);
    // The longest-waiting prompt first: items come in the order they were queued.
    const prompt = items.find((item) => item.tokens.length > 1);
    if (prompt && (generating.length === 0 || promptTurn)) {
      promptTurn = false;
      return [{ item: prompt, processAmount: Math.min(prompt.tokens.length, size) }];
    }
    promptTurn = true;
    const batch = generating.sort((a, b) => a.evaluationPriority - b.evaluationPriority).slice(0, size);
    stats.batches++;
    stats.rows += batch.length;
    return batch.map((item) => ({ item, processAmount: 1 }));
  };
}
