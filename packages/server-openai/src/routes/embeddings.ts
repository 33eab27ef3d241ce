import { abortOnClose, assertCanEmbed, errorCodes, HeylookError, parseRequest, withModel } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import { embeddingsRequestSchema } from '../request-schemas.js';

/** POST /v1/embeddings — strings or token arrays; float or base64 vectors. */
export function embeddingsRoute(app: FastifyInstance, options: OpenAIServerOptions): void {
  app.post('/embeddings', async (request, reply) => {
    const body = parseRequest(embeddingsRequestSchema, request.body);
    const signal = abortOnClose(reply.raw);
    const result = await withModel(
      options.router,
      body.model,
      { signal, keepAlive: body.keep_alive },
      async (provider, lease) => {
        assertCanEmbed(provider);
        const input = await toTexts(body.input, provider.detokenize?.bind(provider));
        return { lease, embedded: await provider.embed({ input, ...(body.dimensions ? { dimensions: body.dimensions } : {}) }, { signal }) };
      },
    );
    const encode = (vector: number[]) =>
      body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return {
      object: 'list',
      data: result.embedded.embeddings.map((vector, index) => ({ object: 'embedding', index, embedding: encode(vector) })),
      model: body.model ?? result.lease.modelId,
      usage: { prompt_tokens: result.embedded.usage.promptTokens, total_tokens: result.embedded.usage.promptTokens },
    };
  });
}

async function toTexts(
  input: string | string[] | number[] | number[][],
  detokenize: ((tokens: number[]) => Promise<string>) | undefined,
): Promise<string[]> {
  if (typeof input === 'string') return [input];
  if (input.every((item) => typeof item === 'string')) return input as string[];
  const tokenLists = typeof input[0] === 'number' ? [input as number[]] : (input as number[][]);
  if (!detokenize) {
    throw new HeylookError(errorCodes.unsupportedCapability, 'This model cannot take token ids as input; send strings.', { param: 'input' });
  }
  return Promise.all(tokenLists.map((tokens) => detokenize(tokens)));
}
