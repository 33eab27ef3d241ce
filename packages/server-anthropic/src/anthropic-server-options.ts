import type { ModelRouter } from '@heylook/core';

export interface AnthropicServerOptions {
  router: ModelRouter;
  /** Longest quiet time in a stream before a `ping` event goes out (default 10 s). */
  keepAliveIntervalMs?: number;
}
