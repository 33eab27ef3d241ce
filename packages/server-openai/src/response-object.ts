import { randomUUID } from 'node:crypto';
import type { Usage } from '@heylook/core';
import type { ResponsesRequest } from './responses-schemas.js';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

export type OutputItem =
  | {
      type: 'message';
      id: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      role: 'assistant';
      content: { type: 'output_text'; text: string; annotations: []; logprobs: [] }[];
    }
  | {
      type: 'reasoning';
      id: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      summary: [];
      content: { type: 'reasoning_text'; text: string }[];
    }
  | {
      type: 'function_call';
      id: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      call_id: string;
      name: string;
      arguments: string;
    };

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Response object of the Responses API, as heylook fills it. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' } | null;
  model: string;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  [field: string]: unknown;
}

/** Prefixed random ids in OpenAI's style: resp_…, msg_…, fc_…, rs_…. */
export function createId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/** A new, in-progress Response that echoes the request's settings, as OpenAI's does. */
export function createResponseObject(body: ResponsesRequest, model: string): ResponseObject {
  return {
    id: createId('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    completed_at: null,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: (body.tools ?? []).filter((tool) => tool.type === 'function'),
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: body.user ?? null,
  };
}

/** Reasoning tokens are not counted apart by providers yet, so they are reported as 0. */
export function toResponsesUsage(usage: Usage): ResponsesUsage {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
