import { errorCodes, HeylookError } from '@heylook/core';

/** What the chat side needs to place an image's tokens in a prompt. */
export interface VisionDescription {
  family: 'llava' | 'gemma3';
  /** The placeholder id each image token row carries in the prompt. */
  imageTokenId: number;
  /** Image tokens per image (LLaVA: the patch grid, plus the class row for the "full" strategy; Gemma 3: mm_tokens_per_image). */
  tokensPerImage: number;
  /** Gemma 3: the tokens around an image's run of image tokens. */
  boiTokenId?: number;
  eoiTokenId?: number;
}

/** The multimodal keys of a LLaVA or Gemma 3 config.json (Transformers writes `…_index` or, newer, `…_id`). */
export interface VisionConfigKeys {
  model_type?: string;
  vision_config?: Record<string, unknown>;
  text_config?: Record<string, unknown>;
  image_token_index?: number;
  image_token_id?: number;
  boi_token_index?: number;
  boi_token_id?: number;
  eoi_token_index?: number;
  eoi_token_id?: number;
  mm_tokens_per_image?: number;
  vision_feature_layer?: number | number[];
  vision_feature_select_strategy?: string;
  projector_hidden_act?: string;
}

/** CLIPVisionConfig's and SiglipVisionConfig's defaults (Transformers), for keys a vision_config omits. */
const towerDefaults = {
  llava: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, image_size: 224, patch_size: 32, num_channels: 3, layer_norm_eps: 1e-5 },
  gemma3: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, image_size: 224, patch_size: 16, num_channels: 3, layer_norm_eps: 1e-6 },
};

function familyOf(raw: VisionConfigKeys): 'llava' | 'gemma3' | undefined {
  if (!raw.vision_config) return undefined;
  return raw.model_type === 'llava' || raw.model_type === 'gemma3' ? raw.model_type : undefined;
}

function unsupported(where: string, what: string): HeylookError {
  return new HeylookError(errorCodes.unsupportedModel, `${where}: ${what} is not supported by the mlx provider's vision yet.`, { param: 'model_path' });
}

function tower(raw: VisionConfigKeys, family: 'llava' | 'gemma3') {
  return { ...towerDefaults[family], ...raw.vision_config } as typeof towerDefaults.llava & Record<string, unknown>;
}

/**
 * The vision side of a LLaVA-layout or Gemma 3 config.json, or nothing for a text-only config or
 * another multimodal family. Throws a coded error for variants the addon does not implement.
 */
export function visionOf(raw: VisionConfigKeys, where = 'config.json'): VisionDescription | undefined {
  const family = familyOf(raw);
  if (!family) return undefined;
  const vision = tower(raw, family);
  const side = Math.floor(vision.image_size / vision.patch_size);
  if (family === 'llava') {
    const layer = raw.vision_feature_layer ?? -2;
    if (typeof layer !== 'number') throw unsupported(where, 'a list of vision_feature_layer values');
    const strategy = raw.vision_feature_select_strategy ?? 'default';
    if (strategy !== 'default' && strategy !== 'full') throw unsupported(where, `vision_feature_select_strategy "${strategy}"`);
    if ((raw.projector_hidden_act ?? 'gelu') !== 'gelu') throw unsupported(where, `projector_hidden_act "${raw.projector_hidden_act}"`);
    return { family, imageTokenId: raw.image_token_index ?? raw.image_token_id ?? 32000, tokensPerImage: side * side + (strategy === 'full' ? 1 : 0) };
  }
  const tokens = raw.mm_tokens_per_image ?? 256;
  const pooled = Math.round(Math.sqrt(tokens));
  if (pooled * pooled !== tokens || side % pooled !== 0) {
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: mm_tokens_per_image (${tokens}) must be a square whose side divides image_size / patch_size (${side}).`, {
      param: 'model_path',
    });
  }
  return {
    family,
    imageTokenId: raw.image_token_index ?? raw.image_token_id ?? 262144,
    tokensPerImage: tokens,
    boiTokenId: raw.boi_token_index ?? raw.boi_token_id ?? 255999,
    eoiTokenId: raw.eoi_token_index ?? raw.eoi_token_id ?? 256000,
  };
}

/** The addon's `vision` config (native/src/model_config.h VisionConfig) for a folder whose vision tower is to be loaded. */
export function nativeVisionConfig(raw: VisionConfigKeys, where = 'config.json'): Record<string, unknown> | undefined {
  const description = visionOf(raw, where);
  if (!description) return undefined;
  const vision = tower(raw, description.family);
  return {
    family: description.family,
    hidden_size: vision.hidden_size,
    num_hidden_layers: vision.num_hidden_layers,
    num_attention_heads: vision.num_attention_heads,
    image_size: vision.image_size,
    patch_size: vision.patch_size,
    num_channels: vision.num_channels,
    layer_norm_eps: vision.layer_norm_eps,
    feature_layer: raw.vision_feature_layer ?? -2,
    keep_class_token: raw.vision_feature_select_strategy === 'full',
    tokens_per_image: description.tokensPerImage,
  };
}
