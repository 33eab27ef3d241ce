import {
  abortOnClose,
  assertCanComplete,
  collectStream,
  errorCodes,
  HeylookError,
  openModelStream,
  parseRequest,
  type CompletionRequest,
  type StreamPart,
} from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import { completionRequestSchema } from '../request-schemas.js';
import { streamSse } from '../stream-sse.js';
import { toGenerationOptions } from '../to-chat-request.js';
import { toLegacyLogprobs } from '../to-openai-logprobs.js';
import { CompletionChunkMapper, createChunkContext, toOpenAIFinishReason, toOpenAIUsage } from '../to-openai-chunk.js';

/** POST /v1/completions — legacy raw-prompt completions; no chat template. */
export function completionsRoute(app: FastifyInstance, options: OpenAIServerOptions): void {
  app.post('/completions', async (request, reply) => {
    const body = parseRequest(completionRequestSchema, request.body);
    if (body.logprobs != null && (body.logprobs < 0 || body.logprobs > 20)) {
      throw new HeylookError(errorCodes.invalidRequest, '"logprobs" must be between 0 and 20.', { param: 'logprobs' });
    }
    const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!;
    const completion: CompletionRequest = {
      // OpenAI's legacy default is 16 tokens.
      maxTokens: 16,
      ...toGenerationOptions(body),
      prompt,
      ...(body.suffix ? { suffix: body.suffix } : {}),
      ...(body.logprobs != null ? { logprobs: { topLogprobs: body.logprobs } } : {}),
    };
    const signal = abortOnClose(reply.raw);
    const { lease, parts: answer } = await openModelStream(
      options.router,
      body.model,
      { signal, keepAlive: body.keep_alive },
      (provider) => {
        assertCanComplete(provider, completion);
        return provider.complete(completion, { signal });
      },
    );
    const parts = body.echo ? withEcho(prompt, answer) : answer;
    const context = createChunkContext('cmpl', body, lease.modelId);
    if (body.stream) {
      const mapper = new CompletionChunkMapper(context);
      return streamSse(reply, parts, (part) => mapper.map(part), options.keepAliveIntervalMs);
    }
    const result = await collectStream(parts);
    return {
      id: context.id,
      object: 'text_completion',
      created: context.created,
      model: context.model,
      system_fingerprint: 'heylook',
      choices: [{ index: 0, text: result.text, logprobs: toLegacyLogprobs(result.logprobs, body.echo ? prompt.length : 0), finish_reason: toOpenAIFinishReason(result.finishReason) }],
      usage: toOpenAIUsage(result.usage),
    };
  });
}

/** `echo`: the prompt comes first, as text of the answer. */
async function* withEcho(prompt: string, parts: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
  if (prompt) yield { type: 'text-delta', text: prompt };
  yield* parts;
}
