#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kv_cache.h"
#include "linear.h"
#include "model_config.h"
#include "switch_linear.h"
#include "weights.h"

namespace heylook {

/** An image's rows in a forward pass: they replace the embeddings of tokens [offset, offset + rows). */
struct ImageSpan {
  int offset;
  mx::array rows;  // [rows, hidden]
};

/**
 * Llama-family decoder (llama, mistral, qwen2 with q/k/v biases, qwen3 with q/k norms) and the
 * variations ModelConfig switches on: Gemma 3's offset and sandwich norms, scaled embeddings,
 * GELU MLP and sliding-window local layers with their own RoPE base; Phi-3's fused qkv and
 * gate-up projections (split at load) and partial rotary embeddings; Qwen3-MoE's routed experts.
 */
class LlamaModel {
 public:
  /** Loads every *.safetensors file of `dir` (sharded checkpoints included). */
  LlamaModel(const std::string& dir, const ModelConfig& config);

  /**
   * Runs `tokens` ([1, n]) through the model, appending to `cache`; returns final hidden states [1, n, hidden].
   * `images` replace token embeddings; with a Gemma 3 vision config, each image's tokens also see each other.
   */
  mx::array hidden(const mx::array& tokens, KvCache& cache, const std::vector<ImageSpan>& images = {}) const;
  /**
   * Several sequences' prompts in one forward pass: `tokens` ([1, n]) is their pieces one after
   * another, `lengths[i]` tokens for `caches[i]`. The linear layers read the weights once for
   * all of them; each piece attends to its own cache only. Returns hidden states [1, n, hidden].
   * `images` (offsets into `tokens`) only with a single piece.
   */
  mx::array hidden_packed(const mx::array& tokens, const std::vector<KvCache*>& caches, const std::vector<int>& lengths,
                          const std::vector<ImageSpan>& images = {}) const;
  /**
   * One decode step for several sequences at once: `tokens` is [batch, 1], `caches[b]` the
   * cache of row b. Rows attend only to their own cache (left-padded, masked). Returns the
   * final hidden states [batch, 1, hidden].
   */
  mx::array hidden_batch(const mx::array& tokens, const std::vector<KvCache*>& caches) const;
  /** Logits of the last position of `hidden` states: [vocab]. */
  mx::array logits(const mx::array& hidden) const;
  /** Logits of every position of `hidden` states: [n, vocab]. */
  mx::array all_logits(const mx::array& hidden) const;
  const ModelConfig& config() const { return config_; }
  std::vector<mx::array> parameters() const;

 private:
  struct Experts {
    Linear router;
    SwitchLinear gate, up, down;
  };
  struct Layer {
    Linear q, k, v, o, gate, up, down;  // gate/up/down: the dense MLP, unless `experts`
    std::optional<Experts> experts;
    mx::array input_norm = mx::array(0.0f);
    mx::array post_norm = mx::array(0.0f);  // Llama: before the MLP; sandwich: after attention
    std::optional<mx::array> pre_mlp_norm, post_mlp_norm;  // sandwich norms only
    std::optional<mx::array> q_norm, k_norm;
    bool sliding = false;
  };
  struct Projected {
    mx::array q, k, v;
  };

  /** Input embeddings of `tokens`, scaled when the architecture says so. */
  mx::array embed(const mx::array& tokens) const;
  /** The embeddings with image rows written over their tokens' rows. */
  mx::array place_images(mx::array x, const std::vector<ImageSpan>& images) const;
  /**
   * Gemma 3's prefill mask when images are present: causal (and windowed on local layers), plus every
   * image token seeing all tokens of its own image. [length, total] booleans; none without images.
   */
  std::optional<mx::array> image_mask(const std::vector<ImageSpan>& images, int length, int total, bool sliding) const;
  /** Queries, keys, values of one layer ([batch, heads, length, head_dim]), normed, before RoPE. */
  Projected project(const Layer& layer, const mx::array& h, int batch, int length) const;
  mx::array rope(const Layer& layer, const mx::array& x, int offset) const;
  /** One sequence's attention in layer `index`: appends k, v ([1, kv_heads, length, head_dim], after RoPE) to `cache` and attends q over it. */
  mx::array attend(const Layer& layer, int index, const mx::array& q, const mx::array& k, const mx::array& v, KvCache& cache,
                   const std::vector<ImageSpan>& images) const;
  /** RoPE for a batch whose row b starts at offsets[b] ([batch] int32). */
  mx::array rope(const Layer& layer, const mx::array& x, const mx::array& offsets) const;
  /** The residual stream after `attention` (already projected by o) and the MLP. */
  mx::array finish_block(const Layer& layer, const mx::array& x, const mx::array& attention) const;
  /**
   * One decode step's attention for a batch whose caches (`cached`, per row) are at most
   * kPaddedAttentionLimit long: padded to one length and attended in one call; the padding
   * mask is rebuilt only when the rows' lengths change.
   */
  mx::array padded_attention(const mx::array& q, const std::vector<std::pair<mx::array, mx::array>>& cached, int longest, float scale,
                             std::optional<mx::array>& mask, std::vector<int>& mask_pads) const;
  /** Longer caches attend row by row where they lie (measured: see hidden_batch). */
  static constexpr int kPaddedAttentionLimit = 256;
  /** The routed experts' output for `h`: each token's top-k experts, weighted by the router. */
  mx::array mixture(const Experts& experts, const mx::array& h) const;
  /** A linear layer, quantized as config.json says for it (mlx-lm may quantize some layers differently). */
  Linear linear(Weights& weights, const std::string& prefix) const;
  std::pair<int, int> quantization(const std::string& prefix) const;
  /** A norm weight as applied (1 + w for offset norms). */
  mx::array norm_weight(Weights& weights, const std::string& name) const;

  ModelConfig config_;
  Linear embed_;
  std::optional<Linear> lm_head_;
  std::vector<Layer> layers_;
  mx::array norm_ = mx::array(0.0f);
  std::optional<mx::array> rope_freqs_;
  std::optional<mx::array> rope_mscale_;  // per head dim: the mscale on rotated dims, 1 on the rest
  std::vector<mx::array> kept_;
};

/** Ministral 3's per-position query scale for positions offset..offset+length-1, as [1, 1, length, 1] (none when off). */
std::optional<mx::array> query_scale(const ModelConfig& config, int offset, int length);
/** The attention's score scale: the config's, else 1/sqrt(head_dim). */
float attention_scale(const ModelConfig& config);
/** The last `count` tokens of a [1, kv_heads, tokens, head_dim] cache array (a sliding window's keys). */
mx::array last_tokens(const mx::array& array, int count);

}  // namespace heylook
