import { errorCodes, HeylookError } from '@heylook/core';
import { readRope, type RopeConfigKeys, type RopeScaling } from './mlx-rope.js';

/** The config.json keys that pick the decoder's variations (besides the shape every architecture has). */
export interface ArchitectureKeys extends RopeConfigKeys {
  model_type?: string;
  num_hidden_layers?: number;
  hidden_size?: number;
  hidden_act?: string;
  hidden_activation?: string;
  layer_types?: string[];
  sliding_window?: number | null;
  sliding_window_pattern?: number;
  rope_local_base_freq?: number;
  query_pre_attn_scalar?: number;
  final_logit_softcapping?: number | null;
  attn_logit_softcapping?: number | null;
  num_experts?: number;
  num_experts_per_tok?: number;
  decoder_sparse_step?: number;
  mlp_only_layers?: number[];
  norm_topk_prob?: boolean;
}

export const supportedModelTypes = ['llama', 'mistral', 'mistral3', 'ministral3', 'qwen2', 'qwen3', 'qwen3_moe', 'gemma3', 'gemma3_text', 'phi3', 'llava'];

/** Gemma3TextConfig's defaults (Transformers; the mlx-lm wrapper sets the same), for keys a multimodal text_config omits. */
const gemma3TextDefaults = {
  head_dim: 256,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-6,
  query_pre_attn_scalar: 256,
  rope_theta: 1_000_000,
  rope_local_base_freq: 10000,
  sliding_window_pattern: 6,
  max_position_embeddings: 131072,
};

/** LlamaConfig's defaults (Transformers), for keys a LLaVA text_config omits (llava-1.5 gives little more than the vocabulary). */
const llamaTextDefaults = {
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  max_position_embeddings: 2048,
  tie_word_embeddings: false,
};

/**
 * The text model of a multimodal folder: LLaVA (`llava`, a Llama-family text_config), Gemma 3 (`gemma3`) and Mistral 3 (`mistral3`) keep
 * their decoder in `text_config` and its weights under `language_model.` (the addon strips that
 * prefix and skips the vision tower). Any other config is returned as is.
 */
export function textModelConfig<T extends ArchitectureKeys & { text_config?: Record<string, unknown>; vocab_size?: number }>(raw: T): T {
  if (!raw.text_config) return raw;
  if (raw.model_type === 'llava') {
    const { text_config, ...outer } = raw;
    return { ...outer, ...llamaTextDefaults, ...text_config, model_type: text_config.model_type ?? 'llama', vocab_size: text_config.vocab_size ?? raw.vocab_size ?? 32000 } as unknown as T;
  }
  if (raw.model_type === 'mistral3') {
    const { text_config, ...outer } = raw;
    // mlx-lm: no tie unless the text config says so; a text_config that is neither ministral3 nor mistral is a Llama.
    const type = text_config.model_type === 'ministral3' || text_config.model_type === 'mistral' ? text_config.model_type : 'llama';
    return { ...outer, tie_word_embeddings: false, ...text_config, model_type: type } as unknown as T;
  }
  if (raw.model_type !== 'gemma3') return raw;
  const { text_config, ...outer } = raw;
  return {
    ...outer,
    ...gemma3TextDefaults,
    ...text_config,
    model_type: 'gemma3_text',
    vocab_size: raw.vocab_size ?? (text_config.vocab_size as number | undefined) ?? 262208,
  } as unknown as T;
}

/** Native decoder settings beyond the shape: RoPE, and what an architecture changes in the Llama block. */
export function architectureSettings(raw: ArchitectureKeys, headDim: number, where: string): Record<string, unknown> {
  if (raw.model_type === 'gemma3_text') return gemma3(raw, headDim, where);
  // Phi-3/Phi-4: fused qkv and gate-up projections (split natively), partial rotary (Phi-4-mini).
  if (raw.model_type === 'phi3') return { ...readRope(raw, headDim, where, { partialRotary: true }) };
  if (raw.model_type === 'qwen3_moe') return { ...readRope(raw, headDim, where), ...experts(raw, where) };
  if (raw.model_type === 'ministral3') return ministral3(raw, headDim, where);
  return { ...readRope(raw, headDim, where) };
}

/**
 * Qwen3-MoE: every `decoder_sparse_step`-th layer not in `mlp_only_layers` routes each token to
 * its top `num_experts_per_tok` of `num_experts` MLPs (softmax router, renormalised when
 * norm_topk_prob), run with MLX's gathered matmuls.
 */
