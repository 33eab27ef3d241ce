import { errorCodes, HeylookError } from '@heylook/core';
import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';

/** OpenAI's `logit_bias` (token id → -100..100, added to the logit) as node-llama-cpp's TokenBias. */
export function toTokenBias(model: LlamaModel, logitBias: Record<number, number>): TokenBias {
  const vocabularySize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
  const bias = new TokenBias(model.tokenizer);
  for (const [key, value] of Object.entries(logitBias)) {
    const token = Number(key);
    if (!Number.isInteger(token) || token < 0 || token >= vocabularySize) {
      throw new HeylookError(errorCodes.invalidRequest, `logit_bias names token ${key}, but this model's token ids go from 0 to ${vocabularySize - 1}.`, {
        param: 'logit_bias',
      });
    }
    // -100 is OpenAI's "ban"; node-llama-cpp's "never" removes the token outright.
    bias.set(token as Token, value <= -100 ? 'never' : { logit: value });
  }
  return bias;
}
