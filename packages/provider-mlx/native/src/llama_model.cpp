#include "llama_model.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace heylook {

namespace {

/**
 * Splits a fused projection (Phi-3's qkv_proj, gate_up_proj) into separate ones by output rows,
 * its quantized scales and biases and its bias alike, so the rest of the model sees one layout.
 */
void split_fused(Weights& weights, const std::string& fused, const std::vector<std::string>& parts, const std::vector<int>& rows) {
  for (const char* suffix : {".weight", ".scales", ".biases", ".bias"}) {
    auto whole = take_optional(weights, fused + suffix);
    if (!whole) continue;
    int start = 0;
    for (size_t index = 0; index < parts.size(); ++index) {
      mx::Shape begin(whole->ndim(), 0);
      mx::Shape end = whole->shape();
      begin[0] = start;
      end[0] = start + rows[index];
      weights.insert_or_assign(parts[index] + suffix, mx::slice(*whole, begin, end));
      start += rows[index];
    }
    if (start != whole->shape(0)) throw std::runtime_error(fused + suffix + " does not have the rows the config implies");
  }
}

}  // namespace

LlamaModel::LlamaModel(const std::string& dir, const ModelConfig& config) : config_(config) {
  Weights weights;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
  }
  if (files.empty()) throw std::runtime_error("no .safetensors files in " + dir);
  for (const auto& file : files) {
    auto [loaded, metadata] = mx::load_safetensors(file.string());
    for (auto& [name, value] : loaded) {
      // Multimodal checkpoints (Gemma 3): the text model under `language_model.` (mlx-lm) or
      // `model.language_model.` (Transformers ≥ 4.52); the vision tower is not ours to load.
      if (name.rfind("language_model.", 0) == 0) {
        weights.insert_or_assign(name.substr(15), value);
      } else if (name.rfind("model.language_model.", 0) == 0) {
        weights.insert_or_assign("model." + name.substr(21), value);
      } else if (name.find("vision_tower.") == std::string::npos && name.find("multi_modal_projector.") == std::string::npos) {
        weights.insert_or_assign(name, value);
      }
    }
  }

  embed_ = linear(weights, "model.embed_tokens");
  for (int index = 0; index < config_.num_hidden_layers; ++index) {
    const std::string prefix = "model.layers." + std::to_string(index) + ".";
    const int q_rows = config_.num_attention_heads * config_.head_dim;
    const int kv_rows = config_.num_key_value_heads * config_.head_dim;
    if (weights.count(prefix + "self_attn.qkv_proj.weight")) {
      split_fused(weights, prefix + "self_attn.qkv_proj",
                  {prefix + "self_attn.q_proj", prefix + "self_attn.k_proj", prefix + "self_attn.v_proj"}, {q_rows, kv_rows, kv_rows});
    }
    if (weights.count(prefix + "mlp.gate_up_proj.weight")) {
      const int rows = weights.at(prefix + "mlp.gate_up_proj.weight").shape(0) / 2;
      split_fused(weights, prefix + "mlp.gate_up_proj", {prefix + "mlp.gate_proj", prefix + "mlp.up_proj"}, {rows, rows});
    }
    Layer layer;
    layer.q = linear(weights, prefix + "self_attn.q_proj");
    layer.k = linear(weights, prefix + "self_attn.k_proj");
    layer.v = linear(weights, prefix + "self_attn.v_proj");
    layer.o = linear(weights, prefix + "self_attn.o_proj");
    if (index < static_cast<int>(config_.moe_layers.size()) && config_.moe_layers[index] != 0) {
      const std::string experts = prefix + "mlp.experts";
      auto routed = [&](const char* name) {
        auto [bits, group] = quantization(prefix + "mlp.switch_mlp." + name);
        return SwitchLinear(weights, prefix + "mlp.switch_mlp", experts, name, config_.num_experts, bits, group);
      };
      layer.experts = Experts{linear(weights, prefix + "mlp.gate"), routed("gate_proj"), routed("up_proj"), routed("down_proj")};
    } else {
      layer.gate = linear(weights, prefix + "mlp.gate_proj");
      layer.up = linear(weights, prefix + "mlp.up_proj");
      layer.down = linear(weights, prefix + "mlp.down_proj");
    }
    layer.input_norm = norm_weight(weights, prefix + "input_layernorm.weight");
    layer.post_norm = norm_weight(weights, prefix + "post_attention_layernorm.weight");
    if (config_.sandwich_norms) {
      layer.pre_mlp_norm = norm_weight(weights, prefix + "pre_feedforward_layernorm.weight");
      layer.post_mlp_norm = norm_weight(weights, prefix + "post_feedforward_layernorm.weight");
    }
    if (weights.count(prefix + "self_attn.q_norm.weight")) layer.q_norm = norm_weight(weights, prefix + "self_attn.q_norm.weight");
    if (weights.count(prefix + "self_attn.k_norm.weight")) layer.k_norm = norm_weight(weights, prefix + "self_attn.k_norm.weight");
    layer.sliding = index < static_cast<int>(config_.sliding_layers.size()) && config_.sliding_layers[index] != 0;
    layers_.push_back(std::move(layer));
  }
  norm_ = norm_weight(weights, "model.norm.weight");
  if (!config_.rope_freqs.empty()) {
    rope_freqs_ = mx::array(config_.rope_freqs.data(), {static_cast<int>(config_.rope_freqs.size())}, mx::float32);
  }
  const int rope_dims = config_.rope_dims ? config_.rope_dims : config_.head_dim;
  if (config_.rope_mscale != 1.0f) {
    std::vector<float> scale(config_.head_dim, 1.0f);
    std::fill(scale.begin(), scale.begin() + rope_dims, config_.rope_mscale);
    rope_mscale_ = mx::array(scale.data(), {config_.head_dim}, mx::float32);
  }
  if (!config_.tie_word_embeddings && weights.count("lm_head.weight")) lm_head_ = linear(weights, "lm_head");

  // Materialize the weights now, on this (the worker) thread.
  mx::eval(parameters());
}

