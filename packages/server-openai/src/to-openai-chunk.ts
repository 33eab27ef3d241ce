import { randomUUID } from 'node:crypto';
import type { FinishReason, StreamPart, TokenLogprob, Usage } from '@heylook/core';
import { toChatLogprobs, toLegacyLogprobs } from './to-openai-logprobs.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;

export function toOpenAIFinishReason(reason: FinishReason): Exclude<OpenAIFinishReason, null> {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

export function toOpenAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
  };
}

export interface ChunkContext {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
}

/** Id, timestamp and model name shared by every chunk (and the whole response) of one request. */
export function createChunkContext(
  idPrefix: 'chatcmpl' | 'cmpl',
  body: { model?: string | undefined; stream_options?: { include_usage?: boolean | undefined } | null | undefined },
  modelId: string,
): ChunkContext {
  return {
    id: `${idPrefix}-${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? modelId,
    includeUsage: body.stream_options?.include_usage === true,
  };
}

interface Delta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: { index: number; id?: string; type?: 'function'; function: { name?: string; arguments: string } }[];
}

/**
 * Stream parts → `chat.completion.chunk` objects, exactly as OpenAI streams them: a first
 * role-only chunk (`content: ""`), tool calls as indexed deltas (id and name once), the
 * finish chunk with finish_reason, and an optional usage chunk with empty choices. With
 * `n` > 1 there is one mapper per choice (`index`); the route sends the summed usage once.
 */
export class ChatChunkMapper {
  #sentRole = false;
  readonly #startedCalls = new Set<number>();

  constructor(
    private readonly context: ChunkContext,
    private readonly index = 0,
    private readonly sendsUsage = true,
  ) {}

  map(part: StreamPart): object[] {
    if (part.type === 'error') return [];
    if (this.#sentRole) return this.#map(part);
    this.#sentRole = true;
    return [this.#chunk({ role: 'assistant', content: '' }), ...this.#map(part)];
  }

  /** The usage chunk (empty choices), when the client asked for usage. */
  usageChunk(usage: Usage): object[] {
    return this.context.includeUsage ? [{ ...this.#base(), choices: [], usage: toOpenAIUsage(usage) }] : [];
  }

  #map(part: Exclude<StreamPart, { type: 'error' }>): object[] {
    switch (part.type) {
      case 'text-delta':
        return [this.#chunk({ content: part.text }, null, part.logprobs)];
      case 'reasoning-delta':
        return [this.#chunk({ reasoning_content: part.text })];
      case 'tool-call-delta': {
        const first = !this.#startedCalls.has(part.index);
        this.#startedCalls.add(part.index);
        return [
          this.#chunk({
            tool_calls: [
              first
                ? { index: part.index, id: part.id, type: 'function', function: { name: part.name, arguments: part.argumentsDelta } }
                : { index: part.index, function: { arguments: part.argumentsDelta } },
            ],
          }),
        ];
      }
      case 'tool-call':
        // Already streamed as deltas; otherwise send the whole call in one delta.
        if (this.#startedCalls.has(part.index)) return [];
        this.#startedCalls.add(part.index);
        return [
          this.#chunk({
            tool_calls: [{ index: part.index, id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } }],
          }),
        ];
      case 'finish':
        return [this.#chunk({}, toOpenAIFinishReason(part.reason)), ...(this.sendsUsage ? this.usageChunk(part.usage) : [])];
    }
  }

  #chunk(delta: Delta, finishReason: OpenAIFinishReason = null, logprobs?: TokenLogprob[]): object {
    return {
      ...this.#base(),
      choices: [{ index: this.index, delta, logprobs: toChatLogprobs(logprobs), finish_reason: finishReason }],
      ...(this.context.includeUsage ? { usage: null } : {}),
    };
  }

  #base() {
    return { id: this.context.id, object: 'chat.completion.chunk', created: this.context.created, model: this.context.model, system_fingerprint: 'heylook' };
  }
}

/** Stream parts → legacy `text_completion` chunks. */
export class CompletionChunkMapper {
  /** Characters sent so far, for the legacy logprobs' text_offset. */
  #offset = 0;

  constructor(private readonly context: ChunkContext) {}

  map(part: StreamPart): object[] {
    switch (part.type) {
      case 'text-delta': {
        const chunk = this.#chunk(part.text, null, toLegacyLogprobs(part.logprobs, this.#offset));
        this.#offset += part.text.length;
        return [chunk];
      }
      case 'finish': {
        const chunks = [this.#chunk('', toOpenAIFinishReason(part.reason))];
        if (this.context.includeUsage) chunks.push({ ...this.#base(), choices: [], usage: toOpenAIUsage(part.usage) });
        return chunks;
      }
      default:
        return [];
    }
  }

  #chunk(text: string, finishReason: OpenAIFinishReason, logprobs: ReturnType<typeof toLegacyLogprobs> = null): object {
    return { ...this.#base(), choices: [{ index: 0, text, logprobs, finish_reason: finishReason }] };
  }

  #base() {
    return { id: this.context.id, object: 'text_completion', created: this.context.created, model: this.context.model, system_fingerprint: 'heylook' };
  }
}
