import { errorCodes, HeylookError, parseRequest, withModel, type ChatRequest } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import type { AnthropicServerOptions } from '../anthropic-server-options.js';
import { countTokensRequestSchema } from '../request-schemas.js';
import { toPromptRequest } from '../to-chat-request.js';

/** POST /v1/messages/count_tokens, counted with the model's own tokenizer. */
export function countTokensRoute(app: FastifyInstance, options: AnthropicServerOptions): void {
  app.post('/count_tokens', async (request) => {
    const body = parseRequest(countTokensRequestSchema, request.body);
    const chatRequest = toPromptRequest(body);
    return withModel(options.router, body.model, {}, async (provider) => {
      if (provider.countChatTokens) return { input_tokens: await provider.countChatTokens(chatRequest) };
      if (!provider.countTokens) {
        throw new HeylookError(errorCodes.unsupportedCapability, `Model "${provider.modelId}" cannot count tokens.`, { param: 'model' });
      }
      return { input_tokens: await provider.countTokens(promptText(chatRequest)) };
    });
  });
}

/** For providers that only count plain text: every text of the prompt, tool definitions as JSON. */
function promptText(request: ChatRequest): string {
  const messages = request.messages.map((message) => {
    const content = typeof message.content === 'string' ? message.content : message.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
    const calls = message.role === 'assistant' ? (message.toolCalls ?? []).map((call) => `${call.name}(${call.arguments})`) : [];
    return [content, ...calls].join('\n');
  });
  return [...messages, ...(request.tools ?? []).map((tool) => JSON.stringify(tool))].join('\n');
}
