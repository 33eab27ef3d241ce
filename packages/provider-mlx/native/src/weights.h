#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "mlx/mlx.h"

namespace heylook {

namespace mx = mlx::core;

using Weights = std::unordered_map<std::string, mx::array>;

/** Removes and returns a tensor, or nothing when the checkpoint lacks it. */
inline std::optional<mx::array> take_optional(Weights& weights, const std::string& name) {
  auto found = weights.find(name);
  if (found == weights.end()) return std::nullopt;
  mx::array value = found->second;
  weights.erase(found);
  return value;
}

/** Removes and returns a tensor the model cannot do without. */
inline mx::array take_required(Weights& weights, const std::string& name) {
  auto value = take_optional(weights, name);
  if (!value) throw std::runtime_error("missing tensor " + name);
  return *value;
}

}  // namespace heylook
