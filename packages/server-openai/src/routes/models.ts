import { errorCodes, HeylookError } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';

const started = Math.floor(Date.now() / 1000);

/** GET /v1/models and /v1/models/:id — enabled models. */
export function modelsRoutes(app: FastifyInstance, { router }: OpenAIServerOptions): void {
  const toModel = (id: string) => ({ id, object: 'model', created: started, owned_by: 'heylook' });

  app.get('/models', async () => ({
    object: 'list',
    data: router.models().filter((entry) => entry.enabled).map((entry) => toModel(entry.id)),
  }));

  app.get<{ Params: { id: string } }>('/models/:id', async (request) => {
    const entry = router.resolve(request.params.id);
    if (!entry.enabled) {
      throw new HeylookError(errorCodes.modelDisabled, `Model "${entry.id}" is disabled in ${entry.source}.`, { param: 'model' });
    }
    return toModel(entry.id);
  });
}
