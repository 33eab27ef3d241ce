import type { DecodeBatcher } from './decode-batcher.js';
import type { NativeModel, NativeSampling } from './native-binding.js';

/**
 * Produces tokens for one request on one sequence. `start` evaluates the prompt; every call
 * returns newly decided tokens, the last of which the model has not evaluated yet (it is fed
 * on the next call). `evaluated` is what the native sequence holds afterwards.
 */
export interface TokenDecoder {
  start(prompt: number[], reused: number, seed: number | undefined): Promise<number[]>;
  next(): Promise<number[]>;
  readonly evaluated: number[];
}

/** One token per step: the prompt alone, then decode steps batched with other requests'. */
export class StepDecoder implements TokenDecoder {
  evaluated: number[] = [];
  #last = -1;

  constructor(
    private readonly model: NativeModel,
    private readonly batcher: DecodeBatcher,
    private readonly sequence: number,
    private readonly sampling: NativeSampling,
  ) {}

  async start(prompt: number[], reused: number, seed: number | undefined): Promise<number[]> {
    this.#last = await this.model.step(this.sequence, Int32Array.from(prompt.slice(reused)), {
      ...this.sampling,
      seed,
    });
    this.evaluated = [...prompt];
    return [this.#last];
  }

  async next(): Promise<number[]> {
    const fed = this.#last;
    this.#last = await this.batcher.step(this.sequence, fed, this.sampling);
    this.evaluated.push(fed);
    return [this.#last];
  }
}
