import type { FinishReason, StreamPart, TokenLogprob, Usage } from '@heylook/core';

type Json = Record<string, unknown>;
type Finish = Extract<StreamPart, { type: 'finish' }>;

/** llama-server's per-token probability entry → ours, trimmed to the `top` alternatives asked for. */
export function toTokenLogprob(entry: unknown, top: number): TokenLogprob {
  const item = entry as { token?: string; logprob?: number; bytes?: number[]; top_logprobs?: { token?: string; logprob?: number }[] };
  return {
    token: item.token ?? '',
    logprob: item.logprob ?? 0,
    ...(item.bytes ? { bytes: item.bytes } : {}),
    topLogprobs: (item.top_logprobs ?? []).slice(0, top).map((alt) => ({ token: alt.token ?? '', logprob: alt.logprob ?? 0 })),
  };
}

function timingsUsage(timings: unknown): Pick<Usage, 'timings'> {
  const t = timings as { prompt_ms?: number; predicted_ms?: number } | undefined;
  if (typeof t?.prompt_ms !== 'number' || typeof t.predicted_ms !== 'number') return {};
  return { timings: { promptMs: t.prompt_ms, generationMs: t.predicted_ms } };
}

/**
 * Streaming /v1/chat/completions chunks → stream parts. Text, reasoning and tool-call deltas
 * pass through; complete tool calls and the finish part (usage from the final usage chunk) come
 * at the end. Logprobs of a chunk without text wait for the next text (split UTF-8 sequences).
 */
export class ChatStreamMapper {
  #reason: FinishReason | undefined;
  #usage: Usage | undefined;
  #completionChunks = 0;
  #pendingLogprobs: TokenLogprob[] = [];
  readonly #toolCalls = new Map<number, { id: string; name: string; arguments: string }>();

  constructor(private readonly topLogprobs: number | undefined) {}

