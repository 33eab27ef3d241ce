#include "linear.h"

#include "weights.h"

#include <stdexcept>

namespace heylook {

Linear::Linear(std::unordered_map<std::string, mx::array>& weights, const std::string& prefix, int bits, int group_size)
    : bits_(bits), group_size_(group_size) {
  weight_ = take_required(weights, prefix + ".weight");
  scales_ = take_optional(weights, prefix + ".scales");
  biases_ = take_optional(weights, prefix + ".biases");
  bias_ = take_optional(weights, prefix + ".bias");
  if (scales_ && bits_ == 0) throw std::runtime_error(prefix + " is quantized but config.json has no quantization");
}

mx::array Linear::operator()(const mx::array& x) const {
  mx::array y = scales_ ? mx::quantized_matmul(x, *weight_, *scales_, biases_, true, group_size_, bits_)
                        : mx::matmul(x, mx::transpose(*weight_));
  return bias_ ? mx::add(y, *bias_) : y;
}

mx::array Linear::rows(const mx::array& indices) const {
  if (!scales_) return mx::take(*weight_, indices, 0);
  return mx::dequantize(mx::take(*weight_, indices, 0), mx::take(*scales_, indices, 0),
                        biases_ ? std::optional<mx::array>(mx::take(*biases_, indices, 0)) : std::nullopt, group_size_,
                        bits_);
}

}  // namespace heylook
