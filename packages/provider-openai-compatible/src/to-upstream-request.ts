import {
  toOpenAIMessage,
  toOpenAIResponseFormat,
  toOpenAIToolChoice,
  toOpenAITools,
  type ChatMessage,
  type ChatRequest,
  type CompletionRequest,
  type EmbedRequest,
  type GenerationOptions,
} from '@heylook/core';

type Json = Record<string, unknown>;

/**
 * Our canonical chat request → an OpenAI `/chat/completions` body. Always streamed, with
 * usage, so one code path serves streaming and non-streaming clients. Fields beyond
 * OpenAI's (top_k, min_p, repetition penalty, thinking) are sent only when set.
 */
export function toChatBody(request: ChatRequest, model: string): Json {
  return {
    model,
    messages: request.messages.map(toOpenAIMessage),
    ...generationFields(request),
    ...(request.tools?.length ? { tools: toOpenAITools(request.tools) } : {}),
    ...(request.toolChoice !== undefined ? { tool_choice: toOpenAIToolChoice(request.toolChoice) } : {}),
    ...(request.parallelToolCalls !== undefined ? { parallel_tool_calls: request.parallelToolCalls } : {}),
    ...(request.responseFormat ? { response_format: toOpenAIResponseFormat(request.responseFormat) } : {}),
    ...(request.logprobs ? { logprobs: true, top_logprobs: request.logprobs.topLogprobs } : {}),
    // vLLM, SGLang and llama-server pass these to the chat template (Qwen3, DeepSeek...).
    ...(request.think !== undefined ? { chat_template_kwargs: { enable_thinking: request.think } } : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** A raw completion → an OpenAI `/completions` body. */
export function toCompletionBody(request: CompletionRequest, model: string): Json {
  return {
    model,
    prompt: request.prompt,
    ...(request.suffix !== undefined ? { suffix: request.suffix } : {}),
    ...generationFields(request),
    ...(request.logprobs ? { logprobs: request.logprobs.topLogprobs } : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}

export function toEmbeddingsBody(request: EmbedRequest, model: string): Json {
  return { model, input: request.input, encoding_format: 'float', ...(request.dimensions ? { dimensions: request.dimensions } : {}) };
}

function generationFields(options: GenerationOptions): Json {
  const fields: Json = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) fields[key] = value;
  };
  set('max_tokens', options.maxTokens);
  set('temperature', options.temperature);
  set('top_p', options.topP);
  set('top_k', options.topK);
  set('min_p', options.minP);
  // vLLM, SGLang and heylook read repetition_penalty; llama-server reads repeat_penalty.
  set('repetition_penalty', options.repeatPenalty);
  set('repeat_penalty', options.repeatPenalty);
  set('repeat_last_n', options.repeatLastN);
  set('presence_penalty', options.presencePenalty);
  set('frequency_penalty', options.frequencyPenalty);
  set('seed', options.seed);
  if (options.stop?.length) fields.stop = options.stop;
  return fields;
}

/**
 * What identifies a conversation for prefix stickiness: the system prompt and the first user
 * message, which every later turn of the conversation repeats.
 */
export function conversationKey(messages: ChatMessage[]): string {
  const system = messages.find((message) => message.role === 'system');
  const user = messages.find((message) => message.role === 'user');
  const text = (message: ChatMessage | undefined) =>
    message === undefined ? '' : typeof message.content === 'string' ? message.content : message.content.map((part) => (part.type === 'text' ? part.text : '[image]')).join('');
  return `${text(system)}\0${text(user)}`;
}
