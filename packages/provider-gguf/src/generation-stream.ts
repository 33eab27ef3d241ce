import {
  errorCodes,
  HeylookError,
  isHeylookError,
  PartStream,
  StopMatcher,
  type CpuEngine,
  type GenerateCallOptions,
  type PrefixSlotPool,
  type StreamPart,
} from '@heylook/core';
import type { EvaluationPriority, LlamaContextSequence, Token } from 'node-llama-cpp';
import { sequenceOrder, type DecodeBatching } from './batching-strategy.js';
import { toolCallId } from './chat-history.js';
import { finishReason, type StopReason } from './gguf-sampling.js';
import { messageOf } from './message-of.js';

/** What one generation reports back to the streaming loop. */
export interface GenerationResult {
  stopReason: StopReason;
  toolCalls?: { name: string; params: unknown }[];
}

/** What a generation calls as it goes; the loop turns the calls into stream parts. */
export interface GenerationHooks {
  signal: AbortSignal;
  /** The sequence's place in the batch order (batching-strategy.ts). */
  evaluationPriority: EvaluationPriority;
  onText(text: string): void;
  onReasoning(text: string): void;
  onTokens(tokens: readonly Token[]): void;
  onToolCallDelta(index: number, name: string, argumentsDelta: string): void;
}

/** One chat or raw generation on the sequence it is given (LlamaChat, LlamaCompletion). */
export type Generate = (sequence: LlamaContextSequence, hooks: GenerationHooks) => Promise<GenerationResult>;

export interface GenerationStreamOptions {
  pool: PrefixSlotPool<LlamaContextSequence>;
  /** The context's sequences, in sequence-id order. */
  sequences: readonly LlamaContextSequence[];
  /** The context's batching strategy, told while the sequence generates. */
  batching: DecodeBatching;
  promptTokens: readonly Token[];
  /** Reuse what the sequence already holds (the config's prompt_cache). */
  reusePrefix: boolean;
  /** The most tokens the request asked for: `length` before it means the context was full. */
  requestedMaxTokens: number;
  stopStrings: string[];
  /** Return prompt and answer tokens in the finish part (raw completions). */
  returnContext: boolean;
  call: GenerateCallOptions;
  /** For the errors generation fails with. */
  modelId: string;
  /** llama.cpp's share of the CPU beside other engines (none on a GPU): the generation works on it. */
  cpu?: CpuEngine;
}

/**
 * The streaming loop of chat and complete: takes a sequence (waiting for one when all are busy),
 * runs the generation on it, cuts at stop strings, and ends with a finish part with usage and
 * timings. Stops the generation within a token when the caller aborts or stops reading, and
 * gives the sequence back however it ends.
 */
export async function* streamGeneration(generate: Generate, options: GenerationStreamOptions): AsyncGenerator<StreamPart> {
  const { pool, promptTokens, call } = options;
  const lease = await pool.take(promptTokens, call.signal);
  // Stops generation when the caller aborts or stops reading.
  const stopper = new AbortController();
  const signal = call.signal ? AbortSignal.any([call.signal, stopper.signal]) : stopper.signal;
  const stream = new PartStream<StreamPart>();
  const generated: Token[] = [];
  const started = performance.now();
  let firstTokenAt: number | undefined;
  let cachedTokens = lease.reused;
  // Stop strings are matched here, not by node-llama-cpp, so the text before a stop is kept exactly.
  const stops = new StopMatcher(options.stopStrings);
  const toolIds = new Map<number, string>();
  const toolId = (index: number) => {
    let id = toolIds.get(index);
    if (!id) toolIds.set(index, (id = toolCallId(index)));
    return id;
  };
  const evaluationPriority = sequenceOrder(options.sequences.indexOf(lease.slot));
  const hooks: GenerationHooks = {
    signal,
    evaluationPriority,
    onText: (text) => {
      const safe = stops.push(text);
      if (safe) stream.push({ type: 'text-delta', text: safe });
      if (stops.stopped) stopper.abort();
    },
    onReasoning: (text) => text && stream.push({ type: 'reasoning-delta', text }),
    onTokens: (tokens) => {
      firstTokenAt ??= performance.now();
      generated.push(...tokens);
    },
    onToolCallDelta: (index, name, argumentsDelta) =>
      argumentsDelta && stream.push({ type: 'tool-call-delta', index, id: toolId(index), name, argumentsDelta }),
  };

  const run = (async () => {
    if (!options.reusePrefix) {
      await lease.slot.clearHistory();
      cachedTokens = 0;
    }
    const done = options.batching.generating(evaluationPriority);
    const endWork = options.cpu?.begin();
    try {
      return await generate(lease.slot, hooks);
    } finally {
      endWork?.();
      done();
    }
  })().then(
    (result) => {
      const held = stops.flush();
      if (held) stream.push({ type: 'text-delta', text: held });
      result.toolCalls?.forEach((toolCall, index) =>
        stream.push({ type: 'tool-call', index, id: toolId(index), name: toolCall.name, arguments: JSON.stringify(toolCall.params ?? {}) }),
      );
      const ended = performance.now();
      const reason = stops.stopped ? 'stop' : finishReason(result.stopReason, call.signal);
      stream.push({
        type: 'finish',
        reason,
        ...(stops.matched !== undefined ? { stopSequence: stops.matched } : {}),
        ...(reason === 'length' && generated.length < options.requestedMaxTokens ? { contextFull: true } : {}),
        usage: {
          promptTokens: promptTokens.length,
          completionTokens: generated.length,
          cachedPromptTokens: cachedTokens,
          timings: { promptMs: (firstTokenAt ?? ended) - started, generationMs: ended - (firstTokenAt ?? ended) },
        },
        ...(options.returnContext ? { context: [...promptTokens, ...generated] } : {}),
      });
      stream.end();
    },
    (error: unknown) => stream.fail(generationError(options.modelId, error)),
  );
  try {
    yield* stream;
  } finally {
    stopper.abort();
    await run;
    lease.release();
  }
}

/** A generation's failure as a coded error: unloaded mid-request, out of context, or the provider's. */
function generationError(modelId: string, error: unknown): unknown {
  if (isHeylookError(error)) return error;
  const message = messageOf(error);
  if (/disposed/i.test(message)) {
    return new HeylookError(errorCodes.closed, `Model "${modelId}" was unloaded during the request.`, { cause: error });
  }
  if (/context size is too small|too long|exceed/i.test(message)) {
    return new HeylookError(errorCodes.contextOverflow, `The request does not fit in the context of "${modelId}": ${message}`, { cause: error });
  }
  return new HeylookError(errorCodes.providerError, `Generation failed in "${modelId}": ${message}`, { cause: error });
}
