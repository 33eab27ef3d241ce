import { abortOnClose, assertCanChat, collectStream, openModelStream, parseRequest, type ChatRequest, type Usage } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { mergeChoiceStreams, openWhenRead, type ChoicePart } from '../merge-choice-streams.js';
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
    const choices = body.n ?? 1;
    // One signal for every choice: a client that leaves, or a choice that fails, stops them all.
    const stopAll = new AbortController();
    const signal = AbortSignal.any([abortOnClose(reply.raw), stopAll.signal]);
    const open = (index: number) =>
      openModelStream(options.router, body.model, { signal, keepAlive: body.keep_alive }, (provider) => {
        assertCanChat(provider, chatRequest);
        return provider.chat(choiceRequest(chatRequest, index), { signal });
      });
    // The first choice opens before anything is sent, so every error it can meet before the
    // first token still gets its status code; the others are the same request.
    const { lease, parts } = await open(0);
    const rest = Array.from({ length: choices - 1 }, (_, index) => openWhenRead(async () => (await open(index + 1)).parts));
    const context = createChunkContext('chatcmpl', body, lease.modelId);
    if (body.stream) {
      if (choices === 1) {
        const mapper = new ChatChunkMapper(context);
        return streamSse(reply, parts, (part) => mapper.map(part), options.keepAliveIntervalMs);
      }
      const mappers = Array.from({ length: choices }, (_, index) => new ChatChunkMapper(context, index, false));
      const usage = new UsageTotal();
      const mapChoice = ({ index, part }: ChoicePart) => {
        const chunks = mappers[index]!.map(part);
        if (part.type !== 'finish' || !usage.add(part.usage, choices)) return chunks;
        return [...chunks, ...mappers[0]!.usageChunk(usage.total)];
      };
      return streamSse(reply, mergeChoiceStreams([parts, ...rest], () => stopAll.abort()), mapChoice, options.keepAliveIntervalMs);
    }
    const results = await Promise.all([parts, ...rest].map((stream) => collectStream(stream))).finally(() => stopAll.abort());
    const usage = new UsageTotal();
    for (const result of results) usage.add(result.usage, choices);
    return {
      id: context.id,
      object: 'chat.completion',
      created: context.created,
      model: context.model,
      system_fingerprint: 'heylook',
      choices: results.map((result, index) => ({
        index,
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
      })),
      usage: toOpenAIUsage(usage.total),
    };
  });
}

/** Choice `index` of a request: with a seed, each choice gets its own (seed + index), or all n would be the same. */
function choiceRequest(request: ChatRequest, index: number): ChatRequest {
  return index === 0 || request.seed === undefined ? request : { ...request, seed: request.seed + index };
}

/** Usage of n choices as OpenAI counts it: the prompt once, the completions summed. */
class UsageTotal {
  total: Usage = { promptTokens: 0, completionTokens: 0 };
  #count = 0;

  /** Adds one choice's usage; true once all `choices` are in. */
  add(usage: Usage, choices: number): boolean {
    this.total = {
      promptTokens: usage.promptTokens,
      completionTokens: this.total.completionTokens + usage.completionTokens,
      cachedPromptTokens: Math.max(this.total.cachedPromptTokens ?? 0, usage.cachedPromptTokens ?? 0),
    };
    return ++this.#count === choices;
  }
}
