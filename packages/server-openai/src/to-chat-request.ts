import { errorCodes, HeylookError, type ChatMessage, type ChatRequest, type ContentPart, type GenerationOptions } from '@heylook/core';
import type { ChatCompletionRequest, CompletionRequestBody, OpenAIChatMessage } from './request-schemas.js';

/** Most choices one chat request may ask for (`n`); each takes a sequence of the model. */
export const maxChoices = 8;

/** Sampling fields shared by /chat/completions and /completions → canonical options. */
export function toGenerationOptions(body: ChatCompletionRequest | CompletionRequestBody, choicesAllowed = 1): GenerationOptions {
  if (body.n !== undefined && body.n !== null && body.n > choicesAllowed) {
    throw new HeylookError(
      errorCodes.invalidRequest,
      choicesAllowed === 1 ? '"n" must be 1 on this endpoint.' : `"n" can be at most ${choicesAllowed}.`,
      { param: 'n' },
    );
  }
  const options: GenerationOptions = {};
  const set = <K extends keyof GenerationOptions>(key: K, value: GenerationOptions[K] | null | undefined) => {
    if (value !== undefined && value !== null) options[key] = value;
  };
  set('maxTokens', ('max_completion_tokens' in body ? body.max_completion_tokens : undefined) ?? body.max_tokens);
  set('temperature', body.temperature);
  set('topP', body.top_p);
  set('topK', body.top_k);
  set('minP', body.min_p);
  set('seed', body.seed);
  set('presencePenalty', body.presence_penalty);
  set('frequencyPenalty', body.frequency_penalty);
  set('repeatPenalty', body.repetition_penalty ?? body.repeat_penalty);
  set('grammar', body.grammar);
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) {
    options.logitBias = Object.fromEntries(Object.entries(body.logit_bias).map(([token, bias]) => [Number(token), bias]));
  }
  if (body.stop !== undefined && body.stop !== null) options.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  return options;
}

/** An OpenAI chat request → the canonical request every provider understands. */
export function toChatRequest(body: ChatCompletionRequest): ChatRequest {
  if (body.top_logprobs != null && !body.logprobs) {
    throw new HeylookError(errorCodes.invalidRequest, '"top_logprobs" needs "logprobs": true.', { param: 'top_logprobs' });
  }
  const request: ChatRequest = { ...toGenerationOptions(body, maxChoices), messages: body.messages.map(toChatMessage) };
  // Models that cannot return logprobs refuse them with a 400 (assertCanChat).
  if (body.logprobs) request.logprobs = { topLogprobs: body.top_logprobs ?? 0 };
  const format = body.response_format;
  if (format?.type === 'json_object') request.responseFormat = format.schema ? { type: 'json-schema', schema: format.schema } : { type: 'json' };
  if (format?.type === 'json_schema') {
    request.responseFormat = format.json_schema.schema
      ? {
          type: 'json-schema',
          schema: format.json_schema.schema,
          ...(format.json_schema.name ? { name: format.json_schema.name } : {}),
        }
      : { type: 'json' };
  }
  if (body.tools?.length) {
    request.tools = body.tools.map(({ function: tool }) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
    }));
  }
  const choice = body.tool_choice;
  if (choice) request.toolChoice = typeof choice === 'string' ? choice : { name: choice.function.name };
  if (choice && typeof choice === 'object' && !request.tools?.some((tool) => tool.name === choice.function.name)) {
    throw new HeylookError(errorCodes.invalidRequest, `tool_choice names "${choice.function.name}", which is not in tools.`, {
      param: 'tool_choice',
    });
  }
  if (body.parallel_tool_calls !== undefined && body.parallel_tool_calls !== null) request.parallelToolCalls = body.parallel_tool_calls;
  // Thinking off: OpenAI's reasoning_effort "none", or enable_thinking as vLLM and llama-server take it.
  const enableThinking = body.chat_template_kwargs?.enable_thinking;
  if (typeof enableThinking === 'boolean') request.think = enableThinking;
  else if (body.reasoning_effort === 'none') request.think = false;
  return request;
}

function toChatMessage(message: OpenAIChatMessage, index: number): ChatMessage {
  const text = (content: OpenAIChatMessage['content']) =>
    typeof content === 'string'
      ? content
      : (content ?? []).map((part) => {
          if (part.type !== 'text') {
            throw new HeylookError(errorCodes.invalidRequest, `messages[${index}]: only user messages may contain images.`, {
              param: `messages.${index}.content`,
            });
          }
          return part.text;
        }).join('');
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: text(message.content) };
    case 'user':
      if (message.content === undefined || message.content === null) {
        throw new HeylookError(errorCodes.invalidRequest, `messages[${index}]: a user message needs "content".`, { param: `messages.${index}.content` });
      }
      return {
        role: 'user',
        content:
          typeof message.content === 'string'
            ? message.content
            : message.content.map((part, partIndex) => toContentPart(part, index, partIndex)),
      };
    case 'assistant':
      return {
        role: 'assistant',
        content: text(message.content),
        ...(message.reasoning_content ? { reasoning: message.reasoning_content } : {}),
        ...(message.tool_calls?.length
          ? { toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) }
          : {}),
      };
    case 'tool':
      return {
        role: 'tool',
        content: text(message.content),
        ...(message.tool_call_id ? { toolCallId: message.tool_call_id } : {}),
        ...(message.name ? { name: message.name } : {}),
      };
  }
}

type OpenAIContentPart = Exclude<OpenAIChatMessage['content'], string | null | undefined>[number];

function toContentPart(part: OpenAIContentPart, index: number, partIndex: number): ContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
  const match = /^data:([\w/+.-]+)?(;base64)?,(.*)$/s.exec(url);
  if (!match || !match[2]) {
    throw new HeylookError(
      errorCodes.invalidRequest,
      `messages[${index}].content[${partIndex}]: images must be base64 data URLs (data:image/png;base64,...); heylook does not fetch remote URLs.`,
      { param: `messages.${index}.content.${partIndex}.image_url` },
    );
  }
  return { type: 'image', data: new Uint8Array(Buffer.from(match[3]!, 'base64')), ...(match[1] ? { mediaType: match[1] } : {}) };
}
