import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { isHeylookError, jsonBodyParser } from '@heylook/core';
import { toOpenAIError } from './openai-error.js';
import type { OpenAIServerOptions } from './openai-server-options.js';
import { chatCompletionsRoute } from './routes/chat-completions.js';
import { completionsRoute } from './routes/completions.js';
import { embeddingsRoute } from './routes/embeddings.js';
import { detokenizeRoute } from './routes/detokenize.js';
import { modelsRoutes } from './routes/models.js';
import { responsesRoutes } from './routes/responses.js';
import { ResponseStore } from './response-store.js';
import { tokenizeRoute } from './routes/tokenize.js';

/** Body parsing and OpenAI-shaped errors, shared by the /v1 scope and llama-server's root routes. */
function configureScope(app: FastifyInstance): void {
  // API keys, CORS and limits are @heylook/server-guard's, registered once for every API.
  // Bodies are JSON whatever the content type says (jsonBodyParser).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonBodyParser);
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toOpenAIError(error);
    // A coded error (a missing model file, a load failure) is expected: its message says it all.
    if (mapped.status >= 500) {
      if (isHeylookError(error)) request.log.error({ code: error.code }, `request failed: ${error.message}`);
      else request.log.error({ err: error }, 'request failed');
    }
    if (mapped.retryAfterSeconds !== undefined) void reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.status(mapped.status).send(mapped.body);
  });
}

/** The /v1 routes in their own encapsulated scope, so their error handler is OpenAI's only. */
async function v1Scope(app: FastifyInstance, options: OpenAIServerOptions): Promise<void> {
  configureScope(app);
  app.setNotFoundHandler(async (request, reply) =>
    reply.status(404).send({
      error: { message: `Unknown endpoint ${request.method} ${request.url}.`, type: 'invalid_request_error', param: null, code: 'unknown_url' },
    }),
  );
  modelsRoutes(app, options);
  chatCompletionsRoute(app, options);
  completionsRoute(app, options);
  embeddingsRoute(app, options);
  responsesRoutes(app, options, new ResponseStore(options.responseStore));
}

/**
 * llama-server's own endpoints at the root, where llama-server has them: clients and
 * llama.cpp's server tests call `<base>/tokenize` with the same base URL as `<base>/v1/...`.
 * Its errors are OpenAI-shaped too, so these live with the OpenAI API.
 */
async function llamaServerScope(app: FastifyInstance, options: OpenAIServerOptions): Promise<void> {
  configureScope(app);
  tokenizeRoute(app, options);
  detokenizeRoute(app, options);
}

/** The OpenAI-compatible API under /v1, and llama-server's /tokenize and /detokenize. */
export const openaiServer: FastifyPluginAsync<OpenAIServerOptions> = fastifyPlugin(
  async (app: FastifyInstance, options: OpenAIServerOptions) => {
    await app.register(v1Scope, { ...options, prefix: '/v1' });
    await app.register(llamaServerScope, options);
  },
  { fastify: '5.x', name: '@heylook/server-openai' },
);
