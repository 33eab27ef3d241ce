import type { FinishReason, StreamPart, Usage } from '../provider/types.js';

/** One block of an answer, as the Anthropic Messages and OpenAI Responses APIs see it. */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool-call'; id: string; name: string; arguments: string };

export type ContentBlockEvent =
  /** A new block begins at `index` (0, 1, 2… in order of appearance). Tool calls start with their id and name. */
  | { type: 'block-start'; index: number; block: ContentBlock }
  /** More text, reasoning or tool-call arguments (JSON text) for the open block. */
  | { type: 'block-delta'; index: number; kind: ContentBlock['type']; delta: string }
  /** The block is complete; `block` holds all of it. */
  | { type: 'block-stop'; index: number; block: ContentBlock }
  /** Every block is closed; `blocks` is the whole answer in order. */
  | { type: 'finish'; reason: FinishReason; usage: Usage; blocks: ContentBlock[]; stopSequence?: string; contextFull?: boolean }
  | { type: 'error'; error: unknown };

/**
 * Stream parts → a sequence of content blocks with start, delta and stop events, the way
 * the block-structured protocols (Anthropic Messages, OpenAI Responses) stream an answer.
 * At most one block is open at a time: text, reasoning and each tool call are separate
 * blocks, and a change of kind (or a new tool call) closes the open one. The protocol
 * servers only rename these events; they never track indices themselves.
 */
export class ContentBlockSequencer {
  readonly #blocks: ContentBlock[] = [];
  #open: { index: number; block: ContentBlock; toolIndex?: number } | undefined;

  /** The blocks so far, the open one included. */
  get blocks(): readonly ContentBlock[] {
    return this.#blocks;
  }

  push(part: StreamPart): ContentBlockEvent[] {
    switch (part.type) {
      case 'text-delta':
      case 'reasoning-delta': {
        if (part.text === '') return [];
        const kind = part.type === 'text-delta' ? 'text' : 'reasoning';
        const events = this.#open?.block.type === kind ? [] : this.#start({ type: kind, text: '' });
        return [...events, this.#append(part.text)];
      }
      case 'tool-call-delta': {
        const events = this.#open?.toolIndex === part.index ? [] : this.#start({ type: 'tool-call', id: part.id, name: part.name, arguments: '' }, part.index);
        return part.argumentsDelta === '' ? events : [...events, this.#append(part.argumentsDelta)];
      }
      case 'tool-call': {
        // A provider may stream deltas and then repeat the whole call; send what was not streamed.
        if (this.#open?.toolIndex === part.index) {
          const block = this.#open.block as Extract<ContentBlock, { type: 'tool-call' }>;
          const rest = part.arguments.startsWith(block.arguments) ? part.arguments.slice(block.arguments.length) : '';
          return [...(rest ? [this.#append(rest)] : []), ...this.#close()];
        }
        const events = this.#start({ type: 'tool-call', id: part.id, name: part.name, arguments: '' }, part.index);
        return [...events, ...(part.arguments ? [this.#append(part.arguments)] : []), ...this.#close()];
      }
      case 'finish':
        return [
          ...this.#close(),
          {
            type: 'finish',
            reason: part.reason,
            usage: part.usage,
            blocks: [...this.#blocks],
            ...(part.stopSequence !== undefined ? { stopSequence: part.stopSequence } : {}),
            ...(part.contextFull ? { contextFull: true } : {}),
          },
        ];
      case 'error':
        return [{ type: 'error', error: part.error }];
    }
  }

  #start(block: ContentBlock, toolIndex?: number): ContentBlockEvent[] {
    const events = this.#close();
    const index = this.#blocks.length;
    this.#blocks.push(block);
    this.#open = toolIndex === undefined ? { index, block } : { index, block, toolIndex };
    events.push({ type: 'block-start', index, block: { ...block } });
    return events;
  }

  #append(delta: string): ContentBlockEvent {
    const open = this.#open!;
    if (open.block.type === 'tool-call') open.block.arguments += delta;
    else open.block.text += delta;
    return { type: 'block-delta', index: open.index, kind: open.block.type, delta };
  }

  #close(): ContentBlockEvent[] {
    const open = this.#open;
    if (!open) return [];
    this.#open = undefined;
    return [{ type: 'block-stop', index: open.index, block: { ...open.block } }];
  }
}
