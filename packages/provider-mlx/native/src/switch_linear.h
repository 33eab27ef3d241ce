#pragma once

#include <optional>
#include <string>

#include "mlx/mlx.h"
#include "weights.h"

namespace heylook {

/**
 * The experts of a mixture-of-experts projection as one stacked weight [experts, out, in]
 * (dense or quantized), applied to each token's chosen experts with MLX's gathered matmuls.
 */
class SwitchLinear {
 public:
  SwitchLinear() = default;
  /**
   * Takes `<prefix>.weight` (+ `.scales`, `.biases`) as mlx-lm stores them, or, from a Hugging Face
   * checkpoint, `<experts>.<e>.<name>.weight` for every expert e, stacked here.
   */
  SwitchLinear(Weights& weights, const std::string& prefix, const std::string& experts, const std::string& name, int count,
               int bits, int group_size);

  /** x: [..., 1, 1, in], indices: [..., k] → [..., k, 1, out]. `sorted`: indices are in ascending order. */
  mx::array operator()(const mx::array& x, const mx::array& indices, bool sorted) const;

 private:
  std::optional<mx::array> weight_, scales_, biases_;
  int bits_ = 0;
  int group_size_ = 0;
};

}  // namespace heylook
