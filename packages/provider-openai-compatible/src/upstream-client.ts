import { abortError } from '@heylook/core';
import { fromHttpStatus, unreachable, type UpstreamFailure } from './upstream-error.js';
import type { UpstreamUrl } from './upstream-url.js';

/** Thrown when one attempt on one replica failed; the model decides whether to try another. */
export class AttemptFailed extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.error.message, { cause: failure.error });
    this.name = 'AttemptFailed';
  }
}

export interface UpstreamClientOptions {
  /** The model's name on the upstream, for error messages. */
  model: string;
  apiKey?: string;
  headers: Record<string, string>;
  /** Longest wait for an answer, and between two chunks of a body, in ms. */
  timeoutMs: number;
}

/** One request to one upstream, with its body readable chunk by chunk under the idle timeout. */
export interface UpstreamAttempt {
  response: Response;
  /** The body's bytes; ends early with AttemptFailed or HEYLOOK_ABORTED. */
  body(): AsyncGenerator<Uint8Array>;
  /** Cancels the request (the upstream sees the connection close). Idempotent. */
  close(): void;
}

const timedOut = Symbol('timed out');

/** HTTP to OpenAI-compatible upstreams with Node's fetch: auth, timeouts, cancellation, error mapping. */
export class UpstreamClient {
  readonly #options: UpstreamClientOptions;

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
  }

  /** POSTs JSON to `url.api + path`. Resolves once a 2xx answer's headers arrived. */
  async post(url: UpstreamUrl, path: string, body: unknown, signal?: AbortSignal): Promise<UpstreamAttempt> {
    return this.#request(url, `${url.api}${path}`, { method: 'POST', body: JSON.stringify(body), headers: this.#headers(true) }, signal);
  }

  /** GETs JSON from an absolute URL on the upstream, within `timeoutMs`. */
  async getJson(url: UpstreamUrl, target: string, timeoutMs = this.#options.timeoutMs): Promise<unknown> {
    const attempt = await this.#request(url, target, { method: 'GET', headers: this.#headers(false) }, undefined, timeoutMs);
    try {
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of attempt.body()) text += decoder.decode(chunk, { stream: true });
      return text ? JSON.parse(text + decoder.decode()) : undefined;
    } finally {
      attempt.close();
    }
  }

  /** GETs an absolute URL on the upstream and returns the status; throws AttemptFailed when unreachable. */
  async probe(url: UpstreamUrl, target: string, timeoutMs: number): Promise<number> {
    try {
      const attempt = await this.#request(url, target, { method: 'GET', headers: this.#headers(false) }, undefined, timeoutMs);
      const status = attempt.response.status;
      attempt.close();
      return status;
    } catch (error) {
      if (error instanceof AttemptFailed && error.failure.status !== undefined) return error.failure.status;
      throw error;
    }
  }

  async #request(url: UpstreamUrl, target: string, init: RequestInit, signal: AbortSignal | undefined, timeoutMs = this.#options.timeoutMs): Promise<UpstreamAttempt> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
    };
    const close = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!controller.signal.aborted) controller.abort();
    };
    // Why a request failed: the caller gave up, the upstream was too slow, or the network.
    const failure = (error: unknown, what: string) => {
      close();
      if (signal?.aborted) return abortError(signal);
      if (controller.signal.reason === timedOut) {
        return new AttemptFailed({
          ...unreachable(url.label, error, `did not answer within ${timeoutMs / 1000}s`),
          replicaDown: false,
        });
      }
      return new AttemptFailed(unreachable(url.label, error, what));
    };

    arm();
    let response: Response;
    try {
      response = await fetch(target, { ...init, signal: controller.signal });
    } catch (error) {
      throw failure(error, 'is unreachable');
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      close();
      throw new AttemptFailed(fromHttpStatus(url.label, response.status, text, response.headers, this.#options.model));
    }
    return {
      response,
      close,
      body: async function* () {
        if (!response.body) return;
        try {
          arm();
          for await (const chunk of response.body) {
            arm();
            yield chunk;
          }
        } catch (error) {
          throw failure(error, 'closed the connection mid-answer');
        } finally {
          close();
        }
      },
    };
  }

  #headers(json: boolean): Record<string, string> {
    return {
      accept: json ? 'text/event-stream, application/json' : 'application/json',
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.#options.apiKey ? { authorization: `Bearer ${this.#options.apiKey}` } : {}),
      ...this.#options.headers,
    };
  }
}
