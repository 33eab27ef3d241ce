import { logitBiasEntries } from '@heylook/core';
import type { NativeSampling } from './native-binding.js';

/**
 * OpenAI's `logit_bias` (token id → -100..100) for the native sampler, which adds each value to
 * its token's logit before anything else and bans a token at -100 or less.
 */
export function nativeLogitBias(logitBias: Record<number, number> | undefined, vocabSize: number): Pick<NativeSampling, 'biasIds' | 'biasValues'> {
  // A folder whose config names no vocab_size: the sampler skips ids past its logits.
  const entries = logitBiasEntries(logitBias, vocabSize > 0 ? vocabSize : Number.MAX_SAFE_INTEGER);
  if (entries.length === 0) return {};
  return { biasIds: Int32Array.from(entries, ([token]) => token), biasValues: Float32Array.from(entries, ([, value]) => value) };
}
