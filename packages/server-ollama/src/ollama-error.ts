import { errorCodes, isHeylookError, type HeylookErrorCode } from '@heylook/core';

export interface MappedOllamaError {
  status: number;
  body: { error: string };
  retryAfterSeconds?: number;
}

const statusByCode: Record<HeylookErrorCode, number> = {
  [errorCodes.noSuchModel]: 404,
  [errorCodes.modelDisabled]: 404,
  [errorCodes.noModelSpecified]: 400,
  [errorCodes.invalidRequest]: 400,
  [errorCodes.notFound]: 404,
  [errorCodes.unauthorized]: 401,
  [errorCodes.forbidden]: 403,
  [errorCodes.payloadTooLarge]: 413,
  [errorCodes.contextOverflow]: 400,
  [errorCodes.unsupportedCapability]: 400,
  // Ollama answers a full queue with 503 ("server busy"), and its clients retry on that.
  [errorCodes.queueFull]: 503,
  [errorCodes.modelBusyTimeout]: 503,
  [errorCodes.aborted]: 499,
  [errorCodes.closed]: 503,
  // Permanent load failures (fixing them needs new files or config): 422, not retried by clients.
  [errorCodes.providerNotInstalled]: 422,
  [errorCodes.providerVersionMismatch]: 422,
  [errorCodes.invalidConfig]: 422,
  [errorCodes.modelFileNotFound]: 422,
  [errorCodes.invalidModelFile]: 422,
  [errorCodes.unsupportedModel]: 422,
  [errorCodes.modelTooLarge]: 422,
  // Load failures that may pass (out of memory while other models are resident, a native hiccup).
  [errorCodes.loadFailed]: 503,
  [errorCodes.providerCrashed]: 500,
  [errorCodes.providerError]: 500,
};

/** Any error → Ollama's `{"error": "..."}` and a status code. The one place this mapping lives. */
export function toOllamaError(error: unknown): MappedOllamaError {
  if (isHeylookError(error)) {
    return {
      status: statusByCode[error.code] ?? 500,
      body: { error: error.message },
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  const fastifyError = error as { statusCode?: number; message?: string };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: fastifyError.message ?? 'bad request' } };
  }
  return { status: 500, body: { error: `internal error: ${error instanceof Error ? error.message : String(error)}` } };
}
