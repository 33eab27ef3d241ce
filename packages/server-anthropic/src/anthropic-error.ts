import { errorCodes, isHeylookError, type HeylookErrorCode } from '@heylook/core';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

export interface MappedAnthropicError {
  status: number;
  body: AnthropicErrorBody;
  retryAfterSeconds?: number;
}

type Mapping = { status: number; type: AnthropicErrorType };

const invalid: Mapping = { status: 400, type: 'invalid_request_error' };
// 529 is Anthropic's "overloaded": the official SDK has its own OverloadedError class for it,
// retries it honouring retry-after, and Claude Code reports it as a busy server, not a fault.
const overloaded: Mapping = { status: 529, type: 'overloaded_error' };
// A model that cannot load whatever the client does (unsupported, missing or invalid files, bad
// config): 422, which the SDKs (and Claude Code) do not retry, as on the OpenAI and Ollama APIs.
const permanent: Mapping = { status: 422, type: 'invalid_request_error' };

const mappingByCode: Record<HeylookErrorCode, Mapping> = {
  [errorCodes.noSuchModel]: { status: 404, type: 'not_found_error' },
  [errorCodes.modelDisabled]: { status: 404, type: 'not_found_error' },
  [errorCodes.notFound]: { status: 404, type: 'not_found_error' },
  [errorCodes.noModelSpecified]: invalid,
  [errorCodes.invalidRequest]: invalid,
  [errorCodes.contextOverflow]: invalid,
  [errorCodes.unsupportedCapability]: invalid,
  [errorCodes.unauthorized]: { status: 401, type: 'authentication_error' },
  [errorCodes.forbidden]: { status: 403, type: 'permission_error' },
  [errorCodes.payloadTooLarge]: { status: 413, type: 'request_too_large' },
  [errorCodes.queueFull]: { status: 429, type: 'rate_limit_error' },
  [errorCodes.modelBusyTimeout]: overloaded,
  [errorCodes.closed]: overloaded,
  // The client is gone; nobody reads this.
  [errorCodes.aborted]: { status: 499, type: 'invalid_request_error' },
  [errorCodes.providerNotInstalled]: permanent,
  [errorCodes.providerVersionMismatch]: permanent,
  [errorCodes.invalidConfig]: permanent,
  [errorCodes.modelFileNotFound]: permanent,
  [errorCodes.invalidModelFile]: permanent,
  [errorCodes.modelTooLarge]: permanent,
  [errorCodes.unsupportedModel]: permanent,
  [errorCodes.loadFailed]: { status: 500, type: 'api_error' },
  [errorCodes.providerCrashed]: { status: 500, type: 'api_error' },
  [errorCodes.providerError]: { status: 500, type: 'api_error' },
};

const typeByStatus: Record<number, AnthropicErrorType> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
};

/** Any error → Anthropic's status and `{type:"error",error:{type,message}}`. The one place this mapping lives. */
export function toAnthropicError(error: unknown): MappedAnthropicError {
  if (isHeylookError(error)) {
    const mapping = mappingByCode[error.code] ?? { status: 500, type: 'api_error' };
    // Claude Code recognises this prefix as "the conversation is too long" and offers to compact it.
    const message = error.code === errorCodes.contextOverflow ? `prompt is too long: ${error.message}` : error.message;
    return {
      status: mapping.status,
      body: body(mapping.type, message),
      ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    };
  }
  // fastify's own errors (malformed JSON, body too large, unsupported media type).
  const fastifyError = error as { statusCode?: number; message?: string };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    return { status, body: body(typeByStatus[status] ?? 'invalid_request_error', fastifyError.message ?? 'Bad request') };
  }
  return { status: 500, body: body('api_error', `Internal error: ${error instanceof Error ? error.message : String(error)}`) };
}

function body(type: AnthropicErrorType, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}
