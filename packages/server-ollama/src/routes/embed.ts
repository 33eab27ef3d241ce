import { abortOnClose, assertCanEmbed, parseRequest, withModel } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { resolveModelName } from '../model-names.js';
import type { OllamaServerOptions } from '../ollama-server-options.js';
import { embedRequestSchema, legacyEmbeddingsRequestSchema } from '../request-schemas.js';
import { nanoseconds } from '../to-ollama-line.js';

/** POST /api/embed and the legacy POST /api/embeddings — real vectors from the model. */
export function embedRoutes(app: FastifyInstance, { router }: OllamaServerOptions): void {
  app.post('/embed', async (request, reply) => {
    const startedAt = performance.now();
    const body = parseRequest(embedRequestSchema, request.body);
    const entry = resolveModelName(router, body.model);
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const { result, loadDurationMs } = await withModel(
      router,
      entry.id,
      { signal: abortOnClose(reply.raw), keepAlive: body.keep_alive },
      async (provider, lease) => {
        assertCanEmbed(provider);
        const result = await provider.embed({
          input,
          truncate: body.truncate ?? true,
          dimensions: body.dimensions,
        });
        return { result, loadDurationMs: lease.loadDurationMs };
      },
    );
    return {
      model: body.model,
      embeddings: result.embeddings,
      total_duration: nanoseconds(performance.now() - startedAt),
      load_duration: nanoseconds(loadDurationMs),
      prompt_eval_count: result.usage.promptTokens,
    };
  });

  app.post('/embeddings', async (request, reply) => {
    const body = parseRequest(legacyEmbeddingsRequestSchema, request.body);
    const entry = resolveModelName(router, body.model);
    const result = await withModel(
      router,
      entry.id,
      { signal: abortOnClose(reply.raw), keepAlive: body.keep_alive },
      async (provider) => {
        assertCanEmbed(provider);
        return provider.embed({ input: [body.prompt], truncate: true });
      },
    );
    return { embedding: result.embeddings[0] };
  });
}
