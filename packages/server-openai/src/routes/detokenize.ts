import { abortOnClose, parseRequest, withModel } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import { detokenizeRequestSchema } from '../request-schemas.js';
import { requireTokenizer } from './tokenize.js';

/** POST /detokenize, as llama-server answers it: `{content}`. Ids outside the vocabulary are a 400. */
export function detokenizeRoute(app: FastifyInstance, options: OpenAIServerOptions): void {
  app.post('/detokenize', async (request, reply) => {
    const body = parseRequest(detokenizeRequestSchema, request.body);
    const signal = abortOnClose(reply.raw);
    return withModel(options.router, body.model, { signal }, async (provider) => ({
      content: await requireTokenizer(provider).detokenize(body.tokens),
    }));
  });
}
