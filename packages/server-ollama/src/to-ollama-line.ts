import type { FinishReason, GenerationOptions, StreamPart, TokenLogprob, Usage } from '@heylook/core';

export interface LineContext {
  model: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  loadDurationMs: number;
}

/** Ollama reports durations in nanoseconds. */
export const nanoseconds = (ms: number): number => Math.round(ms * 1e6);

function doneReason(reason: FinishReason): string {
  return reason === 'length' ? 'length' : 'stop';
}

/** Ollama's timing fields, in nanoseconds, from real measurements. */
export function finalStats(context: LineContext, reason: FinishReason, usage: Usage) {
  return {
    done_reason: doneReason(reason),
    done: true,
    total_duration: nanoseconds(performance.now() - context.startedAt),
    load_duration: nanoseconds(context.loadDurationMs),
    prompt_eval_count: usage.promptTokens,
    prompt_eval_duration: nanoseconds(usage.timings?.promptMs ?? 0),
    eval_count: usage.completionTokens,
    eval_duration: nanoseconds(usage.timings?.generationMs ?? 0),
  };
}

/** `logprobs: true` (and `top_logprobs`) → the canonical option; providers that cannot refuse with a 400. */
export function toLogprobsOption(body: { logprobs?: boolean | undefined; top_logprobs?: number | undefined }): Pick<GenerationOptions, 'logprobs'> {
  return body.logprobs ? { logprobs: { topLogprobs: body.top_logprobs ?? 0 } } : {};
}

/** Ollama's `logprobs` field: one entry per token, alternatives in `top_logprobs`. */
export function toOllamaLogprobs(logprobs: TokenLogprob[] | undefined): { logprobs?: object[] } {
  if (!logprobs) return {};
  const bytes = (entry: { token: string; bytes?: number[] }) => entry.bytes ?? [...Buffer.from(entry.token, 'utf8')];
  return {
    logprobs: logprobs.map((entry) => ({
      token: entry.token,
      logprob: entry.logprob,
      bytes: bytes(entry),
      top_logprobs: (entry.topLogprobs ?? []).map((alt) => ({ token: alt.token, logprob: alt.logprob, bytes: bytes(alt) })),
    })),
  };
}

/** Tool-call arguments as Ollama sends them: an object, or the text when it isn't JSON. */
export function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Stream parts → /api/chat NDJSON objects. Tool calls go out whole, as Ollama sends them. */
export function toChatLines(context: LineContext, part: StreamPart): object[] {
  const line = (message: object, extra: object = { done: false }) => ({
    model: context.model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: '', ...message },
    ...extra,
  });
  switch (part.type) {
    case 'text-delta':
      return [line({ content: part.text }, { done: false, ...toOllamaLogprobs(part.logprobs) })];
    case 'reasoning-delta':
      return [line({ thinking: part.text })];
    case 'tool-call':
      return [line({ tool_calls: [{ id: part.id, function: { index: part.index, name: part.name, arguments: parseArguments(part.arguments) } }] })];
    case 'finish':
      return [line({}, finalStats(context, part.reason, part.usage))];
    default:
      return [];
  }
}

/** Stream parts → /api/generate NDJSON objects; the last carries `context` when the provider gave one. */
export function toGenerateLines(context: LineContext, part: StreamPart): object[] {
  const line = (fields: object) => ({ model: context.model, created_at: new Date().toISOString(), ...fields });
  switch (part.type) {
    case 'text-delta':
      return [line({ response: part.text, done: false, ...toOllamaLogprobs(part.logprobs) })];
    case 'reasoning-delta':
      return [line({ response: '', thinking: part.text, done: false })];
    case 'finish':
      return [line({ response: '', ...finalStats(context, part.reason, part.usage), ...(part.context ? { context: part.context } : {}) })];
    default:
      return [];
  }
}
