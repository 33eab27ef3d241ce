import { errorCodes, HeylookError } from '@heylook/core';

/** RoPE settings as config.json writes them: classic `rope_scaling`, or one Transformers 5 `rope_parameters` block. */
export interface RopeScaling {
  type?: string;
  rope_type?: string;
  rope_theta?: number;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  /** Transformers 5 YaRN: overrides the attention scale computed from `mscale`. */
  attention_factor?: number;
  /** Transformers 5 YaRN: false keeps the correction range unrounded (gpt-oss). */
  truncate?: boolean;
  partial_rotary_factor?: number;
  /** longrope (Phi-3): per-pair period multipliers. mlx-lm always uses the long ones. */
  long_factor?: number[];
  short_factor?: number[];
}

/** The config.json keys the RoPE settings come from. */
export interface RopeConfigKeys {
  model_type?: string;
  rope_theta?: number;
  rope_scaling?: RopeScaling | null;
  rope_parameters?: RopeScaling | Record<string, RopeScaling> | null;
  partial_rotary_factor?: number;
  max_position_embeddings?: number;
  original_max_position_embeddings?: number;
}

/** What the native decoder takes: a base, or per-pair periods (`rope_freqs`), plus linear scale and YaRN's mscale. */
export interface NativeRope {
  rope_theta: number;
  rope_scale: number;
  rope_freqs?: Float32Array;
  rope_mscale?: number;
  /** Dims of each head RoPE rotates, when not all (partial_rotary_factor). */
  rope_dims?: number;
}

export const supportedRopeTypes = ['default', 'linear', 'llama3', 'yarn', 'longrope'];

/**
 * The base used when config.json names none, only where Transformers and mlx-lm agree
 * (Llama, Mistral, Phi-3: 10000). Qwen2 differs between them (10000 vs 1e6) and Qwen3 has
 * none, so a folder without rope_theta is refused rather than guessed. (Gemma 3: 1e6, in
 * mlx-architecture.ts.)
 */
const defaultTheta: Record<string, number> = { llama: 10000, mistral: 10000, phi3: 10000 };

/**
 * RoPE from config.json, in either format: Transformers ≤ 4 top-level `rope_theta` +
 * `rope_scaling`, or Transformers 5 `rope_parameters` (which wins where both are present).
 * Anything we do not implement is an error, never a silent fallback.
 */
export function readRope(raw: RopeConfigKeys, headDim: number, where: string, options: { partialRotary?: boolean } = {}): NativeRope {
  const parameters = raw.rope_parameters ?? undefined;
  if (parameters && !('rope_type' in parameters) && !('rope_theta' in parameters) && Object.values(parameters).some((value) => typeof value === 'object')) {
    throw new HeylookError(
      errorCodes.unsupportedModel,
      `${where}: rope_parameters per layer type (${Object.keys(parameters).join(', ')}) is not supported by the mlx provider yet.`,
      { param: 'model_path' },
    );
  }
  const scaling: RopeScaling = { ...(raw.rope_scaling ?? {}), ...((parameters as RopeScaling | undefined) ?? {}) };
  const theta = scaling.rope_theta ?? raw.rope_theta ?? defaultTheta[raw.model_type ?? ''];
  if (theta === undefined || !(theta > 0)) {
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: config.json gives no valid rope_theta (top level or in rope_parameters).`, { param: 'model_path' });
  }
  const partial = scaling.partial_rotary_factor ?? raw.partial_rotary_factor ?? 1;
  if (partial !== 1 && !options.partialRotary) {
    throw new HeylookError(errorCodes.unsupportedModel, `${where}: partial_rotary_factor ${partial} is not supported by the mlx provider for ${raw.model_type}.`, { param: 'model_path' });
  }
  const dims = Math.floor(headDim * partial);
  const partialDims = dims === headDim ? {} : { rope_dims: dims };
  // rope_parameters names its type; classic blocks are read as mlx-lm does (`type` before
  // `rope_type`, neither means plain RoPE); "su" is longrope's old name.
  const named = (parameters as RopeScaling | undefined)?.rope_type ?? scaling.type ?? scaling.rope_type ?? 'default';
  const type = named === 'su' ? 'longrope' : named;
  if (!supportedRopeTypes.includes(type)) {
    throw new HeylookError(
      errorCodes.unsupportedModel,
      `${where}: RoPE type "${type}" is not supported by the mlx provider yet (supported: ${supportedRopeTypes.join(', ')}).`,
      { param: 'model_path' },
    );
  }
  if (type === 'default') return { rope_theta: theta, rope_scale: 1, ...partialDims };
  if (type === 'longrope') return { rope_theta: theta, rope_scale: 1, ...partialDims, ...longRope(dims, theta, scaling, raw, where) };
  if (!(typeof scaling.factor === 'number' && scaling.factor > 0)) {
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: RoPE type "${type}" needs a positive factor.`, { param: 'model_path' });
  }
  if (type === 'linear') return { rope_theta: theta, rope_scale: scaling.factor, ...partialDims };
  if (type === 'llama3') return { rope_theta: theta, rope_scale: 1, ...partialDims, rope_freqs: llama3RopeFrequencies(dims, theta, scaling) };
  return { rope_theta: theta, rope_scale: 1, ...partialDims, ...yarnRope(dims, theta, scaling, raw.max_position_embeddings) };
}

