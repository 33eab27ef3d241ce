import type { LlamaModel, Token } from 'node-llama-cpp';

/**
 * Turns generated tokens into text as they come, holding back a token that ends inside a
 * multi-byte character (up to 4 tokens) and detokenizing with the last few tokens as context,
 * so leading spaces come out as llama.cpp would print them.
 */
export class IncrementalDetokenizer {
  #context: Token[];
  #pending: Token[] = [];

  constructor(
    private readonly model: LlamaModel,
    previous: readonly Token[],
  ) {
    this.#context = previous.slice(-8);
  }

  push(tokens: readonly Token[]): string {
    this.#pending.push(...tokens);
    const text = this.model.detokenize(this.#pending, false, this.#context);
    if (text.endsWith('\uFFFD') && this.#pending.length < 4) return '';
    this.#context = [...this.#context, ...this.#pending].slice(-8);
    this.#pending = [];
    return text;
  }
}