function experts(raw: ArchitectureKeys, where: string): Record<string, unknown> {
  const count = raw.num_experts ?? 0;
  const perToken = raw.num_experts_per_tok ?? 0;
  if (count > 0 && !(perToken > 0 && perToken <= count)) {
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: num_experts_per_tok must be between 1 and num_experts (${count}).`, { param: 'model_path' });
  }
  const step = raw.decoder_sparse_step ?? 1;
  const dense = new Set(raw.mlp_only_layers ?? []);
  const moe_layers = Int32Array.from({ length: raw.num_hidden_layers ?? 0 }, (_, index) => Number(count > 0 && !dense.has(index) && (index + 1) % step === 0));
  return { num_experts: count, num_experts_per_tok: perToken, norm_topk_prob: raw.norm_topk_prob ?? false, moe_layers };
}

/**
 * Ministral 3: the Llama block with YaRN, and queries scaled by 1 + β·ln(1 + ⌊position / original⌋)
 * (Llama 4's long-context attention scaling; β is rope_parameters.llama_4_scaling_beta).
 */
function ministral3(raw: ArchitectureKeys, headDim: number, where: string): Record<string, unknown> {
  if (raw.layer_types?.some((type) => type !== 'full_attention')) throw unsupported(where, 'ministral3 with sliding-window layers');
  const parameters = (raw.rope_parameters ?? {}) as RopeScaling & { llama_4_scaling_beta?: number };
  const beta = parameters.llama_4_scaling_beta ?? 0;
  const original = parameters.original_max_position_embeddings ?? raw.original_max_position_embeddings;
  if (beta !== 0 && !original) {
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: llama_4_scaling_beta needs original_max_position_embeddings.`, { param: 'model_path' });
  }
  return { ...readRope(raw, headDim, where), query_scale_beta: beta, query_scale_original: original ?? 0 };
}

function unsupported(where: string, what: string): HeylookError {
  return new HeylookError(errorCodes.unsupportedModel, `${where}: ${what} is not supported by the mlx provider yet.`, { param: 'model_path' });
}

/**
 * Gemma 3 (text): RMSNorm weights applied as 1 + w, norms before and after attention and MLP,
 * embeddings scaled by √hidden, GELU (tanh) MLP, softmax scale query_pre_attn_scalar^-½, and
 * sliding-window local layers (5 of every 6) with their own RoPE base.
 */
function gemma3(raw: ArchitectureKeys, headDim: number, where: string): Record<string, unknown> {
  if (raw.final_logit_softcapping != null) throw unsupported(where, 'final_logit_softcapping');
  if (raw.attn_logit_softcapping != null) throw unsupported(where, 'attn_logit_softcapping');
  const activation = raw.hidden_activation ?? raw.hidden_act ?? 'gelu_pytorch_tanh';
  if (activation !== 'gelu_pytorch_tanh') throw unsupported(where, `hidden_activation "${activation}"`);
  if (!raw.sliding_window) {
    // Transformers and mlx-lm disagree on the default (4096 vs 512): refuse to guess.
    throw new HeylookError(errorCodes.invalidModelFile, `${where}: a gemma3_text config.json needs sliding_window.`, { param: 'model_path' });
  }
  const layers = raw.num_hidden_layers ?? 0;
  const pattern = raw.sliding_window_pattern ?? 6;
  const sliding = Int32Array.from({ length: layers }, (_, index) =>
    raw.layer_types ? Number(raw.layer_types[index] === 'sliding_attention') : Number((index + 1) % pattern !== 0),
  );
  // Transformers 5 writes one RoPE block per layer type; older configs, rope_theta + rope_local_base_freq.
  const parameters = raw.rope_parameters as Record<string, RopeScaling> | RopeScaling | null | undefined;
  const perType = parameters && 'full_attention' in parameters ? (parameters as Record<string, RopeScaling>) : undefined;
  const local = perType?.sliding_attention;
  if (local && (local.rope_type ?? 'default') !== 'default') throw unsupported(where, `RoPE type "${local.rope_type}" on sliding layers`);
  const global = readRope({ ...raw, rope_theta: raw.rope_theta ?? 1_000_000, ...(perType ? { rope_parameters: perType.full_attention } : {}) }, headDim, where);
  return {
    ...global,
    local_rope_theta: local?.rope_theta ?? raw.rope_local_base_freq ?? 10000,
    sliding_window: raw.sliding_window,
    sliding_layers: sliding,
    norm_offset: true,
    sandwich_norms: true,
    activation: 'gelu_approx',
    embed_scale: Math.sqrt(raw.hidden_size ?? 0),
    attention_scale: (raw.query_pre_attn_scalar ?? 256) ** -0.5,
  };
}
