// Writes a tiny random-weight model folder in the exact Hugging Face layout of one architecture
// (config.json with that architecture's keys, model.safetensors with its tensor names, a
// tokenizer), for checking our decoder against mlx-lm token for token:
//   node bench/make-random-model.mjs ARCH DIR [--rope-parameters]
// The weights are float32. Their scales make every part of the model decide the next token: with
// unit-scale embeddings the residual stream is the input embedding, a tied head then predicts the
// input token back, and a wrong RoPE or attention goes unnoticed (seen: greedy output one token
// repeated). So embeddings are small (0.3), queries/keys sharp (gain 2: position matters) and the
// attention/MLP outputs strong (gain 2). Norm weights are random around 1 (2 for q/k norms), so
// a wrong norm convention shows. The tokenizer is stories260K-hf's (512 tokens): the checks
// compare token ids, not text.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The decoder shape shared by every architecture; small enough that a forward pass takes milliseconds. */
const shape = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128, vocab: 512 };

/**
 * Per architecture: the config.json keys a real checkpoint of it carries, and the extra tensors
 * its layers have. `classic` RoPE keys are rewritten to Transformers 5 `rope_parameters` on request.
 */
export const architectures = {
  llama: {
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      attention_bias: false,
      mlp_bias: false,
      hidden_act: 'silu',
      rope_theta: 500000,
      rope_scaling: null,
      tie_word_embeddings: true,
    },
  },
  // Llama 3.1/3.2/3.3: llama3 RoPE scaling over an 8k original context.
  'llama3.1': {
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      attention_bias: false,
      mlp_bias: false,
      hidden_act: 'silu',
      rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      tie_word_embeddings: true,
    },
  },
  mistral: {
    config: {
      architectures: ['MistralForCausalLM'],
      model_type: 'mistral',
      hidden_act: 'silu',
      rope_theta: 1000000,
      sliding_window: null,
      tie_word_embeddings: false,
    },
  },
  qwen2: {
    config: {
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      hidden_act: 'silu',
      rope_theta: 1000000,
      rope_scaling: null,
      use_sliding_window: false,
      sliding_window: 32768,
      max_window_layers: 2,
      tie_word_embeddings: true,
    },
    attentionBias: true,
  },
  qwen3: {
    config: {
      architectures: ['Qwen3ForCausalLM'],
      model_type: 'qwen3',
      attention_bias: false,
      hidden_act: 'silu',
      rope_theta: 1000000,
      rope_scaling: null,
      use_sliding_window: false,
      sliding_window: null,
      max_window_layers: 2,
      tie_word_embeddings: true,
    },
    qkNorm: true,
  },
  gemma3_text: {
    config: {
      architectures: ['Gemma3ForCausalLM'],
      model_type: 'gemma3_text',
      attention_bias: false,
      attn_logit_softcapping: null,
      final_logit_softcapping: null,
      hidden_activation: 'gelu_pytorch_tanh',
      query_pre_attn_scalar: 24,
      rope_local_base_freq: 10000,
      rope_theta: 1000000,
      rope_scaling: null,
      // A window shorter than the checks' sequences, and local and global layers alternating.
      sliding_window: 8,
      sliding_window_pattern: 2,
      layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'],
      tie_word_embeddings: true,
    },
    shape: { layers: 4 },
    qkNorm: true,
    // Norm weights are applied as 1 + w: stored around 0.
    normMean: 0,
    sandwichNorms: true,
    // The model multiplies embeddings by √hidden = 8.
    embedScale: 0.3 / 8,
  },
  // Gemma 3 4B and up: the multimodal wrapper around gemma3_text (text decoder under language_model.).
  gemma3: {
    wraps: 'gemma3_text',
    config: {
      architectures: ['Gemma3ForConditionalGeneration'],
      model_type: 'gemma3',
      boi_token_index: 255999,
      eoi_token_index: 256000,
      image_token_index: 262144,
      mm_tokens_per_image: 256,
      vision_config: { model_type: 'siglip_vision_model', hidden_size: 16, image_size: 16, patch_size: 4, num_hidden_layers: 1 },
    },
  },
  // Ministral 3's text model: YaRN, and Llama 4 query scaling (its original context made short
  // here so the scale changes within the checks' 192 positions).
  ministral3: {
    config: {
      architectures: ['Ministral3ForCausalLM'],
      model_type: 'ministral3',
      hidden_act: 'silu',
      attention_dropout: 0,
      rope_parameters: {
        rope_type: 'yarn',
        rope_theta: 1000000,
        factor: 16,
        original_max_position_embeddings: 32,
        beta_fast: 32,
        beta_slow: 1,
        mscale: 1,
        mscale_all_dim: 1,
        llama_4_scaling_beta: 0.1,
      },
      sliding_window: null,
      tie_word_embeddings: false,
    },
  },
  // Ministral 3 / Mistral Small 3.x folders: the multimodal wrapper, in Transformers ≥ 4.52's
  // weight layout (model.language_model.*, lm_head at the top).
  mistral3: {
    wraps: 'ministral3',
    transformersLayout: true,
    config: {
      architectures: ['Mistral3ForConditionalGeneration'],
      model_type: 'mistral3',
      image_token_index: 10,
      multimodal_projector_bias: false,
      projector_hidden_act: 'gelu',
      spatial_merge_size: 2,
      vision_feature_layer: -1,
      vision_config: { model_type: 'pixtral', hidden_size: 16, image_size: 16, patch_size: 4, num_hidden_layers: 1 },
    },
  },
  // Qwen3-30B-A3B's layout: routed experts (8, 2 per token here) stored per expert; layer 1 stays dense.
  qwen3_moe: {
    config: {
      architectures: ['Qwen3MoeForCausalLM'],
      model_type: 'qwen3_moe',
      attention_bias: false,
      hidden_act: 'silu',
      rope_theta: 1000000,
      rope_scaling: null,
      num_experts: 8,
      num_experts_per_tok: 2,
      moe_intermediate_size: 64,
      decoder_sparse_step: 1,
      mlp_only_layers: [1],
      norm_topk_prob: true,
      output_router_logits: false,
      router_aux_loss_coef: 0.001,
      use_sliding_window: false,
      sliding_window: null,
      max_window_layers: 3,
      tie_word_embeddings: false,
    },
    shape: { layers: 3 },
    qkNorm: true,
  },
  // Phi-3-mini: fused qkv_proj and gate_up_proj, no head_dim key.
  phi3: {
    config: {
      architectures: ['Phi3ForCausalLM'],
      model_type: 'phi3',
      attention_bias: false,
      hidden_act: 'silu',
      original_max_position_embeddings: 4096,
      rope_theta: 10000,
      rope_scaling: null,
      sliding_window: 2047,
      tie_word_embeddings: false,
    },
    fused: true,
  },
  // Phi-4-mini's shape of Phi-3: partial rotary (¾ of each head) and longrope scaling.
  'phi3-longrope': {
    config: {
      architectures: ['Phi3ForCausalLM'],
      model_type: 'phi3',
      attention_bias: false,
      hidden_act: 'silu',
      original_max_position_embeddings: 4096,
      max_position_embeddings: 131072,
      partial_rotary_factor: 0.75,
      rope_theta: 10000,
      rope_scaling: { type: 'longrope', long_factor: [1, 1.5, 3, 8, 20, 40], short_factor: [1, 1, 1, 1.2, 1.5, 2] },
      sliding_window: 262144,
      tie_word_embeddings: true,
    },
    fused: true,
  },
};

