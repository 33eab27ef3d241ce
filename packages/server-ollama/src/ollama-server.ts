import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { isHeylookError, jsonBodyParser } from '@heylook/core';
import { toOllamaError } from './ollama-error.js';
import type { OllamaServerOptions } from './ollama-server-options.js';
import { chatRoute } from './routes/chat.js';
import { embedRoutes } from './routes/embed.js';
import { generateRoute } from './routes/generate.js';
import { managementRoutes } from './routes/management.js';
import { modelRoutes } from './routes/models.js';
import { withoutNulls } from './without-nulls.js';

/** The version reported to clients: recent enough for clients that check for features. */
export const OLLAMA_COMPATIBLE_VERSION = '0.12.6';

/** The /api routes in their own scope, so their error handler is Ollama's only. */
async function apiScope(app: FastifyInstance, options: OllamaServerOptions): Promise<void> {
  // API keys, CORS and limits are @heylook/server-guard's, registered once for every API.
  // Bodies are JSON whatever the content type says (jsonBodyParser).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonBodyParser);
  app.addHook('preValidation', async (request) => {
    request.body = withoutNulls(request.body);
  });
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toOllamaError(error);
    // A coded error (a missing model file, a load failure) is expected: its message says it all.
    if (mapped.status >= 500) {
      if (isHeylookError(error)) request.log.error({ code: error.code }, `request failed: ${error.message}`);
      else request.log.error({ err: error }, 'request failed');
    }
    if (mapped.retryAfterSeconds !== undefined) void reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler(async (request, reply) => reply.status(404).send({ error: `unknown endpoint ${request.method} ${request.url}` }));
  app.get('/version', async () => ({ version: OLLAMA_COMPATIBLE_VERSION }));
  chatRoute(app, options);
  generateRoute(app, options);
  embedRoutes(app, options);
  modelRoutes(app, options);
  managementRoutes(app, options);
}

/** The Ollama-compatible API under /api, plus Ollama's liveness answer at `/`. */
export const ollamaServer: FastifyPluginAsync<OllamaServerOptions> = fastifyPlugin(
  async (app: FastifyInstance, options: OllamaServerOptions) => {
    // Clients probe `/` and look for this exact text.
    app.route({ method: ['GET', 'HEAD'], url: '/', handler: async (_request, reply) => reply.type('text/plain').send('Ollama is running') });
    await app.register(apiScope, { ...options, prefix: '/api' });
  },
  { fastify: '5.x', name: '@heylook/server-ollama' },
);
