#include "convert.h"

#include <filesystem>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "mlx/mlx.h"

namespace heylook {

namespace mx = mlx::core;

namespace {

bool ends_with(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool quantizable(const std::string& name, const mx::array& weight, int group_size, bool embeddings) {
  // 2-D projections, and 3-D stacked experts (switch_mlp).
  if (weight.ndim() != 2 && !(weight.ndim() == 3 && name.find(".switch_mlp.") != std::string::npos)) return false;
  if (!ends_with(name, ".weight") || name.find("norm") != std::string::npos) return false;
  // A multimodal folder's vision side stays as it is (mlx-lm's text models drop it).
  if (name.find("vision_tower.") != std::string::npos || name.find("multi_modal_projector.") != std::string::npos) return false;
  // A mixture-of-experts router stays float: it picks the experts (mlx-lm keeps it at 8 bits).
  if (ends_with(name, ".mlp.gate.weight")) return false;
  const bool is_embedding = name.find("embed_tokens") != std::string::npos || name.find("lm_head") != std::string::npos;
  if (is_embedding && !embeddings) return false;
  return weight.shape(-1) % group_size == 0;
}

/**
 * Hugging Face MoE checkpoints store each expert's projections apart
 * (`mlp.experts.<e>.gate_proj.weight`); mlx-lm stacks them into `mlp.switch_mlp.gate_proj.weight`
 * [experts, out, in]. Write that layout so both loaders read the copy.
 */
void stack_experts(std::unordered_map<std::string, mx::array>& weights) {
  std::unordered_map<std::string, std::map<int, mx::array>> groups;
  for (auto it = weights.begin(); it != weights.end();) {
    const std::string& name = it->first;
    const size_t at = name.find(".mlp.experts.");
    if (at == std::string::npos || !ends_with(name, ".weight")) {
      ++it;
      continue;
    }
    const size_t number = at + std::string(".mlp.experts.").size();
    const size_t dot = name.find('.', number);
    const int expert = std::stoi(name.substr(number, dot - number));
    groups[name.substr(0, at) + ".mlp.switch_mlp." + name.substr(dot + 1)].emplace(expert, it->second);
    it = weights.erase(it);
  }
  for (auto& [name, experts] : groups) {
    std::vector<mx::array> ordered;
    for (auto& [expert, weight] : experts) ordered.push_back(weight);
    weights.insert_or_assign(name, mx::stack(ordered, 0));
  }
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
  stack_experts(input);
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
