#include "llama_model.h"

#include "weights.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace heylook {

LlamaModel::LlamaModel(const std::string& dir, const ModelConfig& config) : config_(config) {
  std::unordered_map<std::string, mx::array> weights;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
  }
  if (files.empty()) throw std::runtime_error("no .safetensors files in " + dir);
  for (const auto& file : files) {
    auto [loaded, metadata] = mx::load_safetensors(file.string());
    for (auto& [name, value] : loaded) weights.insert_or_assign(name, value);
  }

  const int bits = config_.quantization_bits;
  const int group = config_.quantization_group_size;
  embed_ = Linear(weights, "model.embed_tokens", bits, group);
  for (int index = 0; index < config_.num_hidden_layers; ++index) {
    const std::string prefix = "model.layers." + std::to_string(index) + ".";
    Layer layer{
        Linear(weights, prefix + "self_attn.q_proj", bits, group),
        Linear(weights, prefix + "self_attn.k_proj", bits, group),
        Linear(weights, prefix + "self_attn.v_proj", bits, group),
        Linear(weights, prefix + "self_attn.o_proj", bits, group),
        Linear(weights, prefix + "mlp.gate_proj", bits, group),
        Linear(weights, prefix + "mlp.up_proj", bits, group),
        Linear(weights, prefix + "mlp.down_proj", bits, group),
    };
    layer.input_norm = take_required(weights, prefix + "input_layernorm.weight");
    layer.post_norm = take_required(weights, prefix + "post_attention_layernorm.weight");
    layer.q_norm = take_optional(weights, prefix + "self_attn.q_norm.weight");
    layer.k_norm = take_optional(weights, prefix + "self_attn.k_norm.weight");
    layers_.push_back(std::move(layer));
  }
  norm_ = take_required(weights, "model.norm.weight");
  if (!config_.rope_freqs.empty()) {
    rope_freqs_ = mx::array(config_.rope_freqs.data(), {static_cast<int>(config_.rope_freqs.size())}, mx::float32);
  }
  if (!config_.tie_word_embeddings && weights.count("lm_head.weight")) lm_head_ = Linear(weights, "lm_head", bits, group);

  // Materialize the weights now, on this (the worker) thread.
  mx::eval(parameters());
}

std::vector<mx::array> LlamaModel::parameters() const {
  std::vector<mx::array> all{norm_};
  for (const auto& layer : layers_) {
    all.push_back(layer.input_norm);
    all.push_back(layer.post_norm);
  }
  // Linear layers evaluate lazily on first use; their arrays come straight from the file.
  return all;
}

mx::array LlamaModel::hidden(const mx::array& tokens, KvCache& cache) const {
  const int length = tokens.shape(1);
  const int heads = config_.num_attention_heads;
  const int kv_heads = config_.num_key_value_heads;
  const int head_dim = config_.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int offset = cache.position();

  mx::array x = embed_.rows(tokens);
  for (size_t index = 0; index < layers_.size(); ++index) {
    const Layer& layer = layers_[index];
    mx::array h = mx::fast::rms_norm(x, layer.input_norm, config_.rms_norm_eps);
    mx::array q = mx::transpose(mx::reshape(layer.q(h), {1, length, heads, head_dim}), {0, 2, 1, 3});
    mx::array k = mx::transpose(mx::reshape(layer.k(h), {1, length, kv_heads, head_dim}), {0, 2, 1, 3});
    mx::array v = mx::transpose(mx::reshape(layer.v(h), {1, length, kv_heads, head_dim}), {0, 2, 1, 3});
    if (layer.q_norm) q = mx::fast::rms_norm(q, *layer.q_norm, config_.rms_norm_eps);
    if (layer.k_norm) k = mx::fast::rms_norm(k, *layer.k_norm, config_.rms_norm_eps);
    const std::optional<float> base = rope_freqs_ ? std::nullopt : std::optional<float>(config_.rope_theta);
    if (config_.rope_mscale != 1.0f) {
      q = mx::multiply(q, mx::array(config_.rope_mscale, q.dtype()));
      k = mx::multiply(k, mx::array(config_.rope_mscale, k.dtype()));
    }
    q = mx::fast::rope(q, head_dim, false, base, 1.0f / config_.rope_scale, offset, rope_freqs_);
    k = mx::fast::rope(k, head_dim, false, base, 1.0f / config_.rope_scale, offset, rope_freqs_);
    auto [keys, values] = cache.update(static_cast<int>(index), k, v);
    mx::array attention = mx::fast::scaled_dot_product_attention(q, keys, values, scale, length > 1 ? "causal" : "");
    attention = mx::reshape(mx::transpose(attention, {0, 2, 1, 3}), {1, length, heads * head_dim});
    x = mx::add(x, layer.o(attention));
    h = mx::fast::rms_norm(x, layer.post_norm, config_.rms_norm_eps);
    mx::array gate = layer.gate(h);
    x = mx::add(x, layer.down(mx::multiply(mx::multiply(gate, mx::sigmoid(gate)), layer.up(h))));
  }
  cache.advance(length);
  return mx::fast::rms_norm(x, norm_, config_.rms_norm_eps);
}

