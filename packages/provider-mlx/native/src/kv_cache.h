#pragma once

#include <optional>
#include <vector>

#include "mlx/mlx.h"

namespace heylook {

namespace mx = mlx::core;

struct KvCacheOptions {
  /** Rotating cache: most tokens kept (0 = unbounded). The first `keep` stay (attention sinks). */
  int max_size = 0;
  int keep = 4;
  /** Quantized cache: bits per value (0 = off), group size, and from which token on. */
  int bits = 0;
  int group_size = 64;
  int quantized_start = 0;
};

/**
 * Keys and values of every layer for one sequence. Standard: [1, kv_heads, capacity, head_dim]
 * buffers grown 256 tokens at a time, of which the first `stored` tokens hold data; a step
 * writes its own keys into them (in place: MLX reuses a buffer nothing else holds) instead of
 * copying the whole cache into a new array. Rotating: exactly the tokens kept, at most
 * `max_size`. Quantized: the same buffers holding each head's keys quantized along head_dim
 * (packed values, scales, biases, as mlx-lm's QuantizedKVCache), which attention reads as they
 * are (`update_quantized`) or dequantized (`update`).
 */
class KvCache {
 public:
  explicit KvCache(int layers, KvCacheOptions options = {}) : options_(options), layers_(layers) {}

  /** Adds this step's keys and values for `layer`; returns all keys and values to attend to. */
  std::pair<mx::array, mx::array> update(int layer, const mx::array& keys, const mx::array& values);
  /** A quantized cache's `update` without dequantizing: packed, scales and biases of keys, then of values. */
  std::pair<std::vector<mx::array>, std::vector<mx::array>> update_quantized(int layer, const mx::array& keys, const mx::array& values);
  /** Position of the next token (the RoPE offset): every token ever added. */
  int position() const { return position_; }
  /** Whether keys and values are stored quantized (from `quantized_start` on). */
  bool quantized() const { return quantized_; }
  const KvCacheOptions& options() const { return options_; }
  /** Called once per forward pass after every layer was updated: rotates and quantizes. */
  void advance(int tokens);
  /** Keeps the first `tokens` tokens (prefix reuse); a rotated cache can only be emptied. */
  void trim(int tokens);
  std::vector<mx::array> arrays() const;

 private:
  struct Stored {
    std::optional<mx::array> keys, values;           // float
    std::vector<mx::array> qkeys, qvalues;             // quantized: packed, scales, biases
  };
  static constexpr int kGrowth = 256;
  static mx::array keep_tokens(const mx::array& array, int axis, int keep, int tail);
  static mx::array first_tokens(const mx::array& array, int tokens) { return keep_tokens(array, 2, tokens, 0); }
  static std::vector<mx::array> first_tokens(const std::vector<mx::array>& parts, int tokens);
  /** `fresh` written at token `at` of `buffer`, which grows first when it is too short. */
  static mx::array write(const std::optional<mx::array>& buffer, const mx::array& fresh, int at);
  static void write(std::vector<mx::array>& buffers, const std::vector<mx::array>& fresh, int at);
  std::vector<mx::array> quantize(const mx::array& heads) const;
  mx::array dequantize(const std::vector<mx::array>& parts) const;

  KvCacheOptions options_;
  std::vector<Stored> layers_;
  int position_ = 0;
  int stored_ = 0;
  bool rotated_ = false;
  bool quantized_ = false;
};

/**
 * Attention of the newest token's `queries` ([1, heads, 1, head_dim]) over a quantized cache's
 * keys and values as `update_quantized` returns them, without dequantizing them: scores and
 * the weighted sum are quantized matrix products, as in mlx-lm.
 */
mx::array quantized_attention(const mx::array& queries, const std::vector<mx::array>& keys, const std::vector<mx::array>& values,
                              float scale, const KvCacheOptions& options);

/** Evaluates a forward pass's `outputs` together with the caches it updated (one eval, nothing left lazy). */
void eval_with_caches(std::vector<mx::array> outputs, const std::vector<KvCache*>& caches);

}  // namespace heylook
