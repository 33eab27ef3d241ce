import { z } from 'zod';

/**
 * POST /v1/responses. Fields heylook does not implement (include, prompt_cache_key,
 * client_metadata, service_tier, safety_identifier, truncation, stream_options...) are
 * accepted and ignored, because agent clients send them on every request. Input items and
 * tools are validated one by one in to-responses-request.ts, so an error can name the item.
 */
export const responsesRequestSchema = z.object({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(z.looseObject({ type: z.string().optional() }))]).optional(),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.object({ type: z.literal('function'), name: z.string() }),
      z.object({
        type: z.literal('allowed_tools'),
        mode: z.enum(['auto', 'required']),
        tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })),
      }),
      // Forcing a hosted tool (web_search, file_search...): refused with a clear message later.
      z.looseObject({ type: z.string() }),
    ])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z
    .object({
      format: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('text') }),
          z.object({ type: z.literal('json_object') }),
          z.object({
            type: z.literal('json_schema'),
            name: z.string().optional(),
            schema: z.record(z.string(), z.unknown()),
            description: z.string().nullish(),
            strict: z.boolean().nullish(),
          }),
        ])
        .nullish(),
      verbosity: z.string().nullish(),
    })
    .nullish(),
  reasoning: z
    .object({ effort: z.string().nullish(), summary: z.string().nullish(), generate_summary: z.string().nullish() })
    .nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  // Local extras, as on /v1/chat/completions.
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  repeat_penalty: z.number().min(0).nullish(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
});
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** A content part of an input message (input_text / output_text / input_image / refusal...). */
export const inputContentPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  refusal: z.string().optional(),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
});

export const messageItemSchema = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(inputContentPartSchema)]),
});

export const functionCallItemSchema = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

export const functionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(inputContentPartSchema)]),
});

export const reasoningItemSchema = z.object({
  type: z.literal('reasoning'),
  summary: z.array(z.looseObject({ text: z.string() })).default([]),
  content: z.array(z.looseObject({ text: z.string() })).nullish(),
});

export const functionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