std::pair<int, int> LlamaModel::quantization(const std::string& prefix) const {
  auto found = config_.quantization_overrides.find(prefix);
  if (found != config_.quantization_overrides.end()) return found->second;
  return {config_.quantization_bits, config_.quantization_group_size};
}

Linear LlamaModel::linear(Weights& weights, const std::string& prefix) const {
  auto [bits, group] = quantization(prefix);
  return Linear(weights, prefix, bits, group);
}

mx::array LlamaModel::mixture(const Experts& experts, const mx::array& h) const {
  const int count = config_.num_experts;
  const int k = config_.experts_per_token;
  mx::array gates = mx::softmax(experts.router(h), -1, true);  // [batch, length, experts]
  mx::Shape begin(gates.ndim(), 0);
  begin.back() = count - k;
  const mx::array chosen = mx::slice(mx::argpartition(gates, count - k, -1), begin, gates.shape());  // top k
  mx::array scores = mx::take_along_axis(gates, chosen, -1);
  if (config_.norm_topk_prob) scores = mx::divide(scores, mx::sum(scores, -1, true));

  mx::array x = mx::expand_dims(h, {-2, -3});  // [batch, length, 1, 1, hidden]
  mx::array indices = chosen;
  // Many tokens: sort them by expert so the gathered matmuls read each expert's weights once.
  const bool sort = chosen.size() >= 64;
  std::optional<mx::array> inverse;
  if (sort) {
    mx::array flat = mx::flatten(chosen);
    mx::array order = mx::argsort(flat);
    inverse = mx::argsort(order);
    x = mx::take(mx::flatten(x, 0, -3), mx::floor_divide(order, mx::array(k, order.dtype())), 0);
    indices = mx::take(flat, order, 0);
  }
  mx::array gate = experts.gate(x, indices, sort);
  mx::array y = experts.down(mx::multiply(mx::multiply(gate, mx::sigmoid(gate)), experts.up(x, indices, sort)), indices, sort);
  if (sort) y = mx::unflatten(mx::take(y, *inverse, 0), 0, chosen.shape());
  y = mx::squeeze(y, -2);  // [batch, length, k, hidden]
  return mx::astype(mx::sum(mx::multiply(y, mx::expand_dims(scores, -1)), -2), y.dtype());
}

mx::array LlamaModel::norm_weight(Weights& weights, const std::string& name) const {
  mx::array weight = take_required(weights, name);
  return config_.norm_offset ? mx::add(weight, mx::array(1.0f, weight.dtype())) : weight;
}

