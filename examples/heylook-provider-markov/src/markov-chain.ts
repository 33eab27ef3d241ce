/** Id of the end-of-paragraph token: generating it ends the answer. */
export const END = 0;
/** Id of words the text never contained. */
export const UNKNOWN = 1;

const wordPattern = /[\p{L}\p{N}'’]+|[^\s\p{L}\p{N}]/gu;

/**
 * A word-level n-gram model: the vocabulary and, for every context of 1..order previous
 * words, how often each word followed it in the training text.
 */
export class MarkovChain {
  readonly #ids = new Map<string, number>();
  readonly #words: string[] = ['\n\n', '<unk>'];
  /** context key ("12 7") → next id → count */
  readonly #next = new Map<string, Map<number, number>>();

  constructor(
    text: string,
    readonly order: number,
  ) {
    for (const paragraph of text.split(/\n\s*\n/)) {
      const ids = this.#intern(paragraph);
      if (ids.length === 0) continue;
      const sequence = [END, ...ids, END];
      for (let at = 1; at < sequence.length; at++) {
        for (let length = 1; length <= order && length <= at; length++) {
          const key = sequence.slice(at - length, at).join(' ');
          const counts = this.#next.get(key) ?? new Map<number, number>();
          counts.set(sequence[at]!, (counts.get(sequence[at]!) ?? 0) + 1);
          this.#next.set(key, counts);
        }
      }
    }
  }

  get vocabularySize(): number {
    return this.#words.length;
  }

  /** Word and punctuation ids; words the text never had become UNKNOWN. */
  tokenize(text: string): number[] {
    return (text.match(wordPattern) ?? []).map((word) => this.#ids.get(word.toLowerCase()) ?? UNKNOWN);
  }

  /** Text of one token as it follows `previous` (no space before punctuation). */
  word(id: number, previous: number | undefined): string {
    const word = this.#words[id] ?? '<unk>';
    if (id === END) return '';
    const glued = previous === undefined || previous === END || /^[^\p{L}\p{N}]$/u.test(word);
    return glued ? word : ` ${word}`;
  }

  detokenize(ids: number[]): string {
    return ids.map((id, index) => this.word(id, index === 0 ? undefined : ids[index - 1])).join('');
  }

  /**
   * Counts of the next word after `context`, backing off to shorter contexts, and to the
   * start of a paragraph when nothing matches.
   */
  candidates(context: number[]): Map<number, number> {
    for (let length = Math.min(this.order, context.length); length >= 1; length--) {
      const counts = this.#next.get(context.slice(-length).join(' '));
      if (counts) return counts;
    }
    return this.#next.get(String(END)) ?? new Map([[END, 1]]);
  }

  /** The next word: the most frequent one at temperature 0, else sampled with `random`. */
  pick(context: number[], temperature: number, random: () => number): number {
    const counts = [...this.candidates(context)].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    if (temperature <= 0) return counts[0]![0];
    const weights = counts.map(([, count]) => count ** (1 / temperature));
    let target = random() * weights.reduce((sum, weight) => sum + weight, 0);
    for (let index = 0; index < counts.length; index++) {
      target -= weights[index]!;
      if (target <= 0) return counts[index]![0];
    }
    return counts.at(-1)![0];
  }

  #intern(text: string): number[] {
    return (text.match(wordPattern) ?? []).map((raw) => {
      const word = raw.toLowerCase();
      let id = this.#ids.get(word);
      if (id === undefined) {
        id = this.#words.length;
        this.#words.push(word);
        this.#ids.set(word, id);
      }
      return id;
    });
  }
}

/** A small seeded PRNG (mulberry32), so a request's `seed` repeats its answer. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
