#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "mlx/mlx.h"

namespace heylook {

namespace mx = mlx::core;

/** A linear layer: dense (y = x W^T + b) or mlx-community quantized (packed weight, scales, biases). */
class Linear {
 public:
  Linear() = default;
  /** Takes `<prefix>.weight` (and `.scales`, `.biases`, `.bias` when present) out of `weights`. */
  Linear(std::unordered_map<std::string, mx::array>& weights, const std::string& prefix, int bits, int group_size);

  mx::array operator()(const mx::array& x) const;
  /** Rows of the weight matrix (an embedding lookup), dequantized when quantized. */
  mx::array rows(const mx::array& indices) const;
  bool quantized() const { return scales_.has_value(); }

 private:
  std::optional<mx::array> weight_;
  std::optional<mx::array> scales_;
  std::optional<mx::array> biases_;
  std::optional<mx::array> bias_;
  int bits_ = 0;
  int group_size_ = 0;
};

}  // namespace heylook
