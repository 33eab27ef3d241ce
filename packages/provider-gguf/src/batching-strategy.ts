import type { CustomBatchingPrioritizationStrategy, EvaluationPriority } from 'node-llama-cpp';

/** Decode batches run and rows decoded in them (rows / batches = mean batch size). */
export interface DecodeStats {
  batches: number;
  rows: number;
  /**
   * Passes llama.cpp makes for the decode steps: one per run of consecutive sequence ids
   * (passes / batches = 1 when the busy sequences sit side by side).
   */
  passes: number;
  /** Decode steps held back for a sequence of the step before that had not queued its token yet. */
  waits: number;
}

/**
 * The `evaluationPriority` provider-gguf gives every evaluation of a sequence: the sequence's
 * place in the context (0, 1, 2, … — its llama.cpp sequence id), which the strategy uses to
 * order a batch's rows. node-llama-cpp hands it to the strategy untouched.
 */
export const sequenceOrder = (index: number) => index as EvaluationPriority;

/** The longest a decode step waits for a sequence of the step before (see DecodeBatching). */
const maxWaitMs = 1;

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
 *
 * Why a decode step waits for the rows of the step before: node-llama-cpp starts the next step
 * as soon as the last sampling of a step is done, with whatever is queued by then. The sequence
 * sampled last is still on its way (LlamaChat's per-token work, a chain of promise reactions)
 * and misses the step, so the sequences drift into two cohorts that decode in turns: 2.6 rows
 * per step at 4 streams, 5 at 8. So a step is held until every sequence of the step before that
 * still generates has queued its token (for at most `maxWaitMs`): the strategy returns no rows,
 * and node-llama-cpp asks again after the promise reactions queued before have run. The wait
 * takes 0.06 ms typically; steps then have 3.9 rows at 4 streams, 7.9 at 8.
 */
export class DecodeBatching {
  readonly stats: DecodeStats = { batches: 0, rows: 0, passes: 0, waits: 0 };
  readonly #generating = new Set<number>();
  #lastRows: number[] = [];
  #waitingSince: number | undefined;
  #promptTurn = false;

  /**
   * When node-llama-cpp starts a decode step after a sequence queued its token: right after the
   * promise reactions already queued, not on the event loop's next turn (its default,
   * setImmediate). Writing the last token to the client (JSON, socket) then runs while the step
   * decodes instead of before it: single-stream decoding over HTTP ran 1.21–1.34× as fast on
   * stories260K and 1.13–1.33× on the 78M model (two servers side by side, requests in turns);
   * 4 and 8 streams level or faster. The strategy's wait still gathers the step's rows.
   */
  readonly dispatchSchedule = (dispatch: () => void) => queueMicrotask(dispatch);

  /** Marks the sequence as generating until the returned function is called. */
  generating(order: EvaluationPriority): () => void {
    this.#generating.add(order);
    return () => this.#generating.delete(order);
  }

  readonly strategy: CustomBatchingPrioritizationStrategy = ({ items, size }) => {
    const rows = items.filter((item) => item.tokens.length === 1);
    // The longest-waiting prompt first: items come in the order they were queued.
    const prompt = items.find((item) => item.tokens.length > 1);
    if (prompt && (rows.length === 0 || this.#promptTurn)) {
      this.#promptTurn = false;
      this.#lastRows = [];
      return [{ item: prompt, processAmount: Math.min(prompt.tokens.length, size) }];
    }
    if (this.#waitForLastRows(items.map((item) => item.evaluationPriority))) return [];
    this.#promptTurn = true;
    const batch = rows.sort((a, b) => a.evaluationPriority - b.evaluationPriority).slice(0, size);
    this.#lastRows = batch.map((item) => item.evaluationPriority);
    this.stats.batches++;
    this.stats.rows += batch.length;
    this.stats.passes += this.#lastRows.filter((order, index) => index === 0 || order !== this.#lastRows[index - 1]! + 1).length;
    return batch.map((item) => ({ item, processAmount: 1 }));
  };

  /** Whether to hold the step for a sequence of the step before that still generates and has queued nothing. */
  #waitForLastRows(queued: number[]): boolean {
    const missing = this.#lastRows.some((order) => this.#generating.has(order) && !queued.includes(order));
    if (!missing) {
      this.#waitingSince = undefined;
      return false;
    }
    const now = performance.now();
    if (this.#waitingSince === undefined) {
      this.#waitingSince = now;
      this.stats.waits++;
      return true;
    }
    if (now - this.#waitingSince < maxWaitMs) return true;
    this.#waitingSince = undefined;
    return false;
  }
}
