import type { ModelRouter } from '@heylook/core';

export interface OllamaServerOptions {
  router: ModelRouter;
  /** When non-empty, requests need `Authorization: Bearer <one of these>`. */
  apiKeys?: string[];
}
