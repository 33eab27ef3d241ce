/** Tokens per native call at most: past 8 the call overhead saved is under 2% of a token. */
const largestChunk = 8;
/** A chunk should take at most this long, so streamed text still arrives smoothly (~40 updates a second). */
const chunkBudgetMs = 25;

/**
 * How many tokens a request asks the native decode loop for at once: one at first (the first
 * tokens stream as soon as they exist), then doubling while a chunk stays within the time
 * budget. A slow model (a big one, or many streams at once) stays at one token per call, where
 * the call's overhead is a negligible share of the token anyway.
 */
export class DecodeChunkSize {
  #size = 1;

  /** The next chunk's size, never past `limit` tokens. */
  next(limit: number): number {
    return Math.max(1, Math.min(this.#size, limit));
  }

  /** The last chunk gave `tokens` tokens in `milliseconds`. */
  measured(tokens: number, milliseconds: number): void {
    const fitting = Math.floor(chunkBudgetMs / (milliseconds / Math.max(1, tokens)));
    this.#size = Math.max(1, Math.min(largestChunk, this.#size * 2, fitting));
  }
}
