import type { ImagePromptSpec } from './vision/image-prompt.js';

/** Placeholder until the native vision work lands: the prompt facts of a llava or gemma3 config.json. */
export function visionOf(raw: Record<string, unknown>): ImagePromptSpec | undefined {
  const vision = raw.vision_config as { image_size?: number; patch_size?: number } | undefined;
  if (!vision) return undefined;
  if (raw.model_type === 'llava') {
    const side = (vision.image_size ?? 336) / (vision.patch_size ?? 14);
    return { family: 'llava', imageTokenId: raw.image_token_index as number, tokensPerImage: side * side };
  }
  if (raw.model_type === 'gemma3') {
    return {
      family: 'gemma3',
      imageTokenId: raw.image_token_index as number,
      tokensPerImage: (raw.mm_tokens_per_image as number | undefined) ?? 256,
      boiTokenId: raw.boi_token_index as number,
      eoiTokenId: raw.eoi_token_index as number,
    };
  }
  return undefined;
}
