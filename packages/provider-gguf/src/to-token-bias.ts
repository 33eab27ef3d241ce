import { logitBiasEntries } from '@heylook/core';
import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';

/**
 * OpenAI's `logit_bias` (token id → -100..100, added to the logit; -100 bans) as
 * node-llama-cpp's TokenBias.
 *
 * `TokenBias.set()` skips end-of-generation tokens ("has no effect and will be ignored"), but
 * `logit_bias` applies to every token, as llama-server and OpenAI apply it: banning the end
 * token to get a full-length answer is a common use, and was silently dropped. So the entries go
 * into the map node-llama-cpp 3.21.1 reads into the sampler (LlamaContext's
 * getTokenBiasesForAddon), with the logit `set()` would have stored (-Infinity for a ban).
 */
export function toTokenBias(model: LlamaModel, logitBias: Record<number, number>): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  const biases = (bias as unknown as { _biases?: unknown })._biases;
  if (!(biases instanceof Map)) throw new Error('node-llama-cpp changed TokenBias: logit_bias needs its _biases map (see to-token-bias.ts)');
  for (const [token, value] of logitBiasEntries(logitBias, model.fileInfo.metadata.tokenizer.ggml.tokens.length)) {
    (biases as Map<Token, number>).set(token as Token, value <= -100 ? -Infinity : value);
  }
  return bias;
}
