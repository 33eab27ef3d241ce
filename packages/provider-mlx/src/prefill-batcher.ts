import { CallBatcher } from './call-batcher.js';
import type { NativeModel, NativeSampling } from './native-binding.js';

interface Piece {
  sequence: number;
  tokens: number[];
  sampling: NativeSampling;
}

/**
 * Prompts of concurrent requests in one forward pass (`prefillBatch`): pieces that arrive
 * while a call runs go together in the next one, up to `budget` tokens in all (a longer piece
 * goes alone), so the weights are read once for several short prompts, and a call holds up the
 * decoding requests no longer than one piece would.
 */
export class PrefillBatcher extends CallBatcher<Piece, number> {
  /** For benchmarks and tests: native calls, and the pieces they evaluated. */
  calls = 0;
  pieces = 0;

  constructor(
    private readonly model: NativeModel,
    private readonly budget: number,
  ) {
    super();
  }

  /** Feeds `tokens` to `sequence` after what it holds; resolves with the token it samples next. */
  prefill(sequence: number, tokens: number[], sampling: NativeSampling): Promise<number> {
    return this.enqueue({ sequence, tokens, sampling });
  }

  /** The first piece, then every later one that still fits in the budget. */
  protected override take(waiting: readonly Piece[]): number[] {
    const taken: number[] = [];
    let room = this.budget;
    for (const [index, piece] of waiting.entries()) {
      if (index > 0 && piece.tokens.length > room) continue;
      taken.push(index);
      room -= piece.tokens.length;
    }
    return taken;
  }

  protected async run(batch: Piece[]): Promise<number[]> {
    this.calls += 1;
    this.pieces += batch.length;
    const out = await this.model.prefillBatch(
      Int32Array.from(batch.map((piece) => piece.sequence)),
      Int32Array.from(batch.flatMap((piece) => piece.tokens)),
      Int32Array.from(batch.map((piece) => piece.tokens.length)),
      batch.map((piece) => piece.sampling),
    );
    return Array.from(out);
  }
}
