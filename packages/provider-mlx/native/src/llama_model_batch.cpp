#include <algorithm>

#include "llama_model.h"

// LlamaModel's batched decode step: one token for each of several sequences, each with its own cache.
namespace heylook {

mx::array LlamaModel::hidden_batch(const mx::array& tokens, const std::vector<KvCache*>& caches) const {
  const int batch = tokens.shape(0);
  const int heads = config_.num_attention_heads;
  const int head_dim = config_.head_dim;
  const int window = config_.sliding_window;
  const float scale = attention_scale(config_);
  auto row = [](const mx::array& array, int index) {
    mx::Shape begin(array.ndim(), 0);
    mx::Shape end = array.shape();
    begin[0] = index;
    end[0] = index + 1;
    return mx::slice(array, begin, end);
  };

  // Each row at its own position: one RoPE call over the batch with per-row offsets.
  std::vector<int> positions;
  for (KvCache* cache : caches) positions.push_back(cache->position());
  const mx::array offsets(positions.data(), {batch}, mx::int32);
  std::optional<mx::array> query_scales;
  if (config_.query_scale_beta != 0.0f) {
    std::vector<mx::array> scales;
    for (int position : positions) scales.push_back(*query_scale(config_, position, 1));
    query_scales = mx::concatenate(scales, 0);
  }
  // The padding mask depends only on the rows' cache lengths: built once, reused by every layer with the same lengths.
  std::vector<int> mask_pads;
  std::optional<mx::array> mask;

  mx::array x = embed(tokens);  // [batch, 1, hidden]
  for (size_t index = 0; index < layers_.size(); ++index) {
    const Layer& layer = layers_[index];
    auto [q, k, v] = project(layer, mx::fast::rms_norm(x, layer.input_norm, config_.rms_norm_eps), batch, 1);
    q = rope(layer, q, offsets);
    k = rope(layer, k, offsets);
    if (query_scales) q = mx::multiply(q, mx::astype(*query_scales, q.dtype()));
    // Each row has its own cache. A quantized one is attended as it is stored, row by row, as
    // in a single decode step: padding it into the batch would dequantize its whole cache per
    // layer per step.
    std::vector<std::pair<mx::array, mx::array>> cached;
    std::vector<std::optional<mx::array>> quantized_rows(batch);
    bool any_quantized = false;
    int longest = 0;
    for (int b = 0; b < batch; ++b) {
      if (caches[b]->quantized() && !layer.sliding) {
        auto [keys, values] = caches[b]->update_quantized(static_cast<int>(index), row(k, b), row(v, b));
        quantized_rows[b] = quantized_attention(row(q, b), keys, values, scale, caches[b]->options());
        any_quantized = true;
        cached.emplace_back(mx::array(0.0f), mx::array(0.0f));  // keeps cached[b] row b; not read
        continue;
      }
      auto [row_keys, row_values] = caches[b]->update(static_cast<int>(index), row(k, b), row(v, b));
      const int total = row_keys.shape(2);
      if (layer.sliding && window > 0 && total > window) {
        row_keys = last_tokens(row_keys, window);
        row_values = last_tokens(row_values, window);
      }
      cached.emplace_back(row_keys, row_values);
      longest = std::max(longest, cached.back().first.shape(2));
    }
    mx::array attention = mx::array(0.0f);
    if (any_quantized || longest > kPaddedAttentionLimit) {
      // Long caches: each row attends over its own cache where it lies. Padding them to one
      // batch would copy every row's whole cache per layer per step.
      std::vector<mx::array> rows;
      for (int b = 0; b < batch; ++b) {
        rows.push_back(quantized_rows[b] ? *quantized_rows[b] : mx::fast::scaled_dot_product_attention(row(q, b), cached[b].first, cached[b].second, scale, ""));
      }
      attention = mx::concatenate(rows, 0);
    } else {
      attention = padded_attention(q, cached, longest, scale, mask, mask_pads);
    }
    attention = mx::reshape(mx::transpose(attention, {0, 2, 1, 3}), {batch, 1, heads * head_dim});
    x = finish_block(layer, x, attention);
  }
  for (KvCache* cache : caches) cache->advance(1);
  return mx::fast::rms_norm(x, norm_, config_.rms_norm_eps);
}

mx::array LlamaModel::padded_attention(const mx::array& q, const std::vector<std::pair<mx::array, mx::array>>& cached, int longest, float scale,
                                       std::optional<mx::array>& mask, std::vector<int>& mask_pads) const {
  const int batch = q.shape(0);
  const int kv_heads = config_.num_key_value_heads;
  const int head_dim = config_.head_dim;
  std::vector<mx::array> keys, values;
  std::vector<int> pads;
  for (int b = 0; b < batch; ++b) {
    auto [row_keys, row_values] = cached[b];
    const int pad = longest - row_keys.shape(2);
    pads.push_back(pad);
    if (pad > 0) {
      mx::array zeros = mx::zeros({1, kv_heads, pad, head_dim}, row_keys.dtype());
      row_keys = mx::concatenate({zeros, row_keys}, 2);
      row_values = mx::concatenate({zeros, row_values}, 2);
    }
    keys.push_back(row_keys);
    values.push_back(row_values);
  }
  if (!mask || pads != mask_pads) {
    std::vector<float> additive(static_cast<size_t>(batch) * longest, 0.0f);
    for (int b = 0; b < batch; ++b) std::fill(additive.begin() + b * longest, additive.begin() + b * longest + pads[b], -1e9f);
    mask = mx::astype(mx::array(additive.data(), {batch, 1, 1, longest}, mx::float32), q.dtype());
    mask_pads = pads;
  }
  return mx::fast::scaled_dot_product_attention(q, mx::concatenate(keys, 0), mx::concatenate(values, 0), scale, "", *mask);
}

}  // namespace heylook
