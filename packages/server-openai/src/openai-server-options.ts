import type { ModelRouter } from '@heylook/core';

export interface OpenAIServerOptions {
  router: ModelRouter;
  /** When non-empty, requests need `Authorization: Bearer <one of these>`. */
  apiKeys?: string[];
  /** Interval of SSE keep-alive comments while a stream is quiet (default 10 s). */
  keepAliveIntervalMs?: number;
}
