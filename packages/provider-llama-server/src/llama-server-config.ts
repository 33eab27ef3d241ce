import { samplingDefaultsShape } from '@heylook/core';
import { z } from 'zod';

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'must be "host:port"');

/**
 * A llama-server model's `config:` block. Keys that mean the same as provider-gguf's (and the
 * seed's llama_cpp keys) are spelled the same; `extra_args` passes anything else to llama-server.
 * Sampling values here are the model's defaults; a request's own values win.
 */
export const llamaServerConfigSchema = z.object({
  model_path: z.string().min(1, 'must name a .gguf file'),
  /** Multimodal projector (.gguf) for vision/audio models; turns on `capabilities.vision`. */
  mmproj_path: z.string().min(1).optional(),
  /** The llama-server executable. Default: $HEYLOOK_LLAMA_SERVER, llama-server on PATH, the built one. */
  binary_path: z.string().min(1).optional(),
  /** Context size of the whole server (llama-server splits it across `parallel` slots). */
  n_ctx: z.number().int().positive().optional(),
  n_batch: z.number().int().positive().optional(),
  /** CPU threads. Default: 1 for models under 64 MiB (thread sync costs more than tiny matmuls), else llama-server's default. */
  n_threads: z.number().int().positive().optional(),
  /** -1 = all layers on the GPU, 0 = CPU only; default lets llama-server decide. */
  n_gpu_layers: z.number().int().min(-1).optional(),
  use_mmap: z.boolean().default(true),
  use_mlock: z.boolean().default(false),
  flash_attention: z.boolean().optional(),
  /** Requests decoded together (llama-server's slots, `--parallel`). */
  parallel: z.number().int().positive().max(64).default(4),
  /** A built-in llama.cpp template name (`chatml`, `llama3`...), passed as --chat-template. */
  chat_format: z.string().min(1).optional(),
  /** Path to a Jinja chat template file, overriding the one in the GGUF. */
  chat_format_template: z.string().min(1).optional(),
  /** Speculative decoding with a small draft model of the same vocabulary. */
  draft_model_path: z.string().min(1).optional(),
  num_draft_tokens: z.number().int().positive().max(64).optional(),
  /** Serve embeddings only (llama-server --embeddings): chat and completion are off then. */
  embedding: z.boolean().default(false),
  /** Shard the model over llama.cpp rpc-server processes (other machines): ["host:port", ...]. */
  rpc: z.array(hostPort).optional(),
  /** More llama-server arguments, as separate strings: ["--rope-scaling", "yarn"]. */
  extra_args: z.array(z.string()).default([]),
  /** Seconds to wait for /health after spawning (large models load slowly). */
  load_timeout: z.number().positive().default(600),
  ...samplingDefaultsShape,
});
export type LlamaServerConfig = z.infer<typeof llamaServerConfigSchema>;
