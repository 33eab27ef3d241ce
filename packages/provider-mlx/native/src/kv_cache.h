#pragma once

#include <optional>
#include <vector>

#include "mlx/mlx.h"

namespace heylook {

namespace mx = mlx::core;

/** Keys and values of every layer for one sequence: [1, kv_heads, tokens, head_dim]. */
class KvCache {
 public:
  explicit KvCache(int layers) : keys_(layers), values_(layers) {}

  /** Appends this step's keys and values for `layer`; returns everything cached so far. */
  std::pair<mx::array, mx::array> update(int layer, const mx::array& keys, const mx::array& values);
  /** Tokens cached. */
  int offset() const { return offset_; }
  /** Called once per forward pass, after every layer was updated. */
  void advance(int tokens) { offset_ += tokens; }
  /** Keeps the first `tokens` tokens (prefix reuse). */
  void trim(int tokens);
  std::vector<mx::array> arrays() const;

 private:
  std::vector<std::optional<mx::array>> keys_;
  std::vector<std::optional<mx::array>> values_;
  int offset_ = 0;
};

}  // namespace heylook
