import { logitBiasEntries } from '@heylook/core';
import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';

/** OpenAI's `logit_bias` (token id → -100..100, added to the logit) as node-llama-cpp's TokenBias. */
export function toTokenBias(model: LlamaModel, logitBias: Record<number, number>): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  for (const [token, value] of logitBiasEntries(logitBias, model.fileInfo.metadata.tokenizer.ggml.tokens.length)) {
    // -100 is OpenAI's "ban"; node-llama-cpp's "never" removes the token outright.
    bias.set(token as Token, value <= -100 ? 'never' : { logit: value });
  }
  return bias;
}
