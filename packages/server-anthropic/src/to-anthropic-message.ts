import { randomUUID } from 'node:crypto';
import type { ContentBlock, ContentBlockEvent, FinishReason, Usage } from '@heylook/core';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'model_context_window_exceeded' | 'stop_sequence' | 'tool_use';

/** What every event (and the whole message) of one answer shares. */
export interface MessageContext {
  id: string;
  /** The model name as the client asked for it (or the served id). */
  model: string;
  /** The request's stop_sequences: a matched stop string is reported only if it is one of these. */
  stopSequences: readonly string[];
}

export function createMessageContext(model: string, stopSequences: readonly string[] = []): MessageContext {
  return { id: `msg_${randomUUID().replaceAll('-', '')}`, model, stopSequences };
}

/**
 * Why the answer ended, in Anthropic's words. An answer cut short by a full context window
 * (before the request's max_tokens) is `model_context_window_exceeded`, as Anthropic's own
 * models report it; Claude Code continues after `max_tokens` but not after this.
 */
export function toStopReason(
  finish: { reason: FinishReason; stopSequence?: string; contextFull?: boolean },
  context: MessageContext,
): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  const { reason, stopSequence } = finish;
  if (reason === 'stop' && stopSequence !== undefined && context.stopSequences.includes(stopSequence)) {
    return { stop_reason: 'stop_sequence', stop_sequence: stopSequence };
  }
  const stopReason =
    reason === 'length' ? (finish.contextFull ? 'model_context_window_exceeded' : 'max_tokens') : reason === 'tool-calls' ? 'tool_use' : 'end_turn';
  return { stop_reason: stopReason, stop_sequence: null };
}

/** Anthropic counts cache reads apart: input_tokens are only the prompt tokens evaluated for this request. */
export function toAnthropicUsage(usage: Usage) {
  const cached = usage.cachedPromptTokens ?? 0;
  return {
    input_tokens: usage.promptTokens - cached,
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** Tool arguments are JSON text; Anthropic's `input` is an object. */
function toInput(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Cut off by max_tokens: there is no object to give.
    return {};
  }
}

export function toAnthropicBlock(block: ContentBlock) {
  switch (block.type) {
    case 'text':
      return { type: 'text' as const, text: block.text, citations: null };
    case 'reasoning':
      // Local models sign nothing; clients send the block back as it is.
      return { type: 'thinking' as const, thinking: block.text, signature: '' };
    case 'tool-call':
      return { type: 'tool_use' as const, id: block.id, name: block.name, input: toInput(block.arguments) };
  }
}

/** The whole answer as a `message` object (non-streaming responses). */
export function toAnthropicMessage(
  context: MessageContext,
  finish: Extract<ContentBlockEvent, { type: 'finish' }>,
) {
  return {
    id: context.id,
    type: 'message' as const,
    role: 'assistant' as const,
    model: context.model,
    content: finish.blocks.map(toAnthropicBlock),
    ...toStopReason(finish, context),
    usage: toAnthropicUsage(finish.usage),
  };
}

export interface MessageEvent {
  event: string;
  data: { type: string } & Record<string, unknown>;
}

/**
 * Content block events → the Messages API's SSE events, exactly in Anthropic's order:
 * message_start, then per block content_block_start / _delta… / _stop, then message_delta
 * (stop reason and the final usage) and message_stop.
 */
export class MessageEventMapper {
  constructor(private readonly context: MessageContext) {}

  /**
   * The first event. Usage is not known before generation ends: input_tokens is the count
   * given (0 if unknown) and message_delta carries the real totals, which the SDKs apply.
   */
  start(inputTokens = 0): MessageEvent[] {
    const message = {
      id: this.context.id,
      type: 'message',
      role: 'assistant',
      model: this.context.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    return [event('message_start', { message }), event('ping', {})];
  }

  map(blockEvent: ContentBlockEvent): MessageEvent[] {
    switch (blockEvent.type) {
      case 'block-start':
        return [event('content_block_start', { index: blockEvent.index, content_block: startOf(blockEvent.block) })];
      case 'block-delta':
        return [event('content_block_delta', { index: blockEvent.index, delta: deltaOf(blockEvent.kind, blockEvent.delta) })];
      case 'block-stop':
        return [event('content_block_stop', { index: blockEvent.index })];
      case 'finish':
        return [
          event('message_delta', {
            delta: toStopReason(blockEvent, this.context),
            usage: toAnthropicUsage(blockEvent.usage),
          }),
          event('message_stop', {}),
        ];
      case 'error':
        // Thrown by the stream itself; the writer sends it as an `error` event.
        return [];
    }
  }
}

function event(name: string, fields: Record<string, unknown>): MessageEvent {
  return { event: name, data: { type: name, ...fields } };
}

function startOf(block: ContentBlock) {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: '' };
    case 'reasoning':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'tool-call':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} };
  }
}

function deltaOf(kind: ContentBlock['type'], delta: string) {
  switch (kind) {
    case 'text':
      return { type: 'text_delta', text: delta };
    case 'reasoning':
      return { type: 'thinking_delta', thinking: delta };
    case 'tool-call':
      return { type: 'input_json_delta', partial_json: delta };
  }
}
