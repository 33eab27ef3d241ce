import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import type { BaseProvider } from './base-provider.js';
import type { ChatRequest, GenerationOptions } from './types.js';

/** Throws HEYLOOK_UNSUPPORTED_CAPABILITY when a chat request asks for what the model can't do. */
export function assertCanChat(provider: BaseProvider, request: ChatRequest): void {
  const hasImages = request.messages.some(
    (message) => message.role === 'user' && typeof message.content !== 'string' && message.content.some((part) => part.type === 'image'),
  );
  if (hasImages && !provider.capabilities.vision) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot read images; send text only or pick a vision model.`, {
      param: 'messages',
    });
  }
  // Tools offered with tool_choice "none" are never called, so any model can take the request.
  if (request.tools?.length && request.toolChoice !== 'none' && !provider.capabilities.tools) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" does not support tools.`, { param: 'tools' });
  }
  // JSON mode and JSON schemas are both enforced by constrained decoding.
  if (request.responseFormat && request.responseFormat.type !== 'text' && !provider.capabilities.jsonSchema) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot constrain its output to JSON.`, {
      param: 'response_format',
    });
  }
  assertCanGenerate(provider, request);
}

/** Throws HEYLOOK_UNSUPPORTED_CAPABILITY when generation options ask for what the model can't do. */
export function assertCanGenerate(provider: BaseProvider, request: GenerationOptions): void {
  if (request.grammar !== undefined && !provider.capabilities.grammar) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot follow a GBNF grammar; "grammar" needs a gguf model.`, {
      param: 'grammar',
    });
  }
  if (request.grammar !== undefined && request.responseFormat && request.responseFormat.type !== 'text') {
    throw new HeylookError(errorCodes.invalidRequest, '"grammar" and a JSON response format cannot be combined; send one of them.', { param: 'grammar' });
  }
  if (request.logitBias && Object.keys(request.logitBias).length > 0 && !provider.capabilities.logitBias) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" does not support logit_bias.`, { param: 'logit_bias' });
  }
  assertCanLogprobs(provider, request);
}

/** Throws HEYLOOK_UNSUPPORTED_CAPABILITY when logprobs are asked of a model that cannot return them. */
export function assertCanLogprobs(provider: BaseProvider, request: GenerationOptions): void {
  if (request.logprobs && !provider.capabilities.logprobs) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot return logprobs; leave "logprobs" unset or use a llama-server model.`, {
      param: 'logprobs',
    });
  }
}

/** Throws HEYLOOK_UNSUPPORTED_CAPABILITY unless the model completes raw prompts. */
export function assertCanComplete(provider: BaseProvider, request?: GenerationOptions): asserts provider is BaseProvider & Required<Pick<BaseProvider, 'complete'>> {
  if (!provider.capabilities.complete || !provider.complete) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot complete raw prompts; use a chat endpoint.`);
  }
  if (request) assertCanGenerate(provider, request);
}

/** Throws HEYLOOK_UNSUPPORTED_CAPABILITY unless the model embeds. */
export function assertCanEmbed(provider: BaseProvider): asserts provider is BaseProvider & Required<Pick<BaseProvider, 'embed'>> {
  if (!provider.capabilities.embed || !provider.embed) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot create embeddings.`, { param: 'model' });
  }
}

/**
 * Throws HEYLOOK_INVALID_REQUEST when `logit_bias` names a token the model does not have
 * (`vocabularySize` ids, 0 to size - 1); returns the biases as [token id, value] pairs.
 */
export function logitBiasEntries(logitBias: Record<number, number> | undefined, vocabularySize: number): [number, number][] {
  return Object.entries(logitBias ?? {}).map(([key, value]) => {
    const token = Number(key);
    if (!Number.isInteger(token) || token < 0 || token >= vocabularySize) {
      throw new HeylookError(errorCodes.invalidRequest, `logit_bias names token ${key}, but this model's token ids go from 0 to ${vocabularySize - 1}.`, {
        param: 'logit_bias',
      });
    }
    return [token, value];
  });
}
