import { errorCodes, HeylookError } from '@heylook/core';
import { z } from 'zod';
import type { ResampleFilter } from './pillow-resize.js';

const triple = z.union([z.number(), z.array(z.number()).length(3)]);
const sizeSchema = z.union([
  z.number().int().positive(),
  z
    .object({
      height: z.number().int().positive(),
      width: z.number().int().positive(),
      shortest_edge: z.number().int().positive(),
      longest_edge: z.number().int().positive(),
      min_pixels: z.number().int().positive(),
      max_pixels: z.number().int().positive(),
    })
    .partial(),
]);

/** The keys of a Hugging Face preprocessor_config.json the supported image processors read; others are ignored. */
export const preprocessorConfigSchema = z.object({
  image_processor_type: z.string().optional(),
  do_resize: z.boolean().optional(),
  size: sizeSchema.optional(),
  resample: z.number().int().optional(),
  do_center_crop: z.boolean().optional(),
  crop_size: sizeSchema.optional(),
  do_rescale: z.boolean().optional(),
  rescale_factor: z.number().optional(),
  do_normalize: z.boolean().optional(),
  image_mean: triple.optional(),
  image_std: triple.optional(),
  min_pixels: z.number().int().positive().optional(),
  max_pixels: z.number().int().positive().optional(),
  patch_size: z.number().int().positive().optional(),
  temporal_patch_size: z.number().int().positive().optional(),
  merge_size: z.number().int().positive().optional(),
  do_pan_and_scan: z.boolean().optional(),
});
export type PreprocessorConfig = z.infer<typeof preprocessorConfigSchema>;

type Triple = [number, number, number];

interface CommonSettings {
  resize: boolean;
  filter: ResampleFilter;
  rescale: boolean;
  rescaleFactor: number;
  normalize: boolean;
  mean: Triple;
  std: Triple;
}

/** CLIP and SigLIP: resize (shortest edge or fixed size), optional center crop; pixels come out channels-first. */
export interface FixedSizeSettings extends CommonSettings {
  kind: 'clip' | 'siglip';
  size: { shortestEdge: number } | { height: number; width: number };
  crop: { height: number; width: number } | undefined;
}

/** Qwen2-VL and Qwen2.5-VL: dynamic resolution in multiples of patchSize * mergeSize, then flattened patches. */
export interface Qwen2VlSettings extends CommonSettings {
  kind: 'qwen2-vl';
  minPixels: number;
  maxPixels: number;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
}

export type ImageProcessorSettings = FixedSizeSettings | Qwen2VlSettings;

const clipMean: Triple = [0.48145466, 0.4578275, 0.40821073];
const clipStd: Triple = [0.26862954, 0.26130258, 0.27577711];

// PIL's resampling enum as preprocessor configs store it; 0 (nearest), 4 (box) and 5 (hamming) are unused by these models.
const filtersByNumber: Record<number, ResampleFilter> = { 1: 'lanczos', 2: 'bilinear', 3: 'bicubic' };

/** The processor class, with transformers' "Fast" (torchvision) and "Pil" backend suffixes dropped: both follow one config. */
function processorKind(type: string | undefined, where: string): ImageProcessorSettings['kind'] {
  const base = (type ?? '').replace(/(Fast|Pil)$/, '');
  if (base === 'CLIPImageProcessor') return 'clip';
  // Gemma 3's processor is SigLIP's (resize to size, rescale, normalize) plus optional pan-and-scan crops.
  if (base === 'SiglipImageProcessor' || base === 'Gemma3ImageProcessor') return 'siglip';
  if (base === 'Qwen2VLImageProcessor' || base === 'Qwen2_5_VLImageProcessor') return 'qwen2-vl';
  throw new HeylookError(
    errorCodes.unsupportedModel,
    `${where}: image_processor_type ${type === undefined ? 'is missing' : JSON.stringify(type)}; the mlx provider preprocesses images for CLIPImageProcessor, SiglipImageProcessor, Gemma3ImageProcessor and Qwen2VLImageProcessor.`,
    { param: 'model_path' },
  );
}

