import { abortOnClose, assertCanChat, errorCodes, HeylookError, isHeylookError, openModelStream, parseRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { toOpenAIError } from '../openai-error.js';
import type { OpenAIServerOptions } from '../openai-server-options.js';
import type { OpenAIChatMessage } from '../request-schemas.js';
import { createResponseObject, type ResponseObject } from '../response-object.js';
import type { ResponseStore } from '../response-store.js';
import { responsesRequestSchema } from '../responses-schemas.js';
import { SseWriter } from '../sse-writer.js';
import { toChatRequest } from '../to-chat-request.js';
import { ResponseEventMapper, type ResponseEvent } from '../to-responses-events.js';
import { appendItems, toChatCompletionBody } from '../to-responses-request.js';

/** POST /v1/responses, GET and DELETE /v1/responses/{id} — the OpenAI Responses API. */
export function responsesRoutes(app: FastifyInstance, options: OpenAIServerOptions, store: ResponseStore): void {
  const idle = store.ttlMs >= 60_000 ? `${Math.round(store.ttlMs / 60_000)} min` : `${Math.round(store.ttlMs / 1000)} s`;
  const lookup = (id: string, param?: string) => {
    const stored = store.get(id);
    if (stored) return stored;
    throw new HeylookError(
      errorCodes.notFound,
      `No response with id "${id}": it was not stored (store: false), was deleted, or was evicted (heylook keeps the last ${store.maxEntries} responses, each until ${idle} without use).`,
      param ? { param } : {},
    );
  };

  app.post('/responses', async (request, reply) => {
    const body = parseRequest(responsesRequestSchema, request.body);
    const previous = body.previous_response_id ? lookup(body.previous_response_id, 'previous_response_id') : undefined;
    const { chat, conversation } = toChatCompletionBody(body, previous?.conversation);
    const chatRequest = toChatRequest(chat);
    if (body.reasoning?.effort === 'none') chatRequest.think = false;
    const signal = abortOnClose(reply.raw);
    const { lease, parts } = await openModelStream(
      options.router,
      body.model ?? previous?.response.model,
      { signal, keepAlive: body.keep_alive },
      (provider) => {
        assertCanChat(provider, chatRequest);
        return provider.chat(chatRequest, { signal });
      },
    ).catch((error: unknown) => {
      // Providers name the chat field ("messages": a prompt too long for the context, images); here it is "input".
      if (isHeylookError(error) && error.param === 'messages') throw new HeylookError(error.code, error.message, { param: 'input', cause: error });
      throw error;
    });
    const mapper = new ResponseEventMapper(createResponseObject(body, body.model ?? previous?.response.model ?? lease.modelId));
    // Stored before the final event goes out: a client may send the next turn right after it.
    const keep = (response: ResponseObject) => {
      if (body.store === false || response.status === 'cancelled') return;
      store.set({ response, conversation: withOutput(conversation, response) });
    };

    if (!body.stream) {
      for await (const part of parts) mapper.push(part);
      if (!mapper.done) throw new HeylookError(errorCodes.providerError, 'The model stream ended without a finish.');
      keep(mapper.response);
      return mapper.response;
    }

    const sse = new SseWriter(reply, options.keepAliveIntervalMs ?? 10_000);
    const send = (events: ResponseEvent[]) => {
      for (const event of events) sse.send(event, event.type);
    };
    sse.start();
    try {
      send(mapper.start());
      for await (const part of parts) {
        const events = mapper.push(part);
        if (mapper.done) keep(mapper.response);
        send(events);
      }
      if (!mapper.done) send(mapper.fail('The model stream ended without a finish.'));
    } catch (error) {
      reply.log.warn({ err: error }, 'stream failed after it started');
      if (!mapper.done) {
        const { error: body } = toOpenAIError(error).body;
        send(mapper.fail(body.message, body.code ?? 'server_error'));
      }
    } finally {
      sse.end();
    }
    return reply;
  });

  app.get<{ Params: { id: string }; Querystring: { stream?: string } }>('/responses/:id', async (request) => {
    if (request.query.stream === 'true') {
      throw new HeylookError(errorCodes.invalidRequest, 'Replaying a stored response as a stream is not supported; leave "stream" unset.', { param: 'stream' });
    }
    return lookup(request.params.id).response;
  });

  app.delete<{ Params: { id: string } }>('/responses/:id', async (request) => {
    lookup(request.params.id);
    store.delete(request.params.id);
    return { id: request.params.id, object: 'response', deleted: true };
  });
}

/** The conversation a stored response ends: its input, then its output as an assistant turn. */
function withOutput(conversation: readonly OpenAIChatMessage[], response: ResponseObject): OpenAIChatMessage[] {
  return appendItems([...conversation], response.output, 'output');
}