mx::array LlamaModel::logits(const mx::array& hidden) const {
  const int length = hidden.shape(1);
  mx::array last = mx::reshape(mx::slice(hidden, {0, length - 1, 0}, {1, length, hidden.shape(2)}), {1, hidden.shape(2)});
  mx::array out = lm_head_ ? (*lm_head_)(last) : embed_(last);
  return mx::reshape(mx::astype(out, mx::float32), {-1});
}

}  // namespace heylook

namespace heylook {

mx::array LlamaModel::all_logits(const mx::array& hidden) const {
  mx::array rows = mx::reshape(hidden, {hidden.shape(1), hidden.shape(2)});
  return mx::astype(lm_head_ ? (*lm_head_)(rows) : embed_(rows), mx::float32);
}

}  // namespace heylook

namespace heylook {

mx::array LlamaModel::hidden_batch(const mx::array& tokens, const std::vector<KvCache*>& caches) const {
  const int batch = tokens.shape(0);
  const int heads = config_.num_attention_heads;
  const int kv_heads = config_.num_key_value_heads;
  const int head_dim = config_.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const std::optional<float> base = rope_freqs_ ? std::nullopt : std::optional<float>(config_.rope_theta);
  auto row = [](const mx::array& array, int index) {
    mx::Shape begin(array.ndim(), 0);
    mx::Shape end = array.shape();
    begin[0] = index;
    end[0] = index + 1;
    return mx::slice(array, begin, end);
  };

  mx::array x = embed_.rows(tokens);  // [batch, 1, hidden]
  for (size_t index = 0; index < layers_.size(); ++index) {
    const Layer& layer = layers_[index];
    mx::array h = mx::fast::rms_norm(x, layer.input_norm, config_.rms_norm_eps);
    mx::array q = mx::transpose(mx::reshape(layer.q(h), {batch, 1, heads, head_dim}), {0, 2, 1, 3});
    mx::array k = mx::transpose(mx::reshape(layer.k(h), {batch, 1, kv_heads, head_dim}), {0, 2, 1, 3});
    mx::array v = mx::transpose(mx::reshape(layer.v(h), {batch, 1, kv_heads, head_dim}), {0, 2, 1, 3});
    if (layer.q_norm) q = mx::fast::rms_norm(q, *layer.q_norm, config_.rms_norm_eps);
    if (layer.k_norm) k = mx::fast::rms_norm(k, *layer.k_norm, config_.rms_norm_eps);

    if (config_.rope_mscale != 1.0f) {
      q = mx::multiply(q, mx::array(config_.rope_mscale, q.dtype()));
      k = mx::multiply(k, mx::array(config_.rope_mscale, k.dtype()));
    }
    // Each row at its own position, with its own cache; pad the caches to one length.
    std::vector<mx::array> queries, keys, values, masks;
    int longest = 0;
    std::vector<std::pair<mx::array, mx::array>> cached;
    for (int b = 0; b < batch; ++b) {
      const int position = caches[b]->position();
      queries.push_back(mx::fast::rope(row(q, b), head_dim, false, base, 1.0f / config_.rope_scale, position, rope_freqs_));
      mx::array rotated = mx::fast::rope(row(k, b), head_dim, false, base, 1.0f / config_.rope_scale, position, rope_freqs_);
      cached.push_back(caches[b]->update(static_cast<int>(index), rotated, row(v, b)));
      longest = std::max(longest, cached.back().first.shape(2));
    }
    for (int b = 0; b < batch; ++b) {
      auto& [row_keys, row_values] = cached[b];
      const int pad = longest - row_keys.shape(2);
      if (pad > 0) {
        mx::array zeros = mx::zeros({1, kv_heads, pad, head_dim}, row_keys.dtype());
        row_keys = mx::concatenate({zeros, row_keys}, 2);
        row_values = mx::concatenate({zeros, row_values}, 2);
      }
      keys.push_back(row_keys);
      values.push_back(row_values);
      std::vector<float> mask(longest, 0.0f);
      std::fill(mask.begin(), mask.begin() + pad, -1e9f);
      masks.push_back(mx::array(mask.data(), {1, 1, 1, longest}, mx::float32));
    }
    mx::array attention = mx::fast::scaled_dot_product_attention(
        mx::concatenate(queries, 0), mx::concatenate(keys, 0), mx::concatenate(values, 0), scale, "",
        mx::astype(mx::concatenate(masks, 0), q.dtype()));
    attention = mx::reshape(mx::transpose(attention, {0, 2, 1, 3}), {batch, 1, heads * head_dim});
    x = mx::add(x, layer.o(attention));
    h = mx::fast::rms_norm(x, layer.post_norm, config_.rms_norm_eps);
    mx::array gate = layer.gate(h);
    x = mx::add(x, layer.down(mx::multiply(mx::multiply(gate, mx::sigmoid(gate)), layer.up(h))));
  }
  for (KvCache* cache : caches) cache->advance(1);
  return mx::fast::rms_norm(x, norm_, config_.rms_norm_eps);
}

}  // namespace heylook
