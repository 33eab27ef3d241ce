import { abortOnClose, assertCanChat, ContentBlockSequencer, openModelStream, parseRequest, type ContentBlockEvent, type StreamPart } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { AnthropicServerOptions } from '../anthropic-server-options.js';
import { messagesRequestSchema } from '../request-schemas.js';
import { streamMessages } from '../stream-messages.js';
import { toChatRequest } from '../to-chat-request.js';
import { createMessageContext, MessageEventMapper, toAnthropicMessage } from '../to-anthropic-message.js';

/** POST /v1/messages (Claude Code adds `?beta=true`, which changes nothing here). */
export function messagesRoute(app: FastifyInstance, options: AnthropicServerOptions): void {
  app.post('/', async (request, reply) => {
    const body = parseRequest(messagesRequestSchema, request.body);
    const chatRequest = toChatRequest(body);
    const signal = abortOnClose(reply.raw);
    const { lease, parts } = await openModelStream(options.router, body.model, { signal, keepAlive: body.keep_alive }, (provider) => {
      assertCanChat(provider, chatRequest);
      return provider.chat(chatRequest, { signal });
    });
    const context = createMessageContext(body.model ?? lease.modelId, body.stop_sequences);
    if (body.stream) {
      // message_start carries the prompt size when the model can count it without generating.
      const inputTokens = await lease.provider.countChatTokens?.(chatRequest).catch(() => undefined);
      return streamMessages(reply, parts, new MessageEventMapper(context), {
        ...(inputTokens !== undefined ? { inputTokens } : {}),
        ...(options.keepAliveIntervalMs !== undefined ? { keepAliveMs: options.keepAliveIntervalMs } : {}),
        headers: { 'request-id': requestId(request.id) },
      });
    }
    void reply.header('request-id', requestId(request.id));
    return toAnthropicMessage(context, await collectBlocks(parts));
  });
}

/** Reads the whole stream through the same sequencer the streaming path uses, so both give the same blocks. */
async function collectBlocks(parts: AsyncIterable<StreamPart>): Promise<Extract<ContentBlockEvent, { type: 'finish' }>> {
  const sequencer = new ContentBlockSequencer();
  for await (const part of parts) {
    for (const event of sequencer.push(part)) {
      if (event.type === 'error') throw event.error;
      if (event.type === 'finish') return event;
    }
  }
  throw new Error('The model stream ended without a finish part.');
}

/** Anthropic's `request-id` header, from fastify's request id (`req-7` → `req_7`) so it matches the logs. */
function requestId(id: string): string {
  return `req_${id.replace(/^req-/, '')}`;
}
