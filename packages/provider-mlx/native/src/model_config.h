#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace heylook {

/** The vision tower and projector of a multimodal folder (family empty: a text-only model). */
struct VisionConfig {
  std::string family;  // llava (CLIP tower, MLP projector) | gemma3 (SigLIP tower, pooled projector)
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int image_size = 0;
  int patch_size = 0;
  int num_channels = 3;
  float layer_norm_eps = 1e-5f;
  int feature_layer = -2;        // LLaVA: which hidden state feeds the projector (negative: from the end)
  bool keep_class_token = false;  // LLaVA's "full" feature strategy; "default" drops the class row
  int tokens_per_image = 0;       // Gemma 3: mm_tokens_per_image, the pooled grid
};

/** The decoder's shape, read from config.json by the TypeScript side and passed in. */
struct ModelConfig {
  std::string model_type = "llama";  // llama | mistral | qwen2 | qwen3 | gemma3_text | phi3 | qwen3_moe
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  float rope_scale = 1.0f;  // linear scaling: positions are divided by the factor
  std::vector<float> rope_freqs;  // llama3/yarn scaling: per-pair periods (empty = plain base)
  float rope_mscale = 1.0f;       // yarn/longrope: the rotated dims of queries and keys are scaled by this before RoPE
  int rope_dims = 0;              // dims of each head that RoPE rotates (0 = head_dim; Phi's partial_rotary_factor)
  bool tie_word_embeddings = false;
  // Gemma 3 and others: what differs from the Llama block.
  std::string activation = "silu";  // MLP gate activation: silu | gelu_approx
  bool norm_offset = false;         // RMSNorm weights are stored as w and applied as 1 + w
  bool sandwich_norms = false;      // norms after attention and MLP outputs, plus a pre-MLP norm
  float embed_scale = 0.0f;         // embeddings are multiplied by this (0 = not scaled)
  float attention_scale = 0.0f;     // softmax scale (0 = 1/sqrt(head_dim))
  int sliding_window = 0;           // local layers attend to this many most recent tokens
  std::vector<int> sliding_layers;  // 1 for a local (sliding-window) layer
  float local_rope_theta = 10000.0f;  // RoPE base of local layers (no scaling)
  // Ministral 3 (Llama 4 scaling): queries at position p are scaled by 1 + beta·ln(1 + floor(p / original)).
  float query_scale_beta = 0.0f;
  int query_scale_original = 0;
  int quantization_bits = 0;
  int quantization_group_size = 64;
  // Layers quantized differently from the rest (mlx-lm keeps MoE routers at 8 bits): prefix → (bits, group size).
  std::unordered_map<std::string, std::pair<int, int>> quantization_overrides;
  // Mixture of experts (Qwen3-MoE): layers flagged in moe_layers replace the MLP with routed experts.
  int num_experts = 0;
  int experts_per_token = 0;
  bool norm_topk_prob = false;
  std::vector<int> moe_layers;
  VisionConfig vision;
};

}  // namespace heylook
