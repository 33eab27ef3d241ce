import { abortOnClose, assertCanChat, collectStream, openModelStream, parseRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import { chatCompletionRequestSchema } from '../request-schemas.js';
import { streamSse } from '../stream-sse.js';
import { toChatRequest } from '../to-chat-request.js';
import { toChatLogprobs } from '../to-openai-logprobs.js';
import { ChatChunkMapper, createChunkContext, toOpenAIFinishReason, toOpenAIUsage } from '../to-openai-chunk.js';

/** POST /v1/chat/completions */
export function chatCompletionsRoute(app: FastifyInstance, options: OpenAIServerOptions): void {
  app.post('/chat/completions', async (request, reply) => {
    const body = parseRequest(chatCompletionRequestSchema, request.body);
    const chatRequest = toChatRequest(body);
    const signal = abortOnClose(reply.raw);
    const { lease, parts } = await openModelStream(
      options.router,
      body.model,
      { signal, keepAlive: body.keep_alive },
      (provider) => {
        assertCanChat(provider, chatRequest);
        return provider.chat(chatRequest, { signal });
      },
    );
    const context = createChunkContext('chatcmpl', body, lease.modelId);
    if (body.stream) {
      const mapper = new ChatChunkMapper(context);
      return streamSse(reply, parts, (part) => mapper.map(part), options.keepAliveIntervalMs);
    }
    const result = await collectStream(parts);
    return {
      id: context.id,
      object: 'chat.completion',
      created: context.created,
      model: context.model,
      system_fingerprint: 'heylook',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: result.toolCalls.length > 0 && result.text === '' ? null : result.text,
            ...(result.reasoning ? { reasoning_content: result.reasoning } : {}),
            ...(result.toolCalls.length
              ? {
                  tool_calls: result.toolCalls.map((call) => ({
                    id: call.id,
                    type: 'function',
                    function: { name: call.name, arguments: call.arguments },
                  })),
                }
              : {}),
          },
          logprobs: toChatLogprobs(result.logprobs),
          finish_reason: toOpenAIFinishReason(result.finishReason),
        },
      ],
      usage: toOpenAIUsage(result.usage),
    };
  });
}
