interface Pending<Item, Out> {
  item: Item;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Requests for one kind of native call that arrive while such a call runs wait for it to end
 * and then go together in the next one, so the model's weights are read once for all of them.
 * One call at a time per batcher: the model's worker runs calls in order, so two batchers
 * (prompts and decode steps) take turns on it.
 */
export abstract class CallBatcher<Item, Out> {
  #pending: Pending<Item, Out>[] = [];
  #running = false;

  protected enqueue(item: Item): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  /** Which of the waiting items (in arrival order) the next call takes: their indexes, never none. */
  protected take(waiting: readonly Item[]): number[] {
    return waiting.map((_, index) => index);
  }

  /** One native call for `batch`; one result per item, in order. */
  protected abstract run(batch: Item[]): Promise<Out[]>;

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#pending.length > 0) {
      // Let the requests whose results just arrived handle them and ask again, so they join
      // this call rather than the one after.
      await new Promise((resolve) => setImmediate(resolve));
      const taken = new Set(this.take(this.#pending.map((pending) => pending.item)));
      if (taken.size === 0) taken.add(0);
      const batch = this.#pending.filter((_, index) => taken.has(index));
      this.#pending = this.#pending.filter((_, index) => !taken.has(index));
      try {
        const outs = await this.run(batch.map((pending) => pending.item));
        batch.forEach((pending, index) => pending.resolve(outs[index]!));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.#running = false;
  }
}
