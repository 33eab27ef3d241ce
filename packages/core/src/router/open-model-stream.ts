import type { BaseProvider } from '../provider/base-provider.js';
import type { FinishReason, StreamPart, TokenLogprob, ToolCall, Usage } from '../provider/types.js';
import type { AcquireOptions, ModelLease, ModelRouter } from './model-router.js';

export interface ModelStream {
  lease: ModelLease;
  /** The parts; iterating to the end (or stopping early) releases the lease. */
  parts: AsyncIterable<StreamPart>;
}

/**
 * Acquires `name`, starts a generation with `start(provider)` and waits for its first part.
 * Everything that can fail before the first token (unknown model, queue full, load
 * failure, a prompt that does not fit, a schema the grammar engine refuses) rejects here,
 * so a server can still answer with a proper status code before it commits to a stream —
 * as llama-server and Ollama do. The lease is released exactly once, with the error if
 * any, so a fatal provider error marks the model broken.
 */
export async function openModelStream(
  router: ModelRouter,
  name: string | undefined,
  options: AcquireOptions,
  start: (provider: BaseProvider) => AsyncIterable<StreamPart>,
): Promise<ModelStream> {
  const lease = await router.acquire(name, options);
  let parts: AsyncIterable<StreamPart>;
  try {
    parts = start(lease.provider);
  } catch (error) {
    lease.release({ error });
    throw error;
  }
  const released = releasing(parts, lease, router);
  // The generator releases the lease itself when this first step throws.
  const first = await released.next();
  return { lease, parts: resumed(first, released) };
}

/** `rest` with its already-taken first step put back in front; stopping early still ends `rest`. */
async function* resumed<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    if (first.done) return;
    yield first.value;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

async function* releasing(parts: AsyncIterable<StreamPart>, lease: ModelLease, router: ModelRouter): AsyncGenerator<StreamPart> {
  let failure: unknown;
  const started = performance.now();
  let firstPartAt: number | undefined;
  let usage: Usage | undefined;
  try {
    for await (const part of parts) {
      if (part.type === 'finish') usage = part.usage;
      else if (part.type !== 'error') firstPartAt ??= performance.now();
      yield part;
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    lease.release({ error: failure });
    router.emit('generation', {
      modelId: lease.modelId,
      provider: lease.entry.provider,
      promptTokens: usage?.promptTokens ?? 0,
      completionTokens: usage?.completionTokens ?? 0,
      ...(firstPartAt === undefined ? {} : { timeToFirstTokenMs: firstPartAt - started }),
      durationMs: performance.now() - started,
      outcome: failure !== undefined ? 'failed' : usage ? 'finished' : 'abandoned',
    });
  }
}

/** Acquires `name`, runs `use(provider)`, releases (with the error, if any). */
export async function withModel<T>(
  router: ModelRouter,
  name: string | undefined,
  options: AcquireOptions,
  use: (provider: BaseProvider, lease: ModelLease) => Promise<T>,
): Promise<T> {
  const lease = await router.acquire(name, options);
  try {
    const result = await use(lease.provider, lease);
    lease.release();
    return result;
  } catch (error) {
    lease.release({ error });
    throw error;
  }
}

/** A whole answer, for non-streaming responses. */
export interface CollectedResponse {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  stopSequence?: string;
  context?: number[];
  /** Log-probabilities of the generated tokens, when the request asked for them. */
  logprobs?: TokenLogprob[];
}

/** Reads a stream to its end. Tool-call deltas are folded into whole calls. */
export async function collectStream(parts: AsyncIterable<StreamPart>): Promise<CollectedResponse> {
  let text = '';
  let reasoning = '';
  const calls = new Map<number, ToolCall>();
  let logprobs: TokenLogprob[] | undefined;
  for await (const part of parts) {
    switch (part.type) {
      case 'text-delta':
        text += part.text;
        if (part.logprobs) (logprobs ??= []).push(...part.logprobs);
        break;
      case 'reasoning-delta':
        reasoning += part.text;
        break;
      case 'tool-call-delta': {
        const call = calls.get(part.index) ?? { id: part.id, name: part.name, arguments: '' };
        call.arguments += part.argumentsDelta;
        calls.set(part.index, call);
        break;
      }
      case 'tool-call':
        calls.set(part.index, { id: part.id, name: part.name, arguments: part.arguments });
        break;
      case 'error':
        throw part.error;
      case 'finish':
        return {
          text,
          reasoning,
          toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
          finishReason: part.reason,
          usage: part.usage,
          ...(part.stopSequence !== undefined ? { stopSequence: part.stopSequence } : {}),
          ...(part.context ? { context: part.context } : {}),
          ...(logprobs ? { logprobs } : {}),
        };
    }
  }
  throw new Error('The model stream ended without a finish part.');
}

/** An AbortSignal that fires when `connection` closes before the response was completed. */
export function abortOnClose(connection: {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
}): AbortSignal {
  const controller = new AbortController();
  connection.once('close', () => {
    if (!connection.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}