std::vector<mx::array> LlamaModel::parameters() const {
  std::vector<mx::array> all{norm_};
  for (const auto& layer : layers_) {
    all.push_back(layer.input_norm);
    all.push_back(layer.post_norm);
    for (const auto* norm : {&layer.pre_mlp_norm, &layer.post_mlp_norm, &layer.q_norm, &layer.k_norm}) {
      if (*norm) all.push_back(**norm);
    }
  }
  // Linear layers evaluate lazily on first use; their arrays come straight from the file.
  return all;
}

mx::array LlamaModel::embed(const mx::array& tokens) const {
  mx::array x = embed_.rows(tokens);
  if (config_.embed_scale == 0.0f) return x;
  // mlx-lm (and bf16 training) round Gemma's sqrt(hidden_size) to bfloat16 first.
  return mx::multiply(x, mx::astype(mx::astype(mx::array(config_.embed_scale), mx::bfloat16), x.dtype()));
}

mx::array LlamaModel::place_images(mx::array x, const std::vector<ImageSpan>& images) const {
  const int hidden = config_.hidden_size;
  for (const ImageSpan& image : images) {
    mx::array rows = mx::astype(image.rows, x.dtype());
    if (config_.embed_scale != 0.0f) {
      // mlx-vlm divides image rows by √hidden before the model scales every row by √hidden rounded to
      // bfloat16; the rows come out unscaled whenever √hidden is a bfloat16 value (as in Transformers).
      const float rounded = mx::astype(mx::astype(mx::array(config_.embed_scale), mx::bfloat16), mx::float32).item<float>();
      rows = mx::multiply(rows, mx::array(rounded / config_.embed_scale, x.dtype()));
    }
    const int count = rows.shape(0);
    x = mx::slice_update(x, mx::reshape(rows, {1, count, hidden}), mx::Shape{0, image.offset, 0}, mx::Shape{1, image.offset + count, hidden});
  }
  return x;
}

std::optional<mx::array> LlamaModel::image_mask(const std::vector<ImageSpan>& images, int length, int total, bool sliding) const {
  if (images.empty() || config_.vision.family != "gemma3") return std::nullopt;
  // Which image each key belongs to (-1: text or an earlier chunk, whose images are complete).
  std::vector<int> owner(total, -1);
  for (size_t index = 0; index < images.size(); ++index) {
    const int start = total - length + images[index].offset;
    std::fill(owner.begin() + start, owner.begin() + start + images[index].rows.shape(0), static_cast<int>(index));
  }
  mx::array key_owner = mx::array(owner.data(), {1, total}, mx::int32);
  mx::array query_owner = mx::reshape(mx::slice(key_owner, {0, total - length}, {1, total}), {length, 1});
  mx::array same = mx::logical_and(mx::equal(query_owner, key_owner), mx::greater_equal(query_owner, mx::array(0, mx::int32)));
  mx::array query_at = mx::reshape(mx::arange(total - length, total, mx::int32), {length, 1});
  mx::array key_at = mx::reshape(mx::arange(0, total, mx::int32), {1, total});
  mx::array visible = mx::less_equal(key_at, query_at);
  if (sliding && config_.sliding_window > 0) {
    visible = mx::logical_and(visible, mx::less(query_at, mx::add(key_at, mx::array(config_.sliding_window, mx::int32))));
  }
  return mx::logical_or(visible, same);
}

LlamaModel::Projected LlamaModel::project(const Layer& layer, const mx::array& h, int batch, int length) const {
  const int heads = config_.num_attention_heads;
  const int kv_heads = config_.num_key_value_heads;
  const int head_dim = config_.head_dim;
  mx::array q = mx::transpose(mx::reshape(layer.q(h), {batch, length, heads, head_dim}), {0, 2, 1, 3});
  mx::array k = mx::transpose(mx::reshape(layer.k(h), {batch, length, kv_heads, head_dim}), {0, 2, 1, 3});
  mx::array v = mx::transpose(mx::reshape(layer.v(h), {batch, length, kv_heads, head_dim}), {0, 2, 1, 3});
  if (layer.q_norm) q = mx::fast::rms_norm(q, *layer.q_norm, config_.rms_norm_eps);
  if (layer.k_norm) k = mx::fast::rms_norm(k, *layer.k_norm, config_.rms_norm_eps);
  if (rope_mscale_ && !layer.sliding) {
    q = mx::multiply(q, mx::astype(*rope_mscale_, q.dtype()));
    k = mx::multiply(k, mx::astype(*rope_mscale_, k.dtype()));
  }
  return {q, k, v};
}

