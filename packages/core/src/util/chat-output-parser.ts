import type { StreamPart } from '../provider/types.js';
import { ReasoningSplitter, type ReasoningSplitterOptions } from './reasoning-splitter.js';
import { ToolCallParser, type ToolCallFormat, type ToolCallParserOptions } from './tool-call-parser.js';

export type ChatOutputPart = Extract<StreamPart, { type: 'text-delta' | 'reasoning-delta' | 'tool-call' }>;

export interface ChatOutputParserOptions {
  /** Split a think block off the start of the output. */
  reasoning?: ReasoningSplitterOptions;
  /** Parse the answer for tool calls in this format (only when the request offered tools). */
  toolCalls?: ToolCallFormat;
  newId?: ToolCallParserOptions['newId'];
  tools?: ToolCallParserOptions['tools'];
}

/**
 * A model's raw chat output → reasoning, text and tool-call parts, for providers that
 * generate text themselves (MLX; any provider without a native parser): the think block is
 * split off first, then the answer is parsed for the model's native tool-call format.
 */
export class ChatOutputParser {
  readonly #reasoning: ReasoningSplitter | undefined;
  readonly #tools: ToolCallParser | undefined;

  constructor(options: ChatOutputParserOptions) {
    this.#reasoning = options.reasoning ? new ReasoningSplitter(options.reasoning) : undefined;
    const { toolCalls, newId, tools } = options;
    this.#tools = toolCalls ? new ToolCallParser(toolCalls, { ...(newId ? { newId } : {}), ...(tools ? { tools } : {}) }) : undefined;
  }

  /** How many tool calls the output held so far. */
  get toolCallCount(): number {
    return this.#tools?.callCount ?? 0;
  }

  push(text: string): ChatOutputPart[] {
    if (!this.#reasoning) return this.#answer(text);
    return this.#reasoning.push(text).flatMap((part) => (part.type === 'text-delta' ? this.#answer(part.text) : [part]));
  }

  /** Generation ended: what was held back comes out. */
  flush(): ChatOutputPart[] {
    const parts = this.#reasoning?.flush().flatMap((part) => (part.type === 'text-delta' ? this.#answer(part.text) : [part])) ?? [];
    return [...parts, ...(this.#tools?.flush() ?? [])];
  }

  #answer(text: string): ChatOutputPart[] {
    if (!this.#tools) return text ? [{ type: 'text-delta', text }] : [];
    return this.#tools.push(text);
  }
}
