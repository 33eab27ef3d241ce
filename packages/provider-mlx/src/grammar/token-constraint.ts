import { errorCodes, HeylookError } from '@heylook/core';
import type { GrammarMatcher } from '@mlc-ai/web-xgrammar';

/**
 * One answer's grammar state: which tokens may come next (a bitmask the native sampler
 * applies before it picks), advanced by every token picked. The grammar lets an end token
 * through only once the answer is complete, so an answer that ends with `stop` matches it.
 */
export class TokenConstraint {
  #disposed = false;

  constructor(private readonly matcher: GrammarMatcher) {}

  /** Bit `id % 32` of word `id / 32` is set for every token allowed next. */
  allowed(): Promise<Int32Array> {
    return this.matcher.getNextTokenBitmask();
  }

  accept(token: number): void {
    if (!this.matcher.acceptToken(token)) {
      // The sampler only picks allowed tokens; this means the mask and the sampler disagree.
      throw new HeylookError(errorCodes.providerError, `The sampler picked token ${token}, which the output grammar does not allow here.`);
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.matcher.dispose();
  }
}
