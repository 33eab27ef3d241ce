import { errorCodes, HeylookError, type HeylookErrorCode } from '@heylook/core';

/**
 * An upstream failure, classified for fail-over: `replicaDown` takes the replica out of
 * rotation (it is unreachable or says it is unavailable); `tryAnother` lets a request that
 * has not streamed anything yet go to another replica instead.
 */
export interface UpstreamFailure {
  error: HeylookError;
  replicaDown: boolean;
  tryAnother: boolean;
  /** The upstream's HTTP status, when it answered. */
  status?: number;
}

/** The upstream could not be reached, or stopped answering: a transient 503 naming it. */
export function unreachable(host: string, cause: unknown, what = 'is unreachable'): UpstreamFailure {
  return {
    error: new HeylookError(errorCodes.modelBusyTimeout, `Upstream ${host} ${what} (${describeCause(cause)}); try again shortly.`, {
      cause,
      retryAfterSeconds: 1,
    }),
    replicaDown: true,
    tryAnother: true,
  };
}

/** An HTTP error answer from the upstream → our coded error, keeping its message. */
export function fromHttpStatus(host: string, status: number, bodyText: string, headers: Headers, modelName: string): UpstreamFailure {
  const { message, param, code } = parseErrorBody(bodyText);
  const said = `Upstream ${host} answered ${status}${message ? `: ${message}` : ''}`;
  const retryAfterSeconds = parseRetryAfter(headers.get('retry-after'));
  const failure = (errorCode: HeylookErrorCode, text: string, flags: Partial<UpstreamFailure> = {}, extra: { retryAfterSeconds?: number } = {}): UpstreamFailure => ({
    error: new HeylookError(errorCode, text, { ...(param ? { param } : {}), ...extra }),
    replicaDown: false,
    tryAnother: false,
    status,
    ...flags,
  });
  if (status === 429) {
    return failure(errorCodes.queueFull, said, { tryAnother: true }, { retryAfterSeconds: retryAfterSeconds ?? 1 });
  }
  if (status === 502 || status === 503 || status === 504) {
    return failure(errorCodes.modelBusyTimeout, `${said}; try again shortly.`, { replicaDown: true, tryAnother: true }, { retryAfterSeconds: retryAfterSeconds ?? 1 });
  }
  if (status >= 500) return failure(errorCodes.providerError, said, { tryAnother: true });
  if (status === 401 || status === 403) {
    return failure(errorCodes.invalidConfig, `${said}. Check the model's api_key / api_key_env for this upstream.`);
  }
  if (status === 404) {
    return /model/i.test(message)
      ? failure(errorCodes.loadFailed, `${said}. Is "${modelName}" the model's name on the upstream (see its /v1/models)?`)
      : failure(errorCodes.unsupportedCapability, `${said}. The upstream does not offer this endpoint.`);
  }
  if (status === 413) return failure(errorCodes.payloadTooLarge, said);
  if (code === 'context_length_exceeded' || /context (length|window|size)|maximum context|too many tokens|prompt is too long/i.test(message)) {
    return failure(errorCodes.contextOverflow, said);
  }
  return failure(errorCodes.invalidRequest, said);
}

/** An error the upstream sent inside a stream that had already started. */
export function streamError(host: string, data: unknown): HeylookError {
  const { message } = parseErrorBody(JSON.stringify(data));
  return new HeylookError(errorCodes.providerError, `Upstream ${host} failed mid-stream: ${message || 'no message'}`);
}

/** `{error:{message,param,code}}` (OpenAI), `{error:"..."}` (Ollama), `{message}` (vLLM), `{detail}` (FastAPI), or text. */
export function parseErrorBody(text: string): { message: string; param?: string; code?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { message: text.trim().slice(0, 500) };
  }
  const record = (value: unknown) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined);
  const outer = record(body);
  const inner = record(outer?.error) ?? outer;
  const message = [inner?.message, outer?.error, outer?.detail].find((value) => typeof value === 'string') as string | undefined;
  const detail = message ?? (outer?.detail === undefined ? text.trim() : JSON.stringify(outer.detail));
  return {
    message: detail.slice(0, 500),
    ...(typeof inner?.param === 'string' ? { param: inner.param } : {}),
    ...(typeof inner?.code === 'string' ? { code: inner.code } : {}),
  };
}

/** Retry-After in seconds or as an HTTP date → whole seconds (at least 1). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) : (Date.parse(value) - now) / 1000;
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : undefined;
}

function describeCause(cause: unknown): string {
  const error = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  return error?.cause?.code ?? error?.code ?? error?.cause?.message ?? error?.message ?? String(cause);
}
