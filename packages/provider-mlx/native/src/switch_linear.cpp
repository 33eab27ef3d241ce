#include "switch_linear.h"

#include <stdexcept>
#include <vector>

namespace heylook {

SwitchLinear::SwitchLinear(Weights& weights, const std::string& prefix, const std::string& experts, const std::string& name,
                           int count, int bits, int group_size)
    : bits_(bits), group_size_(group_size) {
  for (auto [part, suffix] : {std::pair{&weight_, ".weight"}, std::pair{&scales_, ".scales"}, std::pair{&biases_, ".biases"}}) {
    if (auto stacked = take_optional(weights, prefix + "." + name + suffix)) {
      *part = *stacked;
      continue;
    }
    std::vector<mx::array> each;
    for (int expert = 0; expert < count; ++expert) {
      auto one = take_optional(weights, experts + "." + std::to_string(expert) + "." + name + suffix);
      if (!one) break;
      each.push_back(*one);
    }
    if (each.empty()) continue;
    if (static_cast<int>(each.size()) != count) throw std::runtime_error(experts + ": some experts lack " + name + suffix);
    *part = mx::stack(each, 0);
  }
  if (!weight_) throw std::runtime_error("missing tensor " + prefix + "." + name + ".weight");
  if (scales_ && bits_ == 0) throw std::runtime_error(prefix + "." + name + " is quantized but config.json has no quantization");
}

mx::array SwitchLinear::operator()(const mx::array& x, const mx::array& indices, bool sorted) const {
  if (scales_) {
    return mx::gather_qmm(x, *weight_, *scales_, biases_, std::nullopt, indices, true, group_size_, bits_, "affine", std::nullopt, sorted);
  }
  return mx::gather_mm(x, mx::swapaxes(*weight_, -1, -2), std::nullopt, indices, sorted);
}

}  // namespace heylook