/**
 * longrope (Phi-3 "su" scaling) as mlx-lm applies it: periods multiplied by `long_factor` at
 * every length (Transformers switches to `short_factor` below the original context), and the
 * rotated dims scaled by √(1 + ln(s)/ln(original)), s = max_position_embeddings / original.
 */
function longRope(dims: number, base: number, scaling: RopeScaling, raw: RopeConfigKeys, where: string): { rope_freqs: Float32Array; rope_mscale: number } {
  const long = scaling.long_factor;
  if (!Array.isArray(long) || long.length !== dims / 2) {
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: longrope needs long_factor with ${dims / 2} numbers.`, { param: 'model_path' });
  }
  const original = scaling.original_max_position_embeddings ?? raw.original_max_position_embeddings ?? 4096;
  const factor = (raw.max_position_embeddings ?? 131072) / original;
  const rope_freqs = Float32Array.from(long, (multiplier, index) => multiplier * base ** ((2 * index) / dims));
  const rope_mscale = scaling.attention_factor ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
  return { rope_freqs, rope_mscale };
}

/**
 * Llama 3.x RoPE scaling: long wavelengths are stretched by `factor`, short ones kept, the
 * band between interpolated. Returns the per-pair periods `fast::rope` takes as `freqs`.
 */
export function llama3RopeFrequencies(dims: number, base: number, scaling: RopeScaling): Float32Array {
  const factor = scaling.factor ?? 1;
  const low = scaling.low_freq_factor ?? 1;
  const high = scaling.high_freq_factor ?? 4;
  const original = scaling.original_max_position_embeddings ?? 8192;
  const lowWavelength = original / low;
  const highWavelength = original / high;
  const periods = new Float32Array(dims / 2);
  for (let index = 0; index < dims / 2; index++) {
    const period = base ** ((2 * index) / dims);
    const wavelength = 2 * Math.PI * period;
    if (wavelength < highWavelength) periods[index] = period;
    else if (wavelength > lowWavelength) periods[index] = period * factor;
    else {
      const smooth = (original / wavelength - low) / (high - low);
      periods[index] = period / ((1 - smooth) / factor + smooth);
    }
  }
  return periods;
}

/**
 * YaRN RoPE scaling: dimensions that turn fewer than `beta_slow` times over the original
 * context are interpolated by `factor`, those that turn more than `beta_fast` times are kept,
 * with a linear ramp between; queries and keys are scaled by `mscale` (0.1·ln(factor) + 1).
 * The ramp's range is clamped to [0, dims - 1] as in Transformers and mlx-lm (not dims/2 - 1:
 * that differs once the original context exceeds 2π·base).
 */
export function yarnRope(dims: number, base: number, scaling: RopeScaling, maxPositions: number | undefined): { rope_freqs: Float32Array; rope_mscale: number } {
  const factor = scaling.factor ?? 1;
  const original = scaling.original_max_position_embeddings ?? maxPositions ?? 4096;
  const betaFast = scaling.beta_fast ?? 32;
  const betaSlow = scaling.beta_slow ?? 1;
  const truncate = scaling.truncate ?? true;
  // The dimension whose wavelength completes `rotations` turns over the original context.
  const dimensionFor = (rotations: number) => (dims * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(truncate ? Math.floor(dimensionFor(betaFast)) : dimensionFor(betaFast), 0);
  const high = Math.min(truncate ? Math.ceil(dimensionFor(betaSlow)) : dimensionFor(betaSlow), dims - 1);
  const span = low === high ? 0.001 : high - low;
  const rope_freqs = new Float32Array(dims / 2);
  for (let index = 0; index < dims / 2; index++) {
    const period = base ** ((2 * index) / dims);
    const ramp = Math.min(1, Math.max(0, (index - low) / span));
    // ramp 0: keep (extrapolate); ramp 1: interpolate by the factor.
    rope_freqs[index] = 1 / ((1 - ramp) / period + ramp / (period * factor));
  }
  const mscaleOf = (scale: number, weight: number) => (scale <= 1 ? 1 : 0.1 * weight * Math.log(scale) + 1);
  const rope_mscale = scaling.attention_factor ?? mscaleOf(factor, scaling.mscale ?? 1) / mscaleOf(factor, scaling.mscale_all_dim ?? 0);
  return { rope_freqs, rope_mscale };
}