function toTriple(value: number | number[] | undefined, fallback: Triple): Triple {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? [value, value, value] : [value[0]!, value[1]!, value[2]!];
}

function invalid(where: string, message: string): HeylookError {
  return new HeylookError(errorCodes.invalidModelFile, `${where}: ${message}`, { param: 'model_path' });
}

/** Reads a parsed preprocessor_config.json the way transformers does, filling each processor class's defaults. */
export function imageProcessorSettings(raw: unknown, where = 'preprocessor_config.json'): ImageProcessorSettings {
  // Configs write null for "the class default" (Gemma 3's do_pan_and_scan, crop_size, …), as transformers reads them.
  const given = typeof raw === 'object' && raw !== null ? Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null)) : raw;
  const parsed = preprocessorConfigSchema.safeParse(given);
  if (!parsed.success) throw invalid(where, `unexpected values (${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}).`);
  const config = parsed.data;
  const kind = processorKind(config.image_processor_type, where);
  const gemma3 = (config.image_processor_type ?? '').startsWith('Gemma3ImageProcessor');
  if (gemma3 && config.do_pan_and_scan) throw new HeylookError(errorCodes.unsupportedModel, `${where}: Gemma 3's pan-and-scan crops (do_pan_and_scan) are not supported yet.`, { param: 'model_path' });
  // Gemma3ImageProcessor resizes bilinearly by default, CLIP's and SigLIP's bicubically.
  const filter = filtersByNumber[config.resample ?? (gemma3 ? 2 : 3)];
  if (!filter) throw invalid(where, `resample ${config.resample} is not supported (bilinear 2, bicubic 3 and lanczos 1 are).`);
  const common: CommonSettings = {
    resize: config.do_resize ?? true,
    filter,
    rescale: config.do_rescale ?? true,
    rescaleFactor: config.rescale_factor ?? 1 / 255,
    normalize: config.do_normalize ?? true,
    mean: toTriple(config.image_mean, kind === 'siglip' ? [0.5, 0.5, 0.5] : clipMean),
    std: toTriple(config.image_std, kind === 'siglip' ? [0.5, 0.5, 0.5] : clipStd),
  };
  if (kind === 'qwen2-vl') {
    // transformers lets top-level min_pixels/max_pixels override size (the layout Qwen's own configs use).
    const size = typeof config.size === 'object' ? config.size : {};
    return {
      ...common,
      kind,
      minPixels: config.min_pixels ?? size.shortest_edge ?? size.min_pixels ?? 56 * 56,
      maxPixels: config.max_pixels ?? size.longest_edge ?? size.max_pixels ?? 28 * 28 * 1280,
      patchSize: config.patch_size ?? 14,
      temporalPatchSize: config.temporal_patch_size ?? 2,
      mergeSize: config.merge_size ?? 2,
    };
  }
  return { ...common, kind, size: fixedSize(config.size ?? (kind === 'clip' ? { shortest_edge: 224 } : { height: 224, width: 224 }), where), crop: crop(kind, config) };
}

function fixedSize(size: NonNullable<PreprocessorConfig['size']>, where: string): FixedSizeSettings['size'] {
  // An integer size means the shortest edge for both classes (their default_to_square is false).
  if (typeof size === 'number') return { shortestEdge: size };
  if (size.height !== undefined && size.width !== undefined) return { height: size.height, width: size.width };
  if (size.shortest_edge !== undefined && size.longest_edge === undefined) return { shortestEdge: size.shortest_edge };
  throw invalid(where, `size ${JSON.stringify(size)} is not supported; use {"shortest_edge": n} or {"height": h, "width": w}.`);
}

function crop(kind: FixedSizeSettings['kind'], config: PreprocessorConfig): FixedSizeSettings['crop'] {
  // CLIP crops by default (224); SigLIP only when its config asks.
  if (!(config.do_center_crop ?? kind === 'clip')) return undefined;
  const size = config.crop_size ?? 224;
  if (typeof size === 'number') return { height: size, width: size };
  return { height: size.height ?? size.shortest_edge ?? 224, width: size.width ?? size.shortest_edge ?? 224 };
}
