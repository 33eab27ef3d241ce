import { abortOnClose, assertCanChat, type ChatRequest, collectStream, openModelStream, parseRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { loadOrUnload } from '../load-or-unload.js';
import { resolveModelName } from '../model-names.js';
import { streamNdjson } from '../ndjson.js';
import type { OllamaServerOptions } from '../ollama-server-options.js';
import { chatRequestSchema } from '../request-schemas.js';
import { toChatMessages, toGenerationOptions, toTools } from '../to-chat-request.js';
import { finalStats, parseArguments, toChatLines, toLogprobsOption, toOllamaLogprobs } from '../to-ollama-line.js';

/** POST /api/chat — streams NDJSON by default; an empty message list loads (or unloads) the model. */
export function chatRoute(app: FastifyInstance, { router }: OllamaServerOptions): void {
  app.post('/chat', async (request, reply) => {
    const startedAt = performance.now();
    const body = parseRequest(chatRequestSchema, request.body);
    const entry = resolveModelName(router, body.model);
    const signal = abortOnClose(reply.raw);
    if (body.messages.length === 0) {
      const done_reason = await loadOrUnload(router, entry.id, body.keep_alive, signal);
      return { model: body.model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done_reason, done: true };
    }
    const tools = toTools(body.tools);
    const chatRequest: ChatRequest = {
      ...toGenerationOptions(body.options, body.format),
      messages: toChatMessages(body.messages),
      ...(tools ? { tools } : {}),
      ...(body.think === undefined ? {} : { think: body.think !== false }),
      ...toLogprobsOption(body),
    };
    const { lease, parts } = await openModelStream(router, entry.id, { signal, keepAlive: body.keep_alive }, (provider) => {
      assertCanChat(provider, chatRequest);
      return provider.chat(chatRequest, { signal });
    });
    const context = { model: body.model, startedAt, loadDurationMs: lease.loadDurationMs };
    if (body.stream !== false) return streamNdjson(reply, parts, (part) => toChatLines(context, part));
    const result = await collectStream(parts);
    return {
      model: body.model,
      created_at: new Date().toISOString(),
      message: {
        role: 'assistant',
        content: result.text,
        ...(result.reasoning ? { thinking: result.reasoning } : {}),
        ...(result.toolCalls.length
          ? {
              tool_calls: result.toolCalls.map((call, index) => ({
                id: call.id,
                function: { index, name: call.name, arguments: parseArguments(call.arguments) },
              })),
            }
          : {}),
      },
      ...finalStats(context, result.finishReason, result.usage),
      ...toOllamaLogprobs(result.logprobs),
    };
  });
}
