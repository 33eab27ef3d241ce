import { ContentBlockSequencer, type ContentBlock, type ContentBlockEvent, type StreamPart } from '@heylook/core';
import { createId, toResponsesUsage, type OutputItem, type ResponseObject } from './response-object.js';

/** One streamed event of the Responses API; `type` is also its SSE event name. */
export type ResponseEvent = { type: string; sequence_number: number } & Record<string, unknown>;

/**
 * Stream parts → the typed events of a streamed Response, and the Response itself.
 * Built on core's ContentBlockSequencer: each content block is one output item (text → a
 * `message` with one `output_text` part, reasoning → a `reasoning` item with one
 * `reasoning_text` part, each tool call → a `function_call`), so `output_index` is the
 * block index. The non-streaming route runs the same mapper and returns `response`, so
 * both answers are equal by construction. Every event carries `sequence_number`.
 */
export class ResponseEventMapper {
  readonly #sequencer = new ContentBlockSequencer();
  readonly #response: ResponseObject;
  #sequence = 0;
  #truncated = false;

  constructor(response: ResponseObject) {
    this.#response = response;
  }

  /** The Response so far; final once `done`. */
  get response(): ResponseObject {
    return this.#response;
  }

  get done(): boolean {
    return this.#response.status !== 'in_progress';
  }

  /** `response.created` and `response.in_progress`. */
  start(): ResponseEvent[] {
    return [this.#event('response.created', { response: clone(this.#response) }), this.#event('response.in_progress', { response: clone(this.#response) })];
  }

  push(part: StreamPart): ResponseEvent[] {
    if (part.type === 'error') throw part.error;
    // Output cut by max_output_tokens leaves its last item incomplete, as OpenAI marks it.
    if (part.type === 'finish' && part.reason === 'length') this.#truncated = true;
    return this.#sequencer.push(part).flatMap((event) => this.#map(event));
  }

  /** The stream failed after it started: an `error` event, then `response.failed`. */
  fail(message: string, code = 'server_error'): ResponseEvent[] {
    this.#response.status = 'failed';
    this.#response.error = { code, message };
    return [
      this.#event('error', { code, message, param: null }),
      this.#event('response.failed', { response: clone(this.#response) }),
    ];
  }

  #map(event: ContentBlockEvent): ResponseEvent[] {
    switch (event.type) {
      case 'block-start': {
        // Items start without content parts; the part comes with content_part.added, as on OpenAI.
        const item = newItem(event.block);
        this.#response.output[event.index] = item;
        const added = this.#event('response.output_item.added', { output_index: event.index, item: clone(item) });
        if (item.type === 'function_call') return [added];
        if (item.type === 'message') item.content.push(outputText(''));
        else item.content.push({ type: 'reasoning_text', text: '' });
        const part = clone(item.content[0]!);
        return [added, this.#event('response.content_part.added', { ...this.#at(event.index), content_index: 0, part })];
      }
      case 'block-delta':
        return [this.#delta(event.index, event.delta)];
      case 'block-stop':
        return this.#stop(event.index, event.block);
      case 'finish': {
        const response = this.#response;
        response.usage = toResponsesUsage(event.usage);
        response.completed_at = Math.floor(Date.now() / 1000);
        if (event.reason === 'cancelled') {
          response.status = 'cancelled';
          return [];
        }
        if (event.reason === 'error') return this.fail('The model stopped with an error.');
        if (event.reason === 'length') {
          response.status = 'incomplete';
          response.incomplete_details = { reason: 'max_output_tokens' };
          return [this.#event('response.incomplete', { response: clone(response) })];
        }
        response.status = 'completed';
        return [this.#event('response.completed', { response: clone(response) })];
      }
      case 'error':
        throw event.error;
    }
  }

  #delta(index: number, delta: string): ResponseEvent {
    const item = this.#response.output[index]!;
    switch (item.type) {
      case 'message':
        item.content[0]!.text += delta;
        return this.#event('response.output_text.delta', { ...this.#at(index), content_index: 0, delta, logprobs: [] });
      case 'reasoning':
        item.content[0]!.text += delta;
        return this.#event('response.reasoning_text.delta', { ...this.#at(index), content_index: 0, delta });
      case 'function_call':
        item.arguments += delta;
        return this.#event('response.function_call_arguments.delta', { ...this.#at(index), delta });
    }
  }

  #stop(index: number, block: ContentBlock): ResponseEvent[] {
    const item = this.#response.output[index]!;
    item.status = this.#truncated ? 'incomplete' : 'completed';
    const at = { ...this.#at(index), content_index: 0 };
    const itemDone = () => this.#event('response.output_item.done', { output_index: index, item: clone(item) });
    if (item.type === 'function_call' && block.type === 'tool-call') {
      item.arguments = block.arguments;
      return [this.#event('response.function_call_arguments.done', { ...this.#at(index), name: item.name, arguments: item.arguments }), itemDone()];
    }
    if (item.type === 'message' && block.type === 'text') {
      item.content = [outputText(block.text)];
      return [
        this.#event('response.output_text.done', { ...at, text: block.text, logprobs: [] }),
        this.#event('response.content_part.done', { ...at, part: outputText(block.text) }),
        itemDone(),
      ];
    }
    if (item.type === 'reasoning' && block.type === 'reasoning') {
      item.content = [{ type: 'reasoning_text', text: block.text }];
      return [
        this.#event('response.reasoning_text.done', { ...at, text: block.text }),
        this.#event('response.content_part.done', { ...at, part: { type: 'reasoning_text', text: block.text } }),
        itemDone(),
      ];
    }
    throw new Error(`block ${index} changed kind`);
  }

  #at(index: number) {
    return { item_id: this.#response.output[index]!.id, output_index: index };
  }

  #event(type: string, fields: Record<string, unknown>): ResponseEvent {
    return { type, sequence_number: this.#sequence++, ...fields };
  }
}

function newItem(block: ContentBlock): OutputItem {
  switch (block.type) {
    case 'text':
      return { type: 'message', id: createId('msg'), status: 'in_progress', role: 'assistant', content: [] };
    case 'reasoning':
      return { type: 'reasoning', id: createId('rs'), status: 'in_progress', summary: [], content: [] };
    case 'tool-call':
      return { type: 'function_call', id: createId('fc'), status: 'in_progress', call_id: block.id, name: block.name, arguments: '' };
  }
}

function outputText(text: string) {
  return { type: 'output_text' as const, text, annotations: [] as [], logprobs: [] as [] };
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
