import { z } from 'zod';

const keepAlive = z.union([z.string(), z.number()]);

/** Ollama's `options` (Modelfile parameters) that mean something here; others are ignored. */
export const optionsSchema = z
  .object({
    temperature: z.number().min(0).optional(),
    top_k: z.number().int().min(0).optional(),
    top_p: z.number().min(0).max(1).optional(),
    min_p: z.number().min(0).max(1).optional(),
    repeat_penalty: z.number().min(0).optional(),
    repeat_last_n: z.number().int().optional(),
    presence_penalty: z.number().optional(),
    frequency_penalty: z.number().optional(),
    seed: z.number().int().optional(),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    num_predict: z.number().int().optional(),
    num_ctx: z.number().int().positive().optional(),
  })
  .optional();
export type OllamaOptions = z.infer<typeof optionsSchema>;

const format = z.union([z.literal('json'), z.literal(''), z.record(z.string(), z.unknown())]).optional();

const toolCall = z.object({
  id: z.string().optional(),
  function: z.object({ index: z.number().optional(), name: z.string(), arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}) }),
});

export const ollamaMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().default(''),
  images: z.array(z.string()).nullish(),
  thinking: z.string().optional(),
  tool_calls: z.array(toolCall).optional(),
  tool_name: z.string().optional(),
  tool_call_id: z.string().optional(),
});
export type OllamaMessage = z.infer<typeof ollamaMessageSchema>;

const tool = z.object({
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
});

const common = {
  model: z.string().min(1, 'is required'),
  stream: z.boolean().optional(),
  format,
  options: optionsSchema,
  keep_alive: keepAlive.optional(),
  think: z.union([z.boolean(), z.enum(['low', 'medium', 'high'])]).optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
};

export const chatRequestSchema = z.object({
  ...common,
  messages: z.array(ollamaMessageSchema).default([]),
  tools: z.array(tool).optional(),
});
export type OllamaChatRequest = z.infer<typeof chatRequestSchema>;

export const generateRequestSchema = z.object({
  ...common,
  prompt: z.string().default(''),
  suffix: z.string().optional(),
  system: z.string().optional(),
  template: z.string().optional(),
  raw: z.boolean().optional(),
  images: z.array(z.string()).nullish(),
  context: z.array(z.number().int()).optional(),
});
export type OllamaGenerateRequest = z.infer<typeof generateRequestSchema>;

export const embedRequestSchema = z.object({
  model: z.string().min(1, 'is required'),
  input: z.union([z.string(), z.array(z.string())]),
  truncate: z.boolean().optional(),
  dimensions: z.number().int().positive().optional(),
  options: optionsSchema,
  keep_alive: keepAlive.optional(),
});

export const legacyEmbeddingsRequestSchema = z.object({
  model: z.string().min(1, 'is required'),
  prompt: z.string(),
  options: optionsSchema,
  keep_alive: keepAlive.optional(),
});

export const modelNameRequestSchema = z.object({ model: z.string().min(1).optional(), name: z.string().min(1).optional() }).refine(
  (body) => body.model !== undefined || body.name !== undefined,
  { message: 'model is required', path: ['model'] },
);