mx::array LlamaModel::rope(const Layer& layer, const mx::array& x, int offset) const {
  const int dims = config_.rope_dims ? config_.rope_dims : config_.head_dim;
  // Local layers use their own base, never the global scaling.
  if (layer.sliding) return mx::fast::rope(x, dims, false, config_.local_rope_theta, 1.0f, offset);
  const std::optional<float> base = rope_freqs_ ? std::nullopt : std::optional<float>(config_.rope_theta);
  return mx::fast::rope(x, dims, false, base, 1.0f / config_.rope_scale, offset, rope_freqs_);
}

mx::array LlamaModel::rope(const Layer& layer, const mx::array& x, const mx::array& offsets) const {
  const int dims = config_.rope_dims ? config_.rope_dims : config_.head_dim;
  if (layer.sliding) return mx::fast::rope(x, dims, false, config_.local_rope_theta, 1.0f, offsets);
  const std::optional<float> base = rope_freqs_ ? std::nullopt : std::optional<float>(config_.rope_theta);
  return mx::fast::rope(x, dims, false, base, 1.0f / config_.rope_scale, offsets, rope_freqs_);
}

mx::array LlamaModel::finish_block(const Layer& layer, const mx::array& x, const mx::array& attention) const {
  const float eps = config_.rms_norm_eps;
  mx::array out = layer.o(attention);
  if (config_.sandwich_norms) out = mx::fast::rms_norm(out, layer.post_norm, eps);
  mx::array residual = mx::add(x, out);
  mx::array h = mx::fast::rms_norm(residual, config_.sandwich_norms ? *layer.pre_mlp_norm : layer.post_norm, eps);
  if (layer.experts) return mx::add(residual, mixture(*layer.experts, h));
  mx::array gate = layer.gate(h);
  if (config_.activation == "gelu_approx") {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as mlx.nn.gelu_approx
    const mx::Dtype type = gate.dtype();
    mx::array inner = mx::multiply(mx::array(std::sqrt(2.0f / static_cast<float>(M_PI)), type),
                                   mx::add(gate, mx::multiply(mx::array(0.044715f, type), mx::power(gate, mx::array(3.0f, type)))));
    gate = mx::multiply(mx::multiply(mx::array(0.5f, type), gate), mx::add(mx::array(1.0f, type), mx::tanh(inner)));
  } else {
    gate = mx::multiply(gate, mx::sigmoid(gate));
  }
  mx::array mlp = layer.down(mx::multiply(gate, layer.up(h)));
  if (config_.sandwich_norms) mlp = mx::fast::rms_norm(mlp, *layer.post_mlp_norm, eps);
  return mx::add(residual, mlp);
}

std::optional<mx::array> query_scale(const ModelConfig& config, int offset, int length) {
  if (config.query_scale_beta == 0.0f) return std::nullopt;
  std::vector<float> scales(length);
  for (int index = 0; index < length; ++index) {
    const float turns = std::floor(static_cast<float>(offset + index) / static_cast<float>(config.query_scale_original));
    scales[index] = 1.0f + config.query_scale_beta * std::log(1.0f + turns);
  }
  return mx::array(scales.data(), {1, 1, length, 1}, mx::float32);
}

mx::array last_tokens(const mx::array& array, int count) {
  const int total = array.shape(2);
  return mx::slice(array, {0, 0, total - count, 0}, {array.shape(0), array.shape(1), total, array.shape(3)});
}

float attention_scale(const ModelConfig& config) {
  return config.attention_scale != 0.0f ? config.attention_scale : 1.0f / std::sqrt(static_cast<float>(config.head_dim));
}

