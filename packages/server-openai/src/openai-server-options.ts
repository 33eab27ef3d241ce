import type { ModelRouter } from '@heylook/core';
import type { ResponseStoreOptions } from './response-store.js';

export interface OpenAIServerOptions {
  router: ModelRouter;
  /** Interval of SSE keep-alive comments while a stream is quiet (default 10 s). */
  keepAliveIntervalMs?: number;
  /** Size and idle TTL of the in-memory store behind /v1/responses (`store`, `previous_response_id`). */
  responseStore?: Omit<ResponseStoreOptions, 'now'>;
}
