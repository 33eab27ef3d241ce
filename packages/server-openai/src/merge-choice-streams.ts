import type { StreamPart } from '@heylook/core';

export interface ChoicePart {
  /** The choice (OpenAI `index`) the part belongs to. */
  index: number;
  part: StreamPart;
}

/**
 * Interleaves the streams of a request's choices (`n` > 1) in the order their parts arrive.
 * When one fails or the reader stops, `stopAll` aborts the generations still running, and
 * their streams are closed (which releases their leases).
 */
export async function* mergeChoiceStreams(streams: AsyncIterable<StreamPart>[], stopAll: () => void): AsyncGenerator<ChoicePart> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<StreamPart> }>>();
  const pull = (index: number) => pending.set(index, iterators[index]!.next().then((result) => ({ index, result })));
  iterators.forEach((_iterator, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield { index, part: result.value };
    }
  } finally {
    // An iterator waiting in next() only closes after it yields: abort first, then close.
    stopAll();
    await Promise.allSettled([...pending.keys()].map((index) => iterators[index]!.return?.()));
  }
}

/** A stream that opens itself on first read: later choices queue for the model only when read. */
export async function* openWhenRead(open: () => Promise<AsyncIterable<StreamPart>>): AsyncGenerator<StreamPart> {
  yield* await open();
}