/** xorshift32 + Box-Muller: the same weights for the same seed on every machine. */
export function normalSource(seed) {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Transformers 5 form of the RoPE keys: `rope_parameters` holds the theta, the type and the
 * scaling keys; models with local layers (Gemma 3) get one block per layer type.
 */
export function toRopeParameters(config) {
  const { rope_theta, rope_scaling, rope_local_base_freq, ...rest } = config;
  const { type, rope_type, ...keys } = rope_scaling ?? {};
  const global = { rope_type: rope_type ?? type ?? 'default', rope_theta, ...keys };
  if (rope_local_base_freq === undefined) return { ...rest, rope_parameters: global };
  return { ...rest, rope_parameters: { full_attention: global, sliding_attention: { rope_type: 'default', rope_theta: rope_local_base_freq } } };
}

/** A float32 safetensors file of `tensors` ({ name: { shape, data } }). */
export function writeSafetensors(tensors) {
  const header = {};
  let offset = 0;
  for (const [name, { shape: dims, data }] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: dims, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify({ __metadata__: { format: 'pt' }, ...header });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), ...Object.values(tensors).map(({ data }) => Buffer.from(data.buffer, data.byteOffset, data.byteLength))]);
}

/**
 * Writes ARCH's random model to `dir`. `configOverrides` is merged into config.json (e.g. a
 * rope_scaling block); `ropeParameters` writes the RoPE keys the Transformers 5 way.
 */
