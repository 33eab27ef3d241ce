import { errorCodes, HeylookError, parseRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { resolveModelName } from '../model-names.js';
import type { OllamaServerOptions } from '../ollama-server-options.js';
import { modelNameRequestSchema } from '../request-schemas.js';

const editConfig = 'heylook serves the models listed in models.yaml: add, remove or rename models there (or run `heylook init DIR` to scan a folder), then restart the server';

/**
 * Model management. heylook never downloads or writes models: pulling a model that is
 * already configured succeeds (clients pull before use); everything else says what to do.
 */
export function managementRoutes(app: FastifyInstance, { router }: OllamaServerOptions): void {
  app.post('/pull', async (request, reply) => {
    const body = parseRequest(modelNameRequestSchema, request.body);
    const name = (body.model ?? body.name)!;
    try {
      resolveModelName(router, name);
    } catch {
      throw new HeylookError(errorCodes.noSuchModel, `heylook cannot pull "${name}": it never downloads models. ${editConfig}`, { param: 'model' });
    }
    const stream = (request.body as { stream?: boolean }).stream !== false;
    if (!stream) return { status: 'success' };
    return reply.type('application/x-ndjson').send(`${JSON.stringify({ status: 'success' })}\n`);
  });

  for (const [method, url, what] of [
    ['POST', '/push', 'push models'],
    ['POST', '/create', 'create models from a Modelfile'],
    ['POST', '/copy', 'copy models'],
    ['DELETE', '/delete', 'delete models'],
    ['POST', '/blobs/:digest', 'receive blobs'],
    ['HEAD', '/blobs/:digest', 'store blobs'],
  ] as const) {
    app.route({
      method,
      url,
      handler: async (_request, reply) => reply.status(501).send({ error: `heylook does not ${what}. ${editConfig}.` }),
    });
  }
}
