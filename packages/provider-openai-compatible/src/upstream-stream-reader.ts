import type { FinishReason, StreamPart, TokenLogprob, Usage } from '@heylook/core';

type Json = Record<string, unknown>;

interface ToolCallState {
  id: string;
  name: string;
  arguments: string;
}

const record = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Upstream SSE chunks (`chat.completion.chunk` or `text_completion`) → our stream parts.
 * Tool-call deltas are passed on as they come and repeated whole at the end; the finish
 * part is built once the stream is over, since usage arrives after the finish chunk.
 */
export class UpstreamStreamReader {
  #reason: FinishReason | undefined;
  #usage: Usage | undefined;
  #deltas = 0;
  readonly #calls = new Map<number, ToolCallState>();
  #callCounter = 0;

  /** True once the upstream said why it stopped. */
  get finished(): boolean {
    return this.#reason !== undefined;
  }

  /** One parsed chunk → the parts it carries. */
  read(chunk: unknown): StreamPart[] {
    const body = record(chunk);
    if (!body) return [];
    const usage = record(body.usage);
    if (usage) this.#usage = toUsage(usage);
    const choice = record((body.choices as unknown[] | undefined)?.[0]);
    if (!choice) return [];
    const parts: StreamPart[] = [];
    const delta = record(choice.delta);
    const content = delta ? text(delta.content) : text(choice.text);
    const reasoning = delta && (text(delta.reasoning_content) ?? text(delta.reasoning));
    if (reasoning) parts.push({ type: 'reasoning-delta', text: reasoning });
    if (content) {
      const logprobs = toLogprobs(record(choice.logprobs));
      parts.push({ type: 'text-delta', text: content, ...(logprobs ? { logprobs } : {}) });
    }
    for (const call of (delta?.tool_calls as unknown[] | undefined) ?? []) parts.push(...this.#toolCallDelta(record(call)));
    if (content || reasoning) this.#deltas++;
    const finish = text(choice.finish_reason);
    if (finish) this.#reason = toFinishReason(finish);
    return parts;
  }

  /** Whole tool calls, then the finish part. `cancelled` when our caller stopped it. */
  end(cancelled = false): StreamPart[] {
    const calls: StreamPart[] = [...this.#calls.entries()].map(([index, call]) => ({ type: 'tool-call', index, ...call }));
    const reason: FinishReason = cancelled ? 'cancelled' : this.#calls.size > 0 && this.#reason === 'stop' ? 'tool-calls' : (this.#reason ?? 'stop');
    // Without usage from the upstream, each content chunk is counted as one token.
    const usage = this.#usage ?? { promptTokens: 0, completionTokens: this.#deltas };
    return [...calls, { type: 'finish', reason, usage }];
  }

  #toolCallDelta(call: Json | undefined): StreamPart[] {
    if (!call) return [];
    const index = count(call.index) ?? this.#calls.size;
    const fn = record(call.function);
    let state = this.#calls.get(index);
    if (!state) {
      state = { id: text(call.id) || `call_${this.#callCounter++}`, name: '', arguments: '' };
      this.#calls.set(index, state);
    }
    if (text(fn?.name)) state.name += text(fn?.name);
    const argumentsDelta = text(fn?.arguments) ?? '';
    state.arguments += argumentsDelta;
    return state.name ? [{ type: 'tool-call-delta', index, id: state.id, name: state.name, argumentsDelta }] : [];
  }
}

function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    default:
      return 'stop';
  }
}

function toUsage(usage: Json): Usage {
  const cached = count(record(usage.prompt_tokens_details)?.cached_tokens);
  return {
    promptTokens: count(usage.prompt_tokens) ?? 0,
    completionTokens: count(usage.completion_tokens) ?? 0,
    ...(cached ? { cachedPromptTokens: cached } : {}),
  };
}

/**
 * Chat logprobs (`{content:[{token,logprob,bytes,top_logprobs}]}`) or legacy completion
 * logprobs (`{tokens,token_logprobs,top_logprobs:[{token:logprob}]}`) → ours.
 */
function toLogprobs(logprobs: Json | undefined): TokenLogprob[] | undefined {
  if (!logprobs) return undefined;
  if (Array.isArray(logprobs.tokens) && Array.isArray(logprobs.token_logprobs)) {
    const tops = Array.isArray(logprobs.top_logprobs) ? logprobs.top_logprobs : [];
    const legacy = logprobs.tokens.flatMap((token: unknown, index: number) => {
      const logprob = count((logprobs.token_logprobs as unknown[])[index]);
      if (typeof token !== 'string' || logprob === undefined) return [];
      const top = record(tops[index]);
      return [
        {
          token,
          logprob,
          ...(top ? { topLogprobs: Object.entries(top).flatMap(([alternative, value]) => (count(value) === undefined ? [] : [{ token: alternative, logprob: value as number }])) } : {}),
        },
      ];
    });
    return legacy.length ? legacy : undefined;
  }
  const content = logprobs.content;
  if (!Array.isArray(content) || content.length === 0) return undefined;
  return content.flatMap((entry) => {
    const item = record(entry);
    if (!item || text(item.token) === undefined || count(item.logprob) === undefined) return [];
    const top = Array.isArray(item.top_logprobs)
      ? item.top_logprobs.flatMap((alternative) => {
          const option = record(alternative);
          return option && text(option.token) !== undefined && count(option.logprob) !== undefined ? [{ token: option.token as string, logprob: option.logprob as number }] : [];
        })
      : undefined;
    return [
      {
        token: item.token as string,
        logprob: item.logprob as number,
        ...(Array.isArray(item.bytes) ? { bytes: item.bytes as number[] } : {}),
        ...(top ? { topLogprobs: top } : {}),
      },
    ];
  });
}
