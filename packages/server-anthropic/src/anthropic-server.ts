import { jsonBodyParser } from '@heylook/core';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { toAnthropicError } from './anthropic-error.js';
import type { AnthropicServerOptions } from './anthropic-server-options.js';
import { countTokensRoute } from './routes/count-tokens.js';
import { messagesRoute } from './routes/messages.js';

/**
 * The /v1/messages routes in their own encapsulated scope, so their error and not-found
 * handlers are Anthropic's only. The scope is /v1/messages, not /v1: the OpenAI plugin
 * owns /v1's not-found handler and both plugins serve on one port.
 */
async function messagesScope(app: FastifyInstance, options: AnthropicServerOptions): Promise<void> {
  // API keys (x-api-key or a bearer token), CORS and limits are @heylook/server-guard's.
  // Bodies are JSON whatever the content type says (jsonBodyParser).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonBodyParser);
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toAnthropicError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    if (mapped.retryAfterSeconds !== undefined) void reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.status(404).send({ type: 'error', error: { type: 'not_found_error', message: `Unknown endpoint ${request.method} ${request.url}.` } }),
  );
  messagesRoute(app, options);
  countTokensRoute(app, options);
}

/** The Anthropic Messages API: POST /v1/messages and /v1/messages/count_tokens. */
export const anthropicServer: FastifyPluginAsync<AnthropicServerOptions> = fastifyPlugin(
  async (app: FastifyInstance, options: AnthropicServerOptions) => {
    await app.register(messagesScope, { ...options, prefix: '/v1/messages' });
  },
  { fastify: '5.x', name: '@heylook/server-anthropic' },
);
