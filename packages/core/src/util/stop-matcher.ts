/**
 * Finds stop strings in streamed text. Text that could still turn out to be the start of
 * a stop string is held back until it can't; text from a stop string on is never emitted.
 */
export class StopMatcher {
  readonly #stops: string[];
  #held = '';
  #stopped = false;
  #matched: string | undefined;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The stop string that ended generation, if one did (Anthropic reports it as `stop_sequence`). */
  get matched(): string | undefined {
    return this.#matched;
  }

  /** Feeds generated text; returns the text that is now safe to emit. */
  push(text: string): string {
    if (this.#stopped) return '';
    if (this.#stops.length === 0) return text;
    const buffer = this.#held + text;
    let cut = -1;
    for (const stop of this.#stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        this.#matched = stop;
      }
    }
    if (cut >= 0) {
      this.#stopped = true;
      this.#held = '';
      return buffer.slice(0, cut);
    }
    const keep = this.#longestPartialSuffix(buffer);
    this.#held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  /** The held-back text, once generation ended without a stop. */
  flush(): string {
    const held = this.#stopped ? '' : this.#held;
    this.#held = '';
    return held;
  }

  #longestPartialSuffix(buffer: string): number {
    let longest = 0;
    for (const stop of this.#stops) {
      for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
