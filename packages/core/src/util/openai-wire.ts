import type { ChatMessage, ResponseFormat, ToolChoice, ToolDefinition } from '../provider/types.js';

type Json = Record<string, unknown>;

/**
 * Our canonical chat pieces in the OpenAI Chat Completions wire format, for providers that
 * talk to an OpenAI-compatible upstream (llama-server, vLLM, another heylook...).
 */
export function toOpenAIMessage(message: ChatMessage): Json {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      if (typeof message.content === 'string') return { role: 'user', content: message.content };
      return {
        role: 'user',
        content: message.content.map((part) =>
          part.type === 'text'
            ? { type: 'text', text: part.text }
            : { type: 'image_url', image_url: { url: `data:${part.mediaType ?? 'image/png'};base64,${Buffer.from(part.data).toString('base64')}` } },
        ),
      };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.reasoning ? { reasoning_content: message.reasoning } : {}),
        ...(message.toolCalls?.length
          ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
          : {}),
      };
    case 'tool':
      return {
        role: 'tool',
        content: message.content,
        ...(message.toolCallId ? { tool_call_id: message.toolCallId } : {}),
        ...(message.name ? { name: message.name } : {}),
      };
  }
}

export function toOpenAITools(tools: ToolDefinition[]): Json[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters ?? { type: 'object', properties: {} } },
  }));
}

export function toOpenAIToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

export function toOpenAIResponseFormat(format: ResponseFormat): Json {
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json':
      return { type: 'json_object' };
    case 'json-schema':
      return {
        type: 'json_schema',
        json_schema: { name: format.name ?? 'response', schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}) },
      };
  }
}
