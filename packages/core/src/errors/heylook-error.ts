/**
 * Every error heylook raises on purpose carries a stable `code`. Servers map codes to
 * protocol errors and status codes; nothing should match on messages or `instanceof`
 * (two copies of core can be loaded side by side).
 */
export const errorCodes = {
  /** The request names a model that is not configured. */
  noSuchModel: 'HEYLOOK_NO_SUCH_MODEL',
  /** The request names no model and there is no default model. */
  noModelSpecified: 'HEYLOOK_NO_MODEL_SPECIFIED',
  /** The model is configured with `enabled: false`. */
  modelDisabled: 'HEYLOOK_MODEL_DISABLED',
  /** A configured provider id has no installed plugin. */
  providerNotInstalled: 'HEYLOOK_PROVIDER_NOT_INSTALLED',
  /** An installed provider implements a specification version core does not support. */
  providerVersionMismatch: 'HEYLOOK_PROVIDER_VERSION_MISMATCH',
  /** A models.yaml or a provider's config block is invalid. */
  invalidConfig: 'HEYLOOK_INVALID_CONFIG',
  /** A model failed to load (missing file, bad format, out of memory...). */
  loadFailed: 'HEYLOOK_LOAD_FAILED',
  /** The model file does not exist. */
  modelFileNotFound: 'HEYLOOK_MODEL_FILE_NOT_FOUND',
  /** The model file exists but is not a model this provider can read. */
  invalidModelFile: 'HEYLOOK_INVALID_MODEL_FILE',
  /** The model is valid but uses something this provider does not implement (an architecture, a RoPE type...). */
  unsupportedModel: 'HEYLOOK_UNSUPPORTED_MODEL',
  /** The model alone is larger than the configured memory budget. */
  modelTooLarge: 'HEYLOOK_MODEL_TOO_LARGE',
  /** Too many requests are waiting already. */
  queueFull: 'HEYLOOK_QUEUE_FULL',
  /** A request waited longer than allowed for a model to become available. */
  modelBusyTimeout: 'HEYLOOK_MODEL_BUSY_TIMEOUT',
  /** The model cannot do what was asked (embeddings, tools, images...). */
  unsupportedCapability: 'HEYLOOK_UNSUPPORTED_CAPABILITY',
  /** The request is well-formed but asks for something impossible (e.g. prompt longer than the context). */
  invalidRequest: 'HEYLOOK_INVALID_REQUEST',
  /** A resource the request names (a stored response, a file) does not exist. */
  notFound: 'HEYLOOK_NOT_FOUND',
  /** The request carries no API key, or a wrong one, while keys are configured. */
  unauthorized: 'HEYLOOK_UNAUTHORIZED',
  /** The request comes from an origin or names a host that is not allowed (CORS, DNS rebinding). */
  forbidden: 'HEYLOOK_FORBIDDEN',
  /** The request body, an image or a list in it is larger than the configured limit. */
  payloadTooLarge: 'HEYLOOK_PAYLOAD_TOO_LARGE',
  /** The prompt does not fit in the model's context window. */
  contextOverflow: 'HEYLOOK_CONTEXT_OVERFLOW',
  /** The caller aborted (client disconnected, Ctrl-C). */
  aborted: 'HEYLOOK_ABORTED',
  /** The router or a model was closed while the request needed it. */
  closed: 'HEYLOOK_CLOSED',
  /** The provider failed in a way that leaves the loaded model unusable; the router reloads it. */
  providerCrashed: 'HEYLOOK_PROVIDER_CRASHED',
  /** Anything else that went wrong inside a provider. */
  providerError: 'HEYLOOK_PROVIDER_ERROR',
} as const;

export type HeylookErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

export interface HeylookErrorOptions {
  cause?: unknown;
  /** Which request field or config key is at fault, for the protocol's `param`. */
  param?: string;
  /** True when the model that raised it can no longer be used and must be reloaded. */
  fatal?: boolean;
  /** Seconds a client should wait before retrying (queue full, busy). */
  retryAfterSeconds?: number;
}

export class HeylookError extends Error {
  readonly code: HeylookErrorCode;
  readonly param: string | undefined;
  readonly fatal: boolean;
  readonly retryAfterSeconds: number | undefined;
  /** Marker checked by `isHeylookError`, which must work across copies of core. */
  readonly isHeylookError = true;

  constructor(code: HeylookErrorCode, message: string, options: HeylookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeylookError';
    this.code = code;
    this.param = options.param;
    this.fatal = options.fatal ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isHeylookError(error: unknown): error is HeylookError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isHeylookError?: unknown }).isHeylookError === true &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

export function hasErrorCode(error: unknown, code: HeylookErrorCode): boolean {
  return isHeylookError(error) && error.code === code;
}

/** The error to throw when `signal` aborted, keeping the signal's reason as the cause. */
export function abortError(signal?: AbortSignal): HeylookError {
  return new HeylookError(errorCodes.aborted, 'The request was aborted.', { cause: signal?.reason });
}