export async function makeRandomModel(dir, architecture, { seed = 1, configOverrides = {}, shape: shapeOverrides = {}, ropeParameters = false, embedScale, qkScale = 2, outScale = 2 } = {}) {
  const outer = architectures[architecture];
  // A multimodal recipe wraps a text recipe: the same decoder, nested config, prefixed weights.
  const spec = outer?.wraps ? architectures[outer.wraps] : outer;
  if (!spec) throw new Error(`no random-model recipe for "${architecture}" (have: ${Object.keys(architectures).join(', ')})`);
  const { hidden, layers, heads, kvHeads, headDim, intermediate, vocab } = { ...shape, ...spec.shape, ...shapeOverrides };
  const normMean = spec.normMean ?? 1;
  embedScale ??= spec.embedScale ?? 0.3;
  const normal = normalSource(seed);
  const tensors = {};
  const add = (name, dims, scale, mean = 0) => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let index = 0; index < data.length; index++) data[index] = mean + scale * normal();
    tensors[name] = { shape: dims, data };
  };
  const linear = (name, out, input, bias = false, gain = 1) => {
    add(`${name}.weight`, [out, input], gain / Math.sqrt(input));
    if (bias) add(`${name}.bias`, [out], 0.1);
  };
  const config = { ...spec.config, ...configOverrides };
  add('model.embed_tokens.weight', [vocab, hidden], embedScale);
  for (let layer = 0; layer < layers; layer++) {
    const prefix = `model.layers.${layer}.`;
    add(`${prefix}input_layernorm.weight`, [hidden], 0.1, normMean);
    if (spec.fused) {
      // One matrix: queries (sharp like the unfused ones), keys, values.
      const rows = (heads + 2 * kvHeads) * headDim;
      add(`${prefix}self_attn.qkv_proj.weight`, [rows, hidden], 1 / Math.sqrt(hidden));
      const qkv = tensors[`${prefix}self_attn.qkv_proj.weight`].data;
      for (let index = 0; index < (heads + kvHeads) * headDim * hidden; index++) qkv[index] *= qkScale;
    } else {
      linear(`${prefix}self_attn.q_proj`, heads * headDim, hidden, spec.attentionBias, qkScale);
      linear(`${prefix}self_attn.k_proj`, kvHeads * headDim, hidden, spec.attentionBias, qkScale);
      linear(`${prefix}self_attn.v_proj`, kvHeads * headDim, hidden, spec.attentionBias);
    }
    linear(`${prefix}self_attn.o_proj`, hidden, heads * headDim, false, outScale);
    if (spec.qkNorm) {
      add(`${prefix}self_attn.q_norm.weight`, [headDim], 0.1, qkScale + normMean - 1);
      add(`${prefix}self_attn.k_norm.weight`, [headDim], 0.1, qkScale + normMean - 1);
    }
    add(`${prefix}post_attention_layernorm.weight`, [hidden], 0.1, normMean);
    if (spec.sandwichNorms) {
      add(`${prefix}pre_feedforward_layernorm.weight`, [hidden], 0.1, normMean);
      add(`${prefix}post_feedforward_layernorm.weight`, [hidden], 0.1, normMean);
    }
    const { num_experts: experts, moe_intermediate_size: expertSize, mlp_only_layers: denseLayers = [] } = spec.config;
    if (experts && !denseLayers.includes(layer)) {
      linear(`${prefix}mlp.gate`, experts, hidden);
      for (let expert = 0; expert < experts; expert++) {
        linear(`${prefix}mlp.experts.${expert}.gate_proj`, expertSize, hidden);
        linear(`${prefix}mlp.experts.${expert}.up_proj`, expertSize, hidden);
        linear(`${prefix}mlp.experts.${expert}.down_proj`, hidden, expertSize, false, outScale);
      }
    } else {
      if (spec.fused) linear(`${prefix}mlp.gate_up_proj`, 2 * intermediate, hidden);
      else {
        linear(`${prefix}mlp.gate_proj`, intermediate, hidden);
        linear(`${prefix}mlp.up_proj`, intermediate, hidden);
      }
      linear(`${prefix}mlp.down_proj`, hidden, intermediate, false, outScale);
    }
  }
  add('model.norm.weight', [hidden], 0.1, normMean);
  if (!config.tie_word_embeddings) linear('lm_head', vocab, hidden);

  const full = {
    max_position_embeddings: 2048,
    ...config,
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    vocab_size: vocab,
    rms_norm_eps: 1e-6,
    initializer_range: 0.02,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  };
  if (spec.fused) delete full.head_dim; // Phi-3 configs have none: head_dim = hidden / heads
  await mkdir(dir, { recursive: true });
  let written = ropeParameters ? toRopeParameters(full) : full;
  if (outer.wraps) {
    for (const name of Object.keys(tensors)) {
      const renamed = !outer.transformersLayout ? `language_model.${name}` : name.startsWith('model.') ? `model.language_model.${name.slice(6)}` : name;
      const tensor = tensors[name];
      delete tensors[name];
      tensors[renamed] = tensor;
    }
    // A stand-in vision tower and projector: the text model must load without them.
    const vision = outer.transformersLayout ? 'model.' : '';
    add(`${vision}vision_tower.vision_model.embeddings.patch_embedding.weight`, [16, 3, 4, 4], 0.1);
    add(`${vision}multi_modal_projector.mm_input_projection_weight`, [16, hidden], 0.1);
    const { bos_token_id, eos_token_id, torch_dtype, ...text } = written;
    written = { ...outer.config, text_config: text, vocab_size: vocab, bos_token_id, eos_token_id, torch_dtype };
  }
  await writeFile(path.join(dir, 'model.safetensors'), writeSafetensors(tensors));
  await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(written, null, 2)}\n`);
  const tokenizer = path.join(process.env.HEYLOOK_FIXTURES ?? path.resolve(here, '../models'), 'stories260K-hf');
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) await copyFile(path.join(tokenizer, name), path.join(dir, name));
  return { config: full, parameters: Object.values(tensors).reduce((sum, { data }) => sum + data.length, 0) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [architecture, dir, flag] = process.argv.slice(2);
  if (!architecture || !dir) throw new Error('usage: node bench/make-random-model.mjs ARCH DIR [--rope-parameters]');
  const { parameters } = await makeRandomModel(path.resolve(dir), architecture, { ropeParameters: flag === '--rope-parameters' });
  console.log(`wrote ${dir}: ${architecture}, ${parameters} parameters`);
}
