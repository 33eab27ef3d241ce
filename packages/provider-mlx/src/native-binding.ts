import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuShare, errorCodes, HeylookError, type CpuEngine } from '@heylook/core';
import { MLX_SETUP_COMMAND } from './native-setup.js';

/** The addon's model object (native/src/mlx_model.h). */
export interface NativeModel {
  load(): Promise<void>;
  /** As now, plus `images`: rows of `tokens` replaced by image features before the decoder runs. */
  step(sequence: number, tokens: Int32Array, sampling: NativeSampling, images?: NativeImages): Promise<number>;
  /**
   * Prompt pieces of several sequences in one forward pass: sequence i is fed the next lengths[i]
   * ids of `tokens` (the pieces one after another); out[i] is the token it samples next.
   */
  prefillBatch(sequences: Int32Array, tokens: Int32Array, lengths: Int32Array, sampling: NativeSampling[]): Promise<Int32Array>;
  /** One decode step for several sequences in one forward pass: sequence i is fed tokens[i]. */
  stepBatch(sequences: Int32Array, tokens: Int32Array, sampling: NativeSampling[]): Promise<Int32Array>;
  /**
   * Up to steps[i] decode steps per sequence in one call, all rows in one forward pass per step:
   * sequence i is fed tokens[i], then what it samples, ending early after sampling one of
   * `stops` (returned, not fed). Out: the rows' token counts, then their tokens, row after row;
   * each row's last token is not evaluated yet. Rows with `allowed` take one step.
   */
  decodeBatch(sequences: Int32Array, tokens: Int32Array, sampling: NativeSampling[], steps: Int32Array, stops: Int32Array): Promise<Int32Array>;
  /** Evaluates `tokens` at once; out[i] is the token picked after tokens[0..i]. */
  verify(sequence: number, tokens: Int32Array, sampling: NativeSampling, images?: NativeImages): Promise<Int32Array>;
  /**
   * Vision tower + projector on one image's pixel values (as src/vision's processor returns them, with
   * their shape): one row of the language model's hidden size per image token, row-major [tokens, hidden].
   */
  encodeImage(pixels: Float32Array, shape: Int32Array): Promise<Float32Array>;
  trim(sequence: number, keep: number): Promise<void>;
  freeSequence(sequence: number): Promise<void>;
  embed(tokens: Int32Array): Promise<Float32Array>;
  unload(): Promise<void>;
  /** Writes a quantized copy of the constructor's folder weights to `destination`/model.safetensors. */
  quantize(destination: string, bits: number, groupSize: number, embeddings: boolean): Promise<void>;
}

/** Images in a step/verify call: each one's features fill the rows of `tokens` from its offset on. */
export interface NativeImages {
  /** For each image, the index in `tokens` of its first image token; its features fill the rows from there. */
  offsets: Int32Array;
  /** For each image, its encodeImage output. */
  features: Float32Array[];
}

export interface NativeSampling {
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  repetitionContextSize?: number;
  /** The tokens a grammar allows next: bit `id % 32` of word `id / 32`; every token when absent. */
  allowed?: Int32Array;
  /** OpenAI's logit_bias: values added to these tokens' logits first (-100 or less bans one). */
  biasIds?: Int32Array;
  biasValues?: Float32Array;
  /** Reseeds the sequence's sampler before this step. */
  seed?: number;
}

interface NativeAddon {
  MlxModel: new (dir: string, config: Record<string, unknown>) => NativeModel;
  mlxVersion: string;
  /** Where MLX computes: the Linux wheel on the CPU, Metal on a GPU. */
  device: 'cpu' | 'gpu';
  /** Threads for OpenBLAS's next products (0: its own count, all cores unless OPENBLAS_NUM_THREADS says otherwise). */
  setBlasThreads(threads: number): void;
  /** Which BLAS runs MLX's float32 matrix products (native/src/blas.cpp), and how many it ran. */
  blas(): { library: string; threads: number; products: number };
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let addon: NativeAddon | undefined;

/** The compiled addon: a local build in build/Release, or a coded error saying how to build it. */
export function nativeAddon(): NativeAddon {
  if (addon) return addon;
  const file = path.join(packageRoot, 'build', 'Release', 'heylook_mlx.node');
  if (!existsSync(file)) {
    throw new HeylookError(
      errorCodes.providerNotInstalled,
      `The MLX addon is not built (${file} is missing). Build it with \`${MLX_SETUP_COMMAND}\` in your app folder ` +
        '(Linux installs the mlx-cpu wheel with pip; macOS uses MLX_DIR or your Python mlx).',
    );
  }
  addon = createRequire(import.meta.url)(file) as NativeAddon;
  return addon;
}

let cpuEngine: CpuEngine | undefined;

/**
 * MLX's work on the CPU, as one engine of the process's CpuShare: while another engine (llama.cpp)
 * works too, OpenBLAS runs on MLX's share of the cores. None when MLX computes on a GPU.
 */
export function mlxCpuEngine(): CpuEngine | undefined {
  const native = nativeAddon();
  if (native.device !== 'cpu') return undefined;
  cpuEngine ??= cpuShare().register('mlx', (threads) => native.setBlasThreads(threads ?? 0));
  return cpuEngine;
}
