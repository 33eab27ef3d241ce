import type { NativeModel, NativeSampling } from './native-binding.js';
import type { TokenDecoder } from './token-decoder.js';

/**
 * Speculative decoding: a small draft model guesses `draftTokens` tokens one by one, the main
 * model checks them all in one forward pass (`verify`), and the guesses are kept up to the
 * first one the main model would not have picked, plus the main model's own pick there. Every
 * kept token is the main model's choice, so greedy output is exactly what it is without a draft.
 * Both sequences are rolled back to what was kept.
 */
export class SpeculativeDecoder implements TokenDecoder {
  evaluated: number[] = [];
  #last = -1;

  constructor(
    private readonly main: NativeModel,
    private readonly draft: NativeModel,
    private readonly sequence: number,
    private readonly sampling: NativeSampling,
    private readonly draftTokens: number,
  ) {}

  async start(prompt: number[], reused: number, seed: number | undefined): Promise<number[]> {
    const rest = Int32Array.from(prompt.slice(reused));
    const [first] = await Promise.all([
      this.main.step(this.sequence, rest, { ...this.sampling, seed }),
      this.draft.step(this.sequence, rest, { temperature: 0 }),
    ]);
    this.#last = first;
    this.evaluated = [...prompt];
    return [first];
  }

  async next(): Promise<number[]> {
    const base = this.evaluated.length;
    const proposals: number[] = [];
    let guess = this.#last;
    for (let index = 0; index < this.draftTokens; index++) {
      guess = await this.draft.step(this.sequence, Int32Array.from([guess]), { temperature: 0 });
      proposals.push(guess);
    }
    const picks = Array.from(await this.main.verify(this.sequence, Int32Array.from([this.#last, ...proposals]), this.sampling));
    let kept = 0;
    while (kept < proposals.length && proposals[kept] === picks[kept]) kept++;

    // Main evaluated last + all proposals; keep last + the accepted ones.
    const keep = base + 1 + kept;
    await this.main.trim(this.sequence, keep);
    // The draft evaluated last + all but the final proposal.
    if (kept === proposals.length) await this.draft.step(this.sequence, Int32Array.from([proposals.at(-1)!]), { temperature: 0 });
    else await this.draft.trim(this.sequence, keep);

    this.evaluated.push(this.#last, ...proposals.slice(0, kept));
    const decided = picks.slice(0, kept + 1);
    this.#last = decided.at(-1)!;
    return decided;
  }

  async rewind(unused: number): Promise<void> {
    if (unused <= 0) return;
    const keep = this.evaluated.length - unused;
    await Promise.all([this.main.trim(this.sequence, keep), this.draft.trim(this.sequence, keep)]);
    this.evaluated.length = keep;
  }
}
