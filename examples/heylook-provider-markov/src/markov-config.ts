import { z } from 'zod';

/** A model's `config:` block in models.yaml. */
export const markovConfigSchema = z.object({
  /** A UTF-8 text file to learn from; relative paths resolve against models.yaml's folder. */
  model_path: z.string().min(1),
  /** How many previous words pick the next one (2 = a trigram model). */
  order: z.number().int().min(1).max(6).default(2),
  /** Default answer length when a request sets none. */
  max_tokens: z.number().int().positive().default(128),
  /** Default temperature when a request sets none (0 = always the most frequent next word). */
  temperature: z.number().min(0).max(5).default(0.8),
});
export type MarkovConfig = z.infer<typeof markovConfigSchema>;
