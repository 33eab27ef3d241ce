#include "convert.h"

#include <filesystem>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "mlx/mlx.h"

namespace heylook {

namespace mx = mlx::core;

namespace {

bool quantizable(const std::string& name, const mx::array& weight, int group_size, bool embeddings) {
  if (weight.ndim() != 2 || name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) return false;
  if (name.find("norm") != std::string::npos) return false;
  const bool is_embedding = name.find("embed_tokens") != std::string::npos || name.find("lm_head") != std::string::npos;
  if (is_embedding && !embeddings) return false;
  return weight.shape(1) % group_size == 0;
}

}  // namespace

void quantize_checkpoint(const std::string& src, const std::string& dst, int bits, int group_size, bool embeddings) {
  std::unordered_map<std::string, mx::array> input;
  for (const auto& entry : std::filesystem::directory_iterator(src)) {
    if (entry.path().extension() != ".safetensors") continue;
    auto [loaded, metadata] = mx::load_safetensors(entry.path().string());
    for (auto& [name, value] : loaded) input.insert_or_assign(name, value);
  }
  if (input.empty()) throw std::runtime_error("no .safetensors files in " + src);
  std::unordered_map<std::string, mx::array> output;
  for (auto& [name, weight] : input) {
    if (!quantizable(name, weight, group_size, embeddings)) {
      output.insert_or_assign(name, weight);
      continue;
    }
    std::vector<mx::array> parts = mx::quantize(weight, group_size, bits);
    const std::string base = name.substr(0, name.size() - 7);
    output.insert_or_assign(base + ".weight", parts.at(0));
    output.insert_or_assign(base + ".scales", parts.at(1));
    output.insert_or_assign(base + ".biases", parts.at(2));
  }
  std::filesystem::create_directories(dst);
  mx::save_safetensors((std::filesystem::path(dst) / "model.safetensors").string(), output, {{"format", "mlx"}});
}

}  // namespace heylook
