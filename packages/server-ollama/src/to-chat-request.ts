import { errorCodes, HeylookError, type ChatMessage, type ContentPart, type GenerationOptions, type ResponseFormat, type ToolDefinition } from '@heylook/core';
import type { OllamaChatRequest, OllamaMessage, OllamaOptions } from './request-schemas.js';

/** Ollama `options` and `format` → canonical generation options. */
export function toGenerationOptions(options: OllamaOptions, format: OllamaChatRequest['format']): GenerationOptions {
  const result: GenerationOptions = {};
  const set = <K extends keyof GenerationOptions>(key: K, value: GenerationOptions[K] | undefined) => {
    if (value !== undefined) result[key] = value;
  };
  set('temperature', options?.temperature);
  set('topK', options?.top_k);
  set('topP', options?.top_p);
  set('minP', options?.min_p);
  set('repeatPenalty', options?.repeat_penalty);
  set('repeatLastN', options?.repeat_last_n !== undefined && options.repeat_last_n > 0 ? options.repeat_last_n : undefined);
  set('presencePenalty', options?.presence_penalty);
  set('frequencyPenalty', options?.frequency_penalty);
  set('seed', options?.seed);
  // num_predict -1 (infinite) and -2 (fill the context) both mean "no limit" here.
  set('maxTokens', options?.num_predict !== undefined && options.num_predict > 0 ? options.num_predict : undefined);
  if (options?.stop !== undefined) result.stop = typeof options.stop === 'string' ? [options.stop] : options.stop;
  const responseFormat = toResponseFormat(format);
  if (responseFormat) result.responseFormat = responseFormat;
  return result;
}

function toResponseFormat(format: OllamaChatRequest['format']): ResponseFormat | undefined {
  if (format === undefined || format === '') return undefined;
  if (format === 'json') return { type: 'json' };
  return { type: 'json-schema', schema: format };
}

export function toTools(tools: OllamaChatRequest['tools']): ToolDefinition[] | undefined {
  if (!tools?.length) return undefined;
  return tools.map(({ function: tool }) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
  }));
}

/** Ollama messages → canonical. Tool calls carry no ids in Ollama; results match them in order. */
export function toChatMessages(messages: OllamaMessage[]): ChatMessage[] {
  let callCounter = 0;
  return messages.map((message, index): ChatMessage => {
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content };
      case 'user':
        return message.images?.length
          ? { role: 'user', content: [{ type: 'text', text: message.content }, ...toImages(message.images, `messages.${index}.images`)] }
          : { role: 'user', content: message.content };
      case 'assistant':
        return {
          role: 'assistant',
          content: message.content,
          ...(message.thinking ? { reasoning: message.thinking } : {}),
          ...(message.tool_calls?.length
            ? {
                toolCalls: message.tool_calls.map((call) => ({
                  id: call.id ?? `call_${callCounter++}`,
                  name: call.function.name,
                  arguments: typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments),
                })),
              }
            : {}),
        };
      case 'tool':
        return {
          role: 'tool',
          content: message.content,
          ...(message.tool_call_id ? { toolCallId: message.tool_call_id } : {}),
          ...(message.tool_name ? { name: message.tool_name } : {}),
        };
    }
  });
}

export function toImages(images: string[], param: string): ContentPart[] {
  return images.map((image, index) => {
    const base64 = image.replace(/^data:[\w/+.-]+;base64,/, '');
    if (!/^[A-Za-z0-9+/=\s]+$/.test(base64)) {
      throw new HeylookError(errorCodes.invalidRequest, `${param}[${index}] is not base64-encoded image data`, { param });
    }
    return { type: 'image', data: new Uint8Array(Buffer.from(base64, 'base64')) };
  });
}
