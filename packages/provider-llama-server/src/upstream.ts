import { abortError, errorCodes, HeylookError, isHeylookError } from '@heylook/core';
import { describeExit, type LlamaServerProcess } from './server-process.js';

/**
 * HTTP calls to one running llama-server. Turns its failures into coded errors: an HTTP error
 * answer keeps llama-server's meaning (context overflow, invalid request, not supported); a dead
 * process is HEYLOOK_PROVIDER_CRASHED, fatal, so the router reloads the model.
 */
/** Tries per request when the connection fails before llama-server answers. */
const maxConnectionAttempts = 4;

export class Upstream {
  constructor(
    readonly server: LlamaServerProcess,
    private readonly modelId: string,
  ) {}

  /** POSTs JSON and returns the response once its status is OK (the body is not read yet). */
  async post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    let response: Response | undefined;
    const send = () =>
      fetch(`${this.server.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    // A pooled keep-alive connection that llama-server had just closed (it closes those its
    // extra HTTP threads served, under bursts of requests) fails before the request reached it;
    // retrying on another connection is safe then. A dead server or an abort is not retried.
    for (let attempt = 1; ; attempt++) {
      try {
        response = await send();
        break;
      } catch (error) {
        if (signal?.aborted || this.server.exitInfo || attempt >= maxConnectionAttempts) throw await this.failure(error, signal);
        this.server.logger.debug('retrying a request whose connection failed', { modelId: this.modelId, attempt, error: String((error as Error).cause ?? error) });
      }
    }
    if (!response.ok) throw await httpError(response, this.modelId);
    return response;
  }

  async postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.post(path, body, signal);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw await this.failure(error, signal);
    }
  }

  /**
   * The error to raise for a failed call or a broken stream: aborted when the caller aborted,
   * crashed when the process is gone (it may take a moment to be reaped), else a provider error.
   */
  async failure(error: unknown, signal?: AbortSignal): Promise<HeylookError> {
    if (isHeylookError(error)) return error;
    if (signal?.aborted) return abortError(signal);
    const exit = this.server.exitInfo ?? (await Promise.race([this.server.exited, delay(500)]));
    if (exit) {
      return new HeylookError(
        errorCodes.providerCrashed,
        `llama-server for "${this.modelId}" died during the request (${describeExit(exit)}); the model will be restarted.\n${this.server.logTail}`,
        { cause: error, fatal: true },
      );
    }
    return new HeylookError(errorCodes.providerError, `llama-server for "${this.modelId}" failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Maps llama-server's OpenAI-style error answer (or mid-stream error object) to a coded error. */
export function upstreamError(error: unknown, status: number, modelId: string): HeylookError {
  const info = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; type?: unknown };
  const message = typeof info.message === 'string' ? info.message : `HTTP ${status}`;
  const type = typeof info.type === 'string' ? info.type : '';
  if (type === 'exceed_context_size_error') return new HeylookError(errorCodes.contextOverflow, message);
  if (type === 'not_supported_error' || status === 501) return new HeylookError(errorCodes.unsupportedCapability, message);
  if (type === 'invalid_request_error' || status === 400) return new HeylookError(errorCodes.invalidRequest, message);
  return new HeylookError(errorCodes.providerError, `llama-server for "${modelId}" answered ${status}: ${message}`);
}

async function httpError(response: Response, modelId: string): Promise<HeylookError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  return upstreamError((body as { error?: unknown } | undefined)?.error, response.status, modelId);
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
