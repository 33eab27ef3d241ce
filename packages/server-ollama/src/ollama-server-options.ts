import type { ModelRouter } from '@heylook/core';

export interface OllamaServerOptions {
  router: ModelRouter;
}
