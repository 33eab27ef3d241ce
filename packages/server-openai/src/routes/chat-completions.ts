import { randomUUID } from 'node:crypto';
import { abortOnClose, collectStream, errorCodes, HeylookError, openModelStream, type BaseProvider, type ChatRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import { chatCompletionRequestSchema, parseBody } from '../request-schemas.js';
import { streamSse } from '../stream-sse.js';
import { toChatRequest } from '../to-chat-request.js';
import { ChatChunkMapper, toOpenAIFinishReason, toOpenAIUsage } from '../to-openai-chunk.js';

/** POST /v1/chat/completions */
export function chatCompletionsRoute(app: FastifyInstance, options: OpenAIServerOptions): void {
  app.post('/chat/completions', async (request, reply) => {
    const body = parseBody(chatCompletionRequestSchema, request.body);
    const chatRequest = toChatRequest(body);
    const signal = abortOnClose(reply.raw);
    const { lease, parts } = await openModelStream(
      options.router,
      body.model,
      { signal, ...(body.keep_alive === undefined ? {} : { keepAlive: body.keep_alive }) },
      (provider) => {
        assertCanChat(provider, chatRequest);
        return provider.chat(chatRequest, { signal });
      },
    );
    const context = {
      id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? lease.modelId,
      includeUsage: body.stream_options?.include_usage === true,
    };
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
          logprobs: null,
          finish_reason: toOpenAIFinishReason(result.finishReason),
        },
      ],
      usage: toOpenAIUsage(result.usage),
    };
  });
}

function assertCanChat(provider: BaseProvider, request: ChatRequest): void {
  const hasImages = request.messages.some(
    (message) => message.role === 'user' && typeof message.content !== 'string' && message.content.some((part) => part.type === 'image'),
  );
  if (hasImages && !provider.capabilities.vision) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot read images; send text only or pick a vision model.`, {
      param: 'messages',
    });
  }
  if (request.tools?.length && !provider.capabilities.tools) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" does not support tools.`, { param: 'tools' });
  }
  if (request.responseFormat?.type === 'json-schema' && !provider.capabilities.jsonSchema) {
    throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot enforce a JSON schema.`, {
      param: 'response_format',
    });
  }
}
