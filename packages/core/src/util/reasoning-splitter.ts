import type { StreamPart } from '../provider/types.js';
import { partialMarkerLength } from './text-scan.js';

export type ReasoningSplitterPart = Extract<StreamPart, { type: 'text-delta' | 'reasoning-delta' }>;

export interface ReasoningSplitterOptions {
  /** Default `<think>`. */
  open?: string;
  /** Default `</think>`. */
  close?: string;
  /**
   * The prompt already opened the block (Qwen3-Thinking, DeepSeek-R1 templates end the
   * generation prompt with `<think>`), so output starts as reasoning.
   */
  startsInside?: boolean;
}

/**
 * Splits streamed output into reasoning (between the think markers) and answer text. A
 * think block is recognised only before any answer text, as reasoning models write it; a
 * `<think>` later in an answer is just text. Markers may be split across chunks. The
 * newlines templates put around the markers are not part of either.
 */
export class ReasoningSplitter {
  readonly #open: string;
  readonly #close: string;
  #mode: 'before' | 'reasoning' | 'text';
  #buffer = '';
  /** Strip the whitespace that follows a marker. */
  #trimNext: boolean;

  constructor(options: ReasoningSplitterOptions = {}) {
    this.#open = options.open ?? '<think>';
    this.#close = options.close ?? '</think>';
    this.#mode = options.startsInside ? 'reasoning' : 'before';
    this.#trimNext = options.startsInside ?? false;
  }

  push(text: string): ReasoningSplitterPart[] {
    if (this.#mode === 'text' && !this.#trimNext) return text ? [{ type: 'text-delta', text }] : [];
    this.#buffer += text;
    const parts: ReasoningSplitterPart[] = [];
    while (this.#step(parts, false));
    return parts;
  }

  flush(): ReasoningSplitterPart[] {
    const parts: ReasoningSplitterPart[] = [];
    while (this.#step(parts, true));
    return parts;
  }

  #step(parts: ReasoningSplitterPart[], ending: boolean): boolean {
    if (this.#trimNext) {
      this.#buffer = this.#buffer.replace(/^\s+/, '');
      if (this.#buffer === '') return false;
      this.#trimNext = false;
    }
    if (this.#buffer === '') return false;
    switch (this.#mode) {
      case 'before': {
        // Leading whitespace waits: it belongs to whichever comes first.
        const trimmed = this.#buffer.trimStart();
        if (trimmed.startsWith(this.#open)) {
          this.#buffer = trimmed.slice(this.#open.length);
          this.#mode = 'reasoning';
          this.#trimNext = true;
          return true;
        }
        if ((trimmed === '' || this.#open.startsWith(trimmed)) && !ending) return false;
        this.#mode = 'text';
        return true;
      }
      case 'reasoning': {
        const at = this.#buffer.indexOf(this.#close);
        if (at >= 0) {
          this.#emit(parts, 'reasoning-delta', this.#buffer.slice(0, at).replace(/\s+$/, ''));
          this.#buffer = this.#buffer.slice(at + this.#close.length);
          this.#mode = 'text';
          this.#trimNext = true;
          return true;
        }
        // Hold a possible partial close marker, and trailing whitespace that may precede it.
        const keep = ending ? 0 : partialMarkerLength(this.#buffer, this.#close);
        const safe = this.#buffer.slice(0, this.#buffer.length - keep);
        const emit = ending ? safe : safe.replace(/\s+$/, '');
        this.#emit(parts, 'reasoning-delta', emit);
        this.#buffer = this.#buffer.slice(emit.length);
        return false;
      }
      case 'text':
        this.#emit(parts, 'text-delta', this.#buffer);
        this.#buffer = '';
        return false;
    }
  }

  #emit(parts: ReasoningSplitterPart[], type: ReasoningSplitterPart['type'], text: string): void {
    if (text) parts.push({ type, text });
  }
}
