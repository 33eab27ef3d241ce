#pragma once

#include <string>
#include <vector>

namespace heylook {

/** The decoder's shape, read from config.json by the TypeScript side and passed in. */
struct ModelConfig {
  std::string model_type = "llama";  // llama | mistral | qwen2 | qwen3
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
  float rope_mscale = 1.0f;       // yarn: queries and keys are scaled by this before RoPE
  bool tie_word_embeddings = false;
  int quantization_bits = 0;
  int quantization_group_size = 64;
};

}  // namespace heylook
