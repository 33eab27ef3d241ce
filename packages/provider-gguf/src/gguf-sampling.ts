import type { FinishReason, GenerationOptions } from '@heylook/core';
import type { LlamaModel, Token, TokenBias } from 'node-llama-cpp';
import type { GgufConfig } from './gguf-config.js';

/** Why node-llama-cpp stopped generating. */
export type StopReason = 'eogToken' | 'stopGenerationTrigger' | 'functionCalls' | 'maxTokens' | 'abort' | 'customStopTrigger';

/** Whether a grammar shapes the output (JSON mode, a JSON schema or a GBNF grammar). */
export function isConstrained(request: GenerationOptions): boolean {
  return request.grammar !== undefined || (request.responseFormat !== undefined && request.responseFormat.type !== 'text');
}

/** The model's configured stop strings, then the request's. */
export function stopStrings(config: GgufConfig, request: GenerationOptions): string[] {
  return [...config.stop, ...(request.stop ?? [])];
}

/**
 * node-llama-cpp options for a request: the request's sampling settings over the model's
 * defaults. Without max_tokens, generation stops when the context is full. Under a grammar
 * no stop token applies: BOS or a configured stop token would end an open JSON string with
 * finish reason `stop`.
 */
export function samplingOptions(
  config: GgufConfig,
  model: LlamaModel,
  contextSize: number,
  request: GenerationOptions,
  promptLength: number,
  constrained: boolean,
  tokenBias: TokenBias | undefined,
) {
  const temperature = request.temperature ?? config.temperature ?? 0.8;
  const repeat = request.repeatPenalty ?? config.repeat_penalty ?? config.repetition_penalty;
  const presence = request.presencePenalty ?? config.presence_penalty;
  const frequency = request.frequencyPenalty ?? config.frequency_penalty;
  const penalize = (repeat !== undefined && repeat !== 1) || !!presence || !!frequency;
  const stopTokens = constrained ? [] : [...config.stop_tokens, ...(config.stop_on_bos && model.tokens.bos !== null ? [model.tokens.bos] : [])];
  // Clamped to the room left in the context, like mlx: past it node-llama-cpp would shift the
  // context and keep going (a huge max_tokens could hold a sequence for ever), and clients such
  // as Claude Code ask for 32000.
  const maxTokens = Math.max(1, Math.min(requestedMaxTokens(config, request), contextSize - promptLength));
  const customStopTriggers: (string | Token)[][] = stopTokens.map((token) => [token as Token]);
  return {
    temperature,
    topK: request.topK ?? config.top_k,
    topP: request.topP ?? config.top_p,
    minP: request.minP ?? config.min_p,
    seed: request.seed ?? config.seed,
    maxTokens,
    repeatPenalty: penalize
      ? {
          penalty: repeat ?? 1,
          ...(presence ? { presencePenalty: presence } : {}),
          ...(frequency ? { frequencyPenalty: frequency } : {}),
          lastTokens: request.repeatLastN ?? 64,
        }
      : (false as const),
    customStopTriggers,
    ...(tokenBias ? { tokenBias } : {}),
  };
}

/** The answer's length limit before the context clamps it: the request's, else the model's, else none. */
export function requestedMaxTokens(config: GgufConfig, request: GenerationOptions): number {
  return request.maxTokens ?? config.max_tokens ?? Infinity;
}

export function finishReason(stopReason: StopReason, signal: AbortSignal | undefined): FinishReason {
  switch (stopReason) {
    case 'maxTokens':
      return 'length';
    case 'functionCalls':
      return 'tool-calls';
    case 'abort':
      return 'cancelled';
    default:
      return signal?.aborted ? 'cancelled' : 'stop';
  }
}
