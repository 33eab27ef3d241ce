import { z } from 'zod';

/** An mlx model's `config:` block: heylookitsanllm's keys. Sampling values are the model's defaults. */
export const mlxConfigSchema = z.object({
  /** A folder with config.json, *.safetensors and tokenizer.json (Hugging Face / mlx-community layout). */
  model_path: z.string().min(1, 'must name a model folder'),
  temperature: z.number().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  min_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  repetition_penalty: z.number().min(0).optional(),
  repetition_context_size: z.number().int().positive().default(20),
  /** A smaller model with the same tokenizer that proposes tokens for speculative decoding. */
  draft_model_path: z.string().optional(),
  num_draft_tokens: z.number().int().positive().max(32).default(4),
  /** standard: grows with the context; rotating: at most max_kv_size tokens; quantized: kv_bits per value. */
  cache_type: z.enum(['standard', 'rotating', 'quantized']).optional(),
  max_kv_size: z.number().int().positive().optional(),
  kv_bits: z.union([z.literal(2), z.literal(3), z.literal(4), z.literal(6), z.literal(8)]).optional(),
  kv_group_size: z.union([z.literal(32), z.literal(64), z.literal(128)]).default(64),
  /** Tokens kept in full precision before the cache is quantized. */
  quantized_kv_start: z.number().int().nonnegative().default(5000),
  /** Concurrent requests (each its own KV cache). */
  parallel: z.number().int().positive().max(64).default(4),
  /** Ends generation when the model emits BOS, as llama2.c-style models do (see the gguf provider). */
  stop_on_bos: z.boolean().default(true),
  stop: z.array(z.string()).default([]),
  /** Images are read when the folder has a vision tower (LLaVA, Gemma 3); false serves the language model alone. */
  vision: z.boolean().optional(),
  /** Largest image accepted, encoded (bytes) and decoded (pixels): larger ones get a 413. */
  max_image_bytes: z.number().int().positive().default(20 * 1024 * 1024),
  max_image_pixels: z.number().int().positive().default(32 * 1024 * 1024),
});
export type MlxConfig = z.infer<typeof mlxConfigSchema>;
