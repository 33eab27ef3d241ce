import type { ModelRouter } from '@heylook/core';

export interface AnthropicServerOptions {
  router: ModelRouter;
  /** When non-empty, requests need `x-api-key: <key>` or `Authorization: Bearer <key>` with one of these. */
  apiKeys?: string[];
  /** Longest quiet time in a stream before a `ping` event goes out (default 10 s). */
  keepAliveIntervalMs?: number;
}
