import { z } from 'zod';

/**
 * Request bodies of the Messages API. Objects strip what they do not know instead of
 * rejecting it: clients such as Claude Code send `cache_control`, `context_management`,
 * `output_config.effort`, `metadata` and beta fields that a local model has no use for.
 * Content blocks are checked one by one in to-chat-request.ts, so an error names the block.
 */

/** Any content block; its fields are validated by type when it is mapped. */
export const contentBlockSchema = z.looseObject({ type: z.string() });
export type AnthropicContentBlock = z.infer<typeof contentBlockSchema>;

const content = z.union([z.string(), z.array(contentBlockSchema)]);

export const messageParamSchema = z.object({
  // "system" is not in Anthropic's public schema, but Claude Code sends such messages mid-conversation.
  role: z.enum(['user', 'assistant', 'system']),
  content,
});
export type AnthropicMessageParam = z.infer<typeof messageParamSchema>;

export const textBlockSchema = z.object({ type: z.literal('text'), text: z.string() });

/** A tool: custom tools have an input_schema; Anthropic's server tools (web_search_…, bash_…) have a versioned type. */
export const toolSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string().nullish(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

const toolChoiceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('none') }),
]);

// Any type: `enabled` and `disabled` are acted on, the others (adaptive, between_tools, newer ones) leave it to the model.
const thinkingSchema = z.looseObject({ type: z.string() });

const outputConfigSchema = z.object({
  effort: z.string().nullish(),
  format: z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

/** Fields shared by POST /v1/messages and /v1/messages/count_tokens. */
const promptFields = {
  // Anthropic requires a model; heylook falls back to its default model like its other APIs.
  model: z.string().optional(),
  messages: z.array(messageParamSchema).min(1, 'must contain at least one message'),
  system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
  output_config: outputConfigSchema.optional(),
};

export const messagesRequestSchema = z.object({
  ...promptFields,
  max_tokens: z.number().int().min(1),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** heylook extension, as on the other APIs: how long the model stays loaded after this request. */
  keep_alive: z.union([z.string(), z.number()]).optional(),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

export const countTokensRequestSchema = z.object(promptFields);
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
