import type { DecodeBatcher } from './decode-batcher.js';
import type { TokenConstraint } from './grammar/token-constraint.js';
import type { NativeImages, NativeModel, NativeSampling } from './native-binding.js';

/**
 * Produces tokens for one request on one sequence. `start` evaluates the prompt; every call
 * returns newly decided tokens, the last of which the model has not evaluated yet (it is fed
 * on the next call). `evaluated` is what the native sequence holds afterwards.
 */
export interface TokenDecoder {
  /** `images`: feature rows for the prompt's image tokens, offsets counted from `reused`. */
  start(prompt: number[], reused: number, seed: number | undefined, images?: NativeImages): Promise<number[]>;
  next(): Promise<number[]>;
  readonly evaluated: number[];
}

/**
 * One token per step: the prompt alone, then decode steps batched with other requests'.
 * Under a `constraint` every step samples among the tokens its grammar allows next.
 */
export class StepDecoder implements TokenDecoder {
  evaluated: number[] = [];
  #last = -1;

  constructor(
    private readonly model: NativeModel,
    private readonly batcher: DecodeBatcher,
    private readonly sequence: number,
    private readonly sampling: NativeSampling,
    private readonly constraint?: TokenConstraint,
  ) {}

  async start(prompt: number[], reused: number, seed: number | undefined, images?: NativeImages): Promise<number[]> {
    const fed = Int32Array.from(prompt.slice(reused));
    const sampling = { ...(await this.#sampling()), seed };
    this.#last = this.#accepted(await (images ? this.model.step(this.sequence, fed, sampling, images) : this.model.step(this.sequence, fed, sampling)));
    this.evaluated = [...prompt];
    return [this.#last];
  }

  async next(): Promise<number[]> {
    const fed = this.#last;
    this.#last = this.#accepted(await this.batcher.step(this.sequence, fed, await this.#sampling()));
    this.evaluated.push(fed);
    return [this.#last];
  }

  async #sampling(): Promise<NativeSampling> {
    return this.constraint ? { ...this.sampling, allowed: await this.constraint.allowed() } : this.sampling;
  }

  #accepted(token: number): number {
    this.constraint?.accept(token);
    return token;
  }
}