mx::array LlamaModel::attend(const Layer& layer, int index, const mx::array& q, const mx::array& k, const mx::array& v, KvCache& cache,
                             const std::vector<ImageSpan>& images) const {
  const int length = q.shape(2);
  const int window = config_.sliding_window;
  const float scale = attention_scale(config_);
  if (cache.quantized() && length == 1 && !layer.sliding) {
    // A decode step reads the quantized keys as they are stored: no dequantized copy of the
    // whole cache per token. (A prompt dequantizes once: MLX's quantized product is slow for many rows.)
    auto [keys, values] = cache.update_quantized(index, k, v);
    return quantized_attention(q, keys, values, scale, cache.options());
  }
  auto [keys, values] = cache.update(index, k, v);
  const int total = keys.shape(2);
  if (auto mask = image_mask(images, length, total, layer.sliding)) {
    return mx::fast::scaled_dot_product_attention(q, keys, values, scale, "", *mask);
  }
  if (layer.sliding && window > 0 && total > window && length == 1) {
    // One new token: it sees the `window` most recent keys, itself included.
    return mx::fast::scaled_dot_product_attention(q, last_tokens(keys, window), last_tokens(values, window), scale, "");
  }
  if (layer.sliding && window > 0 && total > window) {
    // Query i (at key index total - length + i) sees key j when 0 <= (i's index) - j < window.
    mx::array query_at = mx::reshape(mx::arange(total - length, total, mx::int32), {length, 1});
    mx::array key_at = mx::reshape(mx::arange(0, total, mx::int32), {1, total});
    mx::array visible = mx::logical_and(mx::less_equal(key_at, query_at), mx::less(query_at, mx::add(key_at, mx::array(window, mx::int32))));
    return mx::fast::scaled_dot_product_attention(q, keys, values, scale, "", visible);
  }
  return mx::fast::scaled_dot_product_attention(q, keys, values, scale, length > 1 ? "causal" : "");
}

mx::array LlamaModel::hidden(const mx::array& tokens, KvCache& cache, const std::vector<ImageSpan>& images) const {
  const int length = tokens.shape(1);
  return hidden_packed(tokens, {&cache}, {length}, images);
}

mx::array LlamaModel::hidden_packed(const mx::array& tokens, const std::vector<KvCache*>& caches, const std::vector<int>& lengths,
                                    const std::vector<ImageSpan>& images) const {
  if (!images.empty() && caches.size() > 1) throw std::invalid_argument("images go in a forward pass of one sequence");
  const int length = tokens.shape(1);
  const int heads = config_.num_attention_heads;
  const int head_dim = config_.head_dim;
  // Where each segment's tokens start in `tokens`, and its position in its own sequence.
  std::vector<int> starts, offsets;
  for (size_t segment = 0, start = 0; segment < caches.size(); start += lengths[segment++]) {
    starts.push_back(static_cast<int>(start));
    offsets.push_back(caches[segment]->position());
  }
  auto part = [&](const mx::array& array, size_t segment) {
    if (caches.size() == 1) return array;
    return mx::slice(array, {0, 0, starts[segment], 0}, {1, array.shape(1), starts[segment] + lengths[segment], array.shape(3)});
  };

  mx::array x = place_images(embed(tokens), images);
  for (size_t index = 0; index < layers_.size(); ++index) {
    const Layer& layer = layers_[index];
    // The linear layers see every segment's tokens at once; attention is each segment's own.
    auto [q, k, v] = project(layer, mx::fast::rms_norm(x, layer.input_norm, config_.rms_norm_eps), 1, length);
    std::vector<mx::array> parts;
    for (size_t segment = 0; segment < caches.size(); ++segment) {
      const int offset = offsets[segment];
      mx::array segment_q = rope(layer, part(q, segment), offset);
      if (auto scale_q = query_scale(config_, offset, lengths[segment])) segment_q = mx::multiply(segment_q, mx::astype(*scale_q, segment_q.dtype()));
      parts.push_back(attend(layer, static_cast<int>(index), segment_q, rope(layer, part(k, segment), offset), part(v, segment), *caches[segment], images));
    }
    mx::array attention = parts.size() == 1 ? parts[0] : mx::concatenate(parts, 2);
    attention = mx::reshape(mx::transpose(attention, {0, 2, 1, 3}), {1, length, heads * head_dim});
    x = finish_block(layer, x, attention);
  }
  for (size_t segment = 0; segment < caches.size(); ++segment) caches[segment]->advance(lengths[segment]);
  return mx::fast::rms_norm(x, norm_, config_.rms_norm_eps);
}

mx::array LlamaModel::logits(const mx::array& hidden) const {
  const int length = hidden.shape(1);
  mx::array last = mx::reshape(mx::slice(hidden, {0, length - 1, 0}, {1, length, hidden.shape(2)}), {1, hidden.shape(2)});
  mx::array out = lm_head_ ? (*lm_head_)(last) : embed_(last);
  return mx::reshape(mx::astype(out, mx::float32), {-1});
}

mx::array LlamaModel::all_logits(const mx::array& hidden) const {
  mx::array rows = mx::reshape(hidden, {hidden.shape(1), hidden.shape(2)});
  return mx::astype(lm_head_ ? (*lm_head_)(rows) : embed_(rows), mx::float32);
}

}  // namespace heylook
