import { samplingDefaultsShape } from '@heylook/core';
import { z } from 'zod';
import { chatFormatNames } from './chat-formats.js';

/**
 * A gguf model's `config:` block: heylookitsanllm's llama_cpp keys plus ours. Sampling
 * values here are the model's defaults; a request's own values win.
 */
export const ggufConfigSchema = z.object({
  model_path: z.string().min(1, 'must name a .gguf file'),
  /** Path to a Jinja chat template, overriding the one in the GGUF. */
  chat_format_template: z.string().optional(),
  /** A named chat format (llama-cpp-python's names). */
  chat_format: z
    .string()
    .refine((name) => chatFormatNames.includes(name), {
      message: `must be one of: ${chatFormatNames.join(', ')}`,
    })
    .optional(),
  /** Context size per sequence, in tokens. Default: the model's training context, at most 4096. */
  n_ctx: z.number().int().positive().optional(),
  n_batch: z.number().int().positive().optional(),
  /** CPU threads. Default: 1 for models under 64 MiB, else all cores (see README). */
  n_threads: z.number().int().positive().optional(),
  /** -1 = all layers on the GPU, 0 = CPU only; default lets node-llama-cpp decide. */
  n_gpu_layers: z.number().int().min(-1).optional(),
  use_mmap: z.boolean().default(true),
  use_mlock: z.boolean().default(false),
  flash_attention: z.boolean().optional(),
  /** Create the embedding context at load instead of on the first embed request. */
  embedding: z.boolean().default(false),
  /** Sequences decoded together in one batch; concurrent requests beyond it wait. */
  parallel: z.number().int().positive().max(64).default(4),
  /** Reuse the evaluated prompt prefix of an earlier request (llama-server's cache_prompt). */
  prompt_cache: z.boolean().default(true),
  draft_model_path: z.string().optional(),
  num_draft_tokens: z.number().int().positive().max(64).default(8),
  ...samplingDefaultsShape,
  /** Token ids that end generation besides the model's end-of-generation tokens. */
  stop_tokens: z.array(z.number().int().nonnegative()).default([]),
});
export type GgufConfig = z.infer<typeof ggufConfigSchema>;