  /** Parts for one chunk; `done` becomes true once the finish part was produced. */
  push(chunk: Json): StreamPart[] {
    const parts: StreamPart[] = [];
    const choice = (chunk.choices as Json[] | undefined)?.[0];
    if (choice) {
      const delta = (choice.delta ?? {}) as { content?: string | null; reasoning_content?: string | null; tool_calls?: Json[] };
      if (this.topLogprobs !== undefined) {
        const content = (choice.logprobs as { content?: unknown[] } | null | undefined)?.content ?? [];
        this.#pendingLogprobs.push(...content.map((entry) => toTokenLogprob(entry, this.topLogprobs!)));
      }
      if (delta.reasoning_content) parts.push({ type: 'reasoning-delta', text: delta.reasoning_content });
      if (delta.content) {
        this.#completionChunks++;
        const logprobs = this.#pendingLogprobs.length ? { logprobs: this.#pendingLogprobs } : {};
        this.#pendingLogprobs = [];
        parts.push({ type: 'text-delta', text: delta.content, ...logprobs });
      }
      for (const call of delta.tool_calls ?? []) parts.push(...this.#toolCallDelta(call));
      if (typeof choice.finish_reason === 'string') this.#reason = finishReason(choice.finish_reason);
    }
    if (chunk.usage) this.#usage = chatUsage(chunk.usage, chunk.timings);
    if (this.#usage && this.#reason) parts.push(...this.finish());
    return parts;
  }

  get done(): boolean {
    return this.#done;
  }

  #done = false;

  /** The tool calls and the finish part; with no finish reason seen, the request was cancelled. */
  finish(reasonIfUnknown: FinishReason = 'cancelled'): StreamPart[] {
    if (this.#done) return [];
    this.#done = true;
    const parts: StreamPart[] = [...this.#toolCalls.entries()].map(([index, call]) => ({ type: 'tool-call', index, ...call }));
    const reason = this.#reason ?? reasonIfUnknown;
    parts.push({
      type: 'finish',
      reason: parts.length && reason === 'stop' ? 'tool-calls' : reason,
      usage: this.#usage ?? { promptTokens: 0, completionTokens: this.#completionChunks },
    } satisfies Finish);
    return parts;
  }

  #toolCallDelta(call: Json): StreamPart[] {
    const index = typeof call.index === 'number' ? call.index : this.#toolCalls.size;
    const fn = (call.function ?? {}) as { name?: string; arguments?: string };
    let known = this.#toolCalls.get(index);
    if (!known) {
      known = { id: typeof call.id === 'string' && call.id ? call.id : `call_${index}`, name: fn.name ?? '', arguments: '' };
      this.#toolCalls.set(index, known);
    } else if (fn.name) {
      known.name += fn.name;
    }
    if (!fn.arguments) return [];
    known.arguments += fn.arguments;
    return [{ type: 'tool-call-delta', index, id: known.id, name: known.name, argumentsDelta: fn.arguments }];
  }
}

function chatUsage(usage: unknown, timings: unknown): Usage {
  const u = usage as { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
  const cached = u.prompt_tokens_details?.cached_tokens;
  return {
    promptTokens: u.prompt_tokens ?? 0,
    completionTokens: u.completion_tokens ?? 0,
    ...(cached !== undefined ? { cachedPromptTokens: cached } : {}),
    ...timingsUsage(timings),
  };
}

function finishReason(reason: string): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool-calls';
  return 'stop';
}

/**
 * Streaming native /completion chunks → stream parts. Every chunk carries its token ids, which
 * gives Ollama's `context` and lets us stop on BOS (llama2.c-style models never emit EOS).
 */
export class CompletionStreamMapper {
  readonly tokens: number[] = [];
  #done = false;
  #pendingLogprobs: TokenLogprob[] = [];

  constructor(
    private readonly options: { topLogprobs: number | undefined; stopToken: number | undefined; promptTokens: number[] },
  ) {}

  get done(): boolean {
    return this.#done;
  }

  push(chunk: Json): StreamPart[] {
    const parts: StreamPart[] = [];
    const tokens = (chunk.tokens as number[] | undefined) ?? [];
    const stopAt = this.options.stopToken === undefined ? -1 : tokens.indexOf(this.options.stopToken);
    if (stopAt >= 0) {
      // Text of the tokens before BOS only; BOS itself renders as nothing.
      this.tokens.push(...tokens.slice(0, stopAt));
      if (chunk.content && stopAt > 0) parts.push({ type: 'text-delta', text: String(chunk.content) });
      parts.push(this.#finish('stop', undefined));
      return parts;
    }
    this.tokens.push(...tokens);
    if (this.options.topLogprobs !== undefined) {
      const entries = (chunk.completion_probabilities as unknown[] | undefined) ?? [];
      this.#pendingLogprobs.push(...entries.map((entry) => toTokenLogprob(entry, this.options.topLogprobs!)));
    }
    if (chunk.content) {
      // Logprobs of a chunk without text (a split UTF-8 sequence) go with the next text.
      const logprobs = this.#pendingLogprobs.length ? { logprobs: this.#pendingLogprobs } : {};
      this.#pendingLogprobs = [];
      parts.push({ type: 'text-delta', text: String(chunk.content), ...logprobs });
    }
    if (chunk.stop === true) {
      const stopType = chunk.stop_type;
      parts.push(this.#finish(stopType === 'limit' ? 'length' : 'stop', chunk));
    }
    return parts;
  }

  /** The finish part for a request that ended without llama-server's final chunk (cancelled). */
  cancelled(): StreamPart {
    return this.#finish('cancelled', undefined);
  }

  #finish(reason: FinishReason, final: Json | undefined): StreamPart {
    this.#done = true;
    // timings.cache_n: prompt tokens taken from the slot's cache instead of evaluated again.
    const timings = final?.timings as { cache_n?: number } | undefined;
    return {
      type: 'finish',
      reason,
      usage: {
        promptTokens: this.options.promptTokens.length,
        completionTokens: this.tokens.length,
        ...(typeof timings?.cache_n === 'number' ? { cachedPromptTokens: timings.cache_n } : {}),
        ...timingsUsage(final?.timings),
      },
      context: [...this.options.promptTokens, ...this.tokens],
    };
  }
}
