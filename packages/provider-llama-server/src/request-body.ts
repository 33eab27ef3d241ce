import { forcedToolsOf, logitBiasEntries, toOpenAIMessage, toOpenAIResponseFormat, toOpenAIToolChoice, toOpenAITools, type ChatRequest, type GenerationOptions, type ResponseFormat } from '@heylook/core';
import type { LlamaServerConfig } from './llama-server-config.js';

type Json = Record<string, unknown>;

/**
 * Sampling fields llama-server understands on both /completion and /v1/chat/completions.
 * The request's values win over the model config's defaults; unset stays unset (llama-server's
 * own defaults apply). `logit_bias` ids are checked against the model's `vocabularySize`.
 */
export function samplingFields(request: GenerationOptions, config: LlamaServerConfig, vocabularySize = Number.MAX_SAFE_INTEGER): Json {
  const bias = logitBiasEntries(request.logitBias, vocabularySize);
  const fields: Json = {
    temperature: request.temperature ?? config.temperature,
    top_p: request.topP ?? config.top_p,
    top_k: request.topK ?? config.top_k,
    min_p: request.minP ?? config.min_p,
    repeat_penalty: request.repeatPenalty ?? config.repeat_penalty ?? config.repetition_penalty,
    repeat_last_n: request.repeatLastN,
    presence_penalty: request.presencePenalty ?? config.presence_penalty,
    frequency_penalty: request.frequencyPenalty ?? config.frequency_penalty,
    seed: request.seed ?? config.seed,
    stop: [...config.stop, ...(request.stop ?? [])],
    // llama-server's pairs; `false` bans a token outright (OpenAI's -100).
    logit_bias: bias.length ? bias.map(([token, value]) => [token, value <= -100 ? false : value]) : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The body of a streaming /v1/chat/completions request. */
export function chatBody(request: ChatRequest, config: LlamaServerConfig, vocabularySize?: number): Json {
  const maxTokens = request.maxTokens ?? config.max_tokens;
  const body: Json = {
    messages: request.messages.map(toOpenAIMessage),
    stream: true,
    stream_options: { include_usage: true },
    ...samplingFields(request, config, vocabularySize),
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    // JSON mode and JSON schemas: llama-server turns both into a grammar.
    ...(request.responseFormat && request.responseFormat.type !== 'text' ? { response_format: toOpenAIResponseFormat(request.responseFormat) } : {}),
    // Reuse the prompt prefix an earlier request left in the slot (llama-server's default, made explicit).
    cache_prompt: true,
  };
  if (request.tools?.length) {
    const choice = request.toolChoice;
    if (typeof choice === 'object') {
      // llama-server takes tool_choice "auto", "none" or "required" only: a named function is "required" of that tool alone.
      body.tools = toOpenAITools(forcedToolsOf(request)!);
      body.tool_choice = 'required';
    } else {
      body.tools = toOpenAITools(request.tools);
      if (choice) body.tool_choice = toOpenAIToolChoice(choice);
    }
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  if (request.think !== undefined) {
    body.chat_template_kwargs = { enable_thinking: request.think };
    if (!request.think) body.reasoning_effort = 'none';
  }
  if (request.logprobs) {
    body.logprobs = true;
    body.top_logprobs = request.logprobs.topLogprobs;
  }
  return body;
}

/** llama-server's `response_format`/`json_schema` for the native /completion endpoint. */
export function completionFormat(format: ResponseFormat | undefined): Json {
  if (!format || format.type === 'text') return {};
  return { json_schema: format.type === 'json' ? {} : format.schema };
}
