import { abortOnClose, errorCodes, HeylookError, parseRequest, withModel, type BaseProvider } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import { tokenizeRequestSchema } from '../request-schemas.js';

/**
 * POST /tokenize, as llama-server answers it: `{tokens}` (ids, or `{id, piece}` with
 * `with_pieces`). `add_special` adds BOS (default false), `parse_special` reads `<s>` as the
 * special token (default true). The length of `tokens` is the prompt's token count.
 */
export function tokenizeRoute(app: FastifyInstance, options: OpenAIServerOptions): void {
  app.post('/tokenize', async (request, reply) => {
    const body = parseRequest(tokenizeRequestSchema, request.body);
    const signal = abortOnClose(reply.raw);
    return withModel(options.router, body.model, { signal }, async (provider) => {
      const tokenizer = requireTokenizer(provider);
      const tokens = await tokenizer.tokenize(body.content, { addSpecial: body.add_special ?? false, parseSpecial: body.parse_special ?? true });
      if (!body.with_pieces) return { tokens };
      return { tokens: await Promise.all(tokens.map(async (id) => ({ id, piece: await tokenizer.detokenize([id]) }))) };
    });
  });
}

type Tokenizer = Required<Pick<BaseProvider, 'tokenize' | 'detokenize'>>;

/** The provider, if it tokenizes and detokenizes; else HEYLOOK_UNSUPPORTED_CAPABILITY. */
export function requireTokenizer(provider: BaseProvider): Tokenizer {
  if (!provider.capabilities.tokenize || !provider.tokenize || !provider.detokenize) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" does not expose its tokenizer.`, { param: 'model' });
  }
  return provider as BaseProvider & Tokenizer;
}
