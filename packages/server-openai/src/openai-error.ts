import { errorCodes, isHeylookError, type HeylookErrorCode } from '@heylook/core';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface MappedError {
  status: number;
  body: OpenAIErrorBody;
  retryAfterSeconds?: number;
}

const statusByCode: Record<HeylookErrorCode, { status: number; type: string; code: string }> = {
  [errorCodes.noSuchModel]: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  [errorCodes.noModelSpecified]: { status: 400, type: 'invalid_request_error', code: 'missing_model' },
  [errorCodes.modelDisabled]: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  [errorCodes.invalidRequest]: { status: 400, type: 'invalid_request_error', code: 'invalid_request' },
  [errorCodes.notFound]: { status: 404, type: 'invalid_request_error', code: 'not_found' },
  [errorCodes.unauthorized]: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  [errorCodes.forbidden]: { status: 403, type: 'invalid_request_error', code: 'forbidden' },
  [errorCodes.payloadTooLarge]: { status: 413, type: 'invalid_request_error', code: 'payload_too_large' },
  [errorCodes.contextOverflow]: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
  [errorCodes.unsupportedCapability]: { status: 400, type: 'invalid_request_error', code: 'unsupported' },
  [errorCodes.queueFull]: { status: 429, type: 'rate_limit_error', code: 'queue_full' },
  [errorCodes.modelBusyTimeout]: { status: 503, type: 'server_error', code: 'model_busy' },
  [errorCodes.aborted]: { status: 499, type: 'invalid_request_error', code: 'aborted' },
  [errorCodes.closed]: { status: 503, type: 'server_error', code: 'shutting_down' },
  // A model that cannot load until someone changes the files or the config: 422, which clients
  // (the openai and anthropic SDKs retry 408, 409, 429 and 5xx) do not retry.
  [errorCodes.providerNotInstalled]: { status: 422, type: 'invalid_request_error', code: 'provider_not_installed' },
  [errorCodes.providerVersionMismatch]: { status: 422, type: 'invalid_request_error', code: 'provider_not_installed' },
  [errorCodes.invalidConfig]: { status: 422, type: 'invalid_request_error', code: 'invalid_config' },
  [errorCodes.modelFileNotFound]: { status: 422, type: 'invalid_request_error', code: 'model_load_failed' },
  [errorCodes.invalidModelFile]: { status: 422, type: 'invalid_request_error', code: 'model_load_failed' },
  [errorCodes.unsupportedModel]: { status: 422, type: 'invalid_request_error', code: 'model_not_supported' },
  [errorCodes.modelTooLarge]: { status: 422, type: 'invalid_request_error', code: 'model_too_large' },
  // Load failures that may pass (out of memory while other models are resident, a native hiccup).
  [errorCodes.loadFailed]: { status: 503, type: 'server_error', code: 'model_load_failed' },
  [errorCodes.providerCrashed]: { status: 500, type: 'server_error', code: 'provider_crashed' },
  [errorCodes.providerError]: { status: 500, type: 'server_error', code: 'provider_error' },
};

/** Any error → OpenAI's status and `{error:{message,type,param,code}}`. The one place this mapping lives. */
export function toOpenAIError(error: unknown): MappedError {
  if (isHeylookError(error)) {
    const mapped = statusByCode[error.code] ?? { status: 500, type: 'server_error', code: error.code };
    return {
      status: mapped.status,
      body: { error: { message: error.message, type: mapped.type, param: error.param ?? null, code: mapped.code } },
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: {
        error: {
          message: fastifyError.message ?? 'Bad request',
          type: 'invalid_request_error',
          param: null,
          code: fastifyError.code ?? null,
        },
      },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        message: `Internal error: ${error instanceof Error ? error.message : String(error)}`,
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    },
  };
}
