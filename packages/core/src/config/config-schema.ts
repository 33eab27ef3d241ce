import { z } from 'zod';
import { parseByteSize, parseKeepAlive } from '../util/duration.js';

const keepAliveSchema = z
  .union([z.string(), z.number()])
  .refine((value) => parseKeepAlive(value) !== undefined, {
    message: 'must be a duration like "5m", "1h", "30s", a number of seconds, 0 (unload at once) or -1 (keep loaded)',
  });

const byteSizeSchema = z
  .union([z.string(), z.number()])
  .refine((value) => parseByteSize(value) !== undefined, {
    message: 'must be a size like "16GB", "12GiB" or a number of bytes',
  });

/** One entry of `models:`, in the seed's shape. `config` is validated by the provider. */
export const modelEntrySchema = z.object({
  id: z.string().min(1, 'must not be empty'),
  provider: z.string().min(1, 'must not be empty'),
  enabled: z.boolean().default(true),
  description: z.string().optional(),
  tags: z.array(z.string()).default([]),
  aliases: z.array(z.string().min(1)).default([]),
  keep_alive: keepAliveSchema.optional(),
  config: z.record(z.string(), z.unknown()).default({}),
});
export type ModelEntryInput = z.infer<typeof modelEntrySchema>;

/** A models.yaml file. Server settings in it are overridden by env and flags. */
export const configFileSchema = z.object({
  max_loaded_models: z.number().int().positive().default(2),
  max_memory: byteSizeSchema.optional(),
  max_queue: z.number().int().nonnegative().default(64),
  queue_timeout: keepAliveSchema.optional(),
  keep_alive: keepAliveSchema.default('5m'),
  default_model: z.string().optional(),
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  api_keys: z.array(z.string().min(1)).optional(),
  log_level: z.string().optional(),
  cors_origins: z.array(z.string().min(1)).optional(),
  allowed_hosts: z.array(z.string().min(1)).optional(),
  body_limit: byteSizeSchema.optional(),
  max_queue_per_model: z.number().int().nonnegative().optional(),
  max_messages: z.number().int().positive().optional(),
  max_images: z.number().int().nonnegative().optional(),
  max_image_size: byteSizeSchema.optional(),
  models: z.array(modelEntrySchema).default([]),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Top-level keys of heylookitsanllm that mean nothing here; they get a warning that says why. */
export const seedOnlyTopLevelKeys: Record<string, string> = {
  max_concurrent_requests: 'heylook batches requests per model; see `parallel` in a gguf model config',
  request_timeout: 'heylook cancels a request when its client disconnects',
};
