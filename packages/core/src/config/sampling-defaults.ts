import { z } from 'zod';

/**
 * The per-model sampling defaults llama.cpp-based providers take in their `config:` block
 * (heylookitsanllm's keys; a request's own values win). Spread into a provider's schema:
 * `z.object({ model_path: ..., ...samplingDefaultsShape })`.
 */
export const samplingDefaultsShape = {
  temperature: z.number().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repetition_penalty: z.number().min(0).optional(),
  repeat_penalty: z.number().min(0).optional(),
  presence_penalty: z.number().optional(),
  frequency_penalty: z.number().optional(),
  max_tokens: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  /** Stop strings added to every request. */
  stop: z.array(z.string()).default([]),
  /**
   * End generation when the model emits BOS. llama2.c-style models (stories260K) separate
   * documents with BOS and never emit EOS; chat models never emit BOS, so this is safe.
   */
  stop_on_bos: z.boolean().default(true),
};
