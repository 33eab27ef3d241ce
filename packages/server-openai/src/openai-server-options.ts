import type { ModelRouter } from '@heylook/core';

export interface OpenAIServerOptions {
  router: ModelRouter;
  /** Interval of SSE keep-alive comments while a stream is quiet (default 10 s). */
  keepAliveIntervalMs?: number;
}
