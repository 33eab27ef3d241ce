import type { DecodeBatcher } from './decode-batcher.js';
import { DecodeChunkSize } from './decode-chunk-size.js';
import type { TokenConstraint } from './grammar/token-constraint.js';
import type { NativeImages, NativeModel, NativeSampling } from './native-binding.js';
import type { PrefillBatcher } from './prefill-batcher.js';

/**
 * Produces tokens for one request on one sequence. `start` evaluates the prompt; every call
 * returns newly decided tokens, the last of which the model has not evaluated yet (it is fed
 * on the next call). `evaluated` is what the native sequence holds afterwards.
 */
export interface TokenDecoder {
  /** `images`: feature rows for the prompt's image tokens, offsets counted from `reused`. */
  start(prompt: number[], reused: number, seed: number | undefined, images?: NativeImages): Promise<number[]>;
  /** The next tokens, at most `limit` of them where the decoder can choose. */
  next(limit: number): Promise<number[]>;
  /**
   * The caller used all but the last `unused` tokens handed out: the sequence forgets the ones
   * it evaluated among them, so it holds what decoding token by token would have left.
   */
  rewind(unused: number): Promise<void>;
  readonly evaluated: number[];
}

/**
 * Prompt tokens per native call (one request's piece, or several requests' pieces together).
 * Measured on a 78M float32 Llama: a 1500-token prompt arriving beside a decoding stream held
 * that stream up 8 s as one call, 3 s in pieces of 512 and 1.4 s in pieces of 256, and its own
 * first token came no later.
 */
export const PREFILL_CHUNK = 256;

/**
 * The prompt in pieces of PREFILL_CHUNK tokens, evaluated together with other requests' pieces
 * (`PrefillBatcher`), then decode steps batched with other requests', several per native call
 * once the first tokens are out (`DecodeChunkSize`); a chunk ends early at a `stops` id. Under
 * a `constraint` every step samples among the tokens its grammar allows next, so one per call.
 */
export class StepDecoder implements TokenDecoder {
  evaluated: number[] = [];
  #last = -1;
  #chunk = new DecodeChunkSize();

  constructor(
    private readonly model: NativeModel,
    private readonly prefiller: PrefillBatcher,
    private readonly batcher: DecodeBatcher,
    private readonly sequence: number,
    private readonly sampling: NativeSampling,
    private readonly stops: readonly number[],
    private readonly constraint?: TokenConstraint,
  ) {}

  async start(prompt: number[], reused: number, seed: number | undefined, images?: NativeImages): Promise<number[]> {
    let from = reused;
    // A long prompt goes in pieces, so other requests' decode steps get the worker in between
    // (an image's rows are evaluated whole, so a prompt with images goes at once). The pieces'
    // picks are greedy and dropped: they draw nothing from the request's seeded sampler.
    while (!images && prompt.length - from > PREFILL_CHUNK) {
      await this.prefiller.prefill(this.sequence, prompt.slice(from, from + PREFILL_CHUNK), { temperature: 0 });
      from += PREFILL_CHUNK;
    }
    const sampling = { ...(await this.#sampling()), seed };
    const rest = prompt.slice(from);
    this.#last = this.#accepted(
      await (images ? this.model.step(this.sequence, Int32Array.from(rest), sampling, images) : this.prefiller.prefill(this.sequence, rest, sampling)),
    );
    this.evaluated = [...prompt];
    return [this.#last];
  }

  async next(limit: number): Promise<number[]> {
    const fed = this.#last;
    const steps = this.constraint ? 1 : this.#chunk.next(limit);
    const started = performance.now();
    const tokens = await this.batcher.step(this.sequence, fed, await this.#sampling(), steps, this.stops);
    this.#chunk.measured(tokens.length, performance.now() - started);
    this.evaluated.push(fed, ...tokens.slice(0, -1));
    for (const token of tokens) this.#accepted(token);
    this.#last = tokens.at(-1)!;
    return tokens;
  }

  async rewind(unused: number): Promise<void> {
    if (unused <= 0) return;
    const keep = this.evaluated.length - unused;
    await this.model.trim(this.sequence, keep);
    this.evaluated.length = keep;
  }

  async #sampling(): Promise<NativeSampling> {
    return this.constraint ? { ...this.sampling, allowed: await this.constraint.allowed() } : this.sampling;
  }

  #accepted(token: number): number {
    this.constraint?.accept(token);
    return token;
  }
}
