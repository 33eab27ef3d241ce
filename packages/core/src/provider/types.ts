/**
 * Canonical request and response types of provider specification v1. They cover what the
 * OpenAI and Ollama APIs can ask of a model; servers map their protocol onto these and
 * providers never see protocol shapes.
 */

export type TextPart = { type: 'text'; text: string };
/** An image, always as bytes: servers decode data URLs and base64 before a provider sees it. */
export type ImagePart = { type: 'image'; data: Uint8Array; mediaType?: string };
export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as the model produced it. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content: string; reasoning?: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId?: string; name?: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON schema of the arguments object. */
  parameters?: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json' }
  | { type: 'json-schema'; schema: Record<string, unknown>; name?: string; strict?: boolean };

export interface SamplingOptions {
  /** 0 means greedy. */
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  /** Multiplicative repetition penalty (llama.cpp `repeat_penalty`, 1 = off). */
  repeatPenalty?: number;
  /** How many recent tokens the repetition penalties look at. */
  repeatLastN?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
}

export interface GenerationOptions extends SamplingOptions {
  /** Maximum number of tokens to generate; the finish reason is `length` when reached. */
  maxTokens?: number;
  /** Strings that end generation; they are never part of the output. */
  stop?: string[];
  responseFormat?: ResponseFormat;
  /** A GBNF grammar the output must follow (llama.cpp's `grammar`); needs the `grammar` capability. */
  grammar?: string;
  /** Token id → bias added to its logit; -100 or less bans the token. Needs the `logitBias` capability. */
  logitBias?: Record<number, number>;
  /** Return log-probabilities of generated tokens, with this many alternatives each. */
  logprobs?: { topLogprobs: number };
}

export interface ChatRequest extends GenerationOptions {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** Ask a reasoning model to think (true), not to (false), or leave it to the model. */
  think?: boolean;
}

export interface CompletionRequest extends GenerationOptions {
  /** Raw prompt: no chat template is applied. */
  prompt: string;
  /** Text after the insertion point (fill-in-the-middle), where the model supports it. */
  suffix?: string;
  /** Token ids of an earlier completion to continue (Ollama's `context`). */
  context?: number[];
}

export interface EmbedRequest {
  input: string[];
  /** Truncate inputs longer than the context instead of failing. */
  truncate?: boolean;
  /** Shorten vectors to this many dimensions (then re-normalise). */
  dimensions?: number;
}

export interface EmbedResult {
  embeddings: number[][];
  usage: { promptTokens: number };
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes?: number[];
  topLogprobs?: { token: string; logprob: number }[];
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens that were not evaluated again because an earlier request left them in the cache. */
  cachedPromptTokens?: number;
  timings?: {
    /** Time spent evaluating the prompt, in ms. */
    promptMs: number;
    /** Time spent generating, in ms. */
    generationMs: number;
  };
}

export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'cancelled' | 'error';

export type StreamPart =
  | { type: 'text-delta'; text: string; logprobs?: TokenLogprob[] }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id: string; name: string; argumentsDelta: string }
  | { type: 'tool-call'; index: number; id: string; name: string; arguments: string }
  | {
      type: 'finish';
      reason: FinishReason;
      usage: Usage;
      /** The stop string (request or model config) that ended generation, when reason is `stop` because of one. */
      stopSequence?: string;
      /** With reason `length`: the context window was full before the request's max_tokens was reached. */
      contextFull?: boolean;
      /** Token ids of prompt + completion, for Ollama's `context` (raw completions only). */
      context?: number[];
    }
  | { type: 'error'; error: unknown };
