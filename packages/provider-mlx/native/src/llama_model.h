#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kv_cache.h"
#include "linear.h"
#include "model_config.h"

namespace heylook {

/** Llama-family decoder (llama, mistral, qwen2 with q/k/v biases, qwen3 with q/k norms). */
class LlamaModel {
 public:
  /** Loads every *.safetensors file of `dir` (sharded checkpoints included). */
  LlamaModel(const std::string& dir, const ModelConfig& config);

  /** Runs `tokens` ([1, n]) through the model, appending to `cache`; returns final hidden states [1, n, hidden]. */
  mx::array hidden(const mx::array& tokens, KvCache& cache) const;
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
  struct Layer {
    Linear q, k, v, o, gate, up, down;
    mx::array input_norm = mx::array(0.0f);
    mx::array post_norm = mx::array(0.0f);
    std::optional<mx::array> q_norm, k_norm;
  };

  ModelConfig config_;
  Linear embed_;
  std::optional<Linear> lm_head_;
  std::vector<Layer> layers_;
  mx::array norm_ = mx::array(0.0f);
  std::optional<mx::array> rope_freqs_;
  std::vector<mx::array> kept_;
};

}  // namespace heylook
