#include "kv_cache.h"

namespace heylook {

std::vector<mx::array> KvCache::quantize(const mx::array& heads) const {
  // [1, kv_heads, n, head_dim], quantized along head_dim.
  return mx::quantize(heads, options_.group_size, options_.bits);
}

mx::array KvCache::dequantize(const std::vector<mx::array>& parts) const {
  return mx::dequantize(parts[0], parts[1], parts[2], options_.group_size, options_.bits);
}

std::vector<mx::array> KvCache::first_tokens(const std::vector<mx::array>& parts, int tokens) {
  std::vector<mx::array> kept;
  for (const mx::array& part : parts) kept.push_back(first_tokens(part, tokens));
  return kept;
}

void KvCache::write(std::vector<mx::array>& buffers, const std::vector<mx::array>& fresh, int at) {
  for (size_t index = 0; index < fresh.size(); ++index) {
    if (index < buffers.size()) {
      buffers[index] = write(buffers[index], fresh[index], at);
    } else {
      buffers.push_back(write(std::nullopt, fresh[index], at));
    }
  }
}

std::pair<std::vector<mx::array>, std::vector<mx::array>> KvCache::update_quantized(int layer, const mx::array& keys,
                                                                                      const mx::array& values) {
  Stored& stored = layers_[layer];
  const int end = stored_ + keys.shape(2);
  write(stored.qkeys, quantize(keys), stored_);
  write(stored.qvalues, quantize(values), stored_);
  return {first_tokens(stored.qkeys, end), first_tokens(stored.qvalues, end)};
}

std::pair<mx::array, mx::array> KvCache::update(int layer, const mx::array& keys, const mx::array& values) {
  Stored& stored = layers_[layer];
  if (quantized_) {
    auto [qkeys, qvalues] = update_quantized(layer, keys, values);
    return {dequantize(qkeys), dequantize(qvalues)};
  }
  if (options_.max_size > 0) {
    // Rotating: advance() cuts the arrays to what is kept, so they hold exactly the tokens.
    stored.keys = stored.keys ? mx::concatenate({*stored.keys, keys}, 2) : keys;
    stored.values = stored.values ? mx::concatenate({*stored.values, values}, 2) : values;
    return {*stored.keys, *stored.values};
  }
  const int end = stored_ + keys.shape(2);
  stored.keys = write(stored.keys, keys, stored_);
  stored.values = write(stored.values, values, stored_);
  return {first_tokens(*stored.keys, end), first_tokens(*stored.values, end)};
}

mx::array KvCache::write(const std::optional<mx::array>& buffer, const mx::array& fresh, int at) {
  const int end = at + fresh.shape(2);
  mx::array target = buffer.value_or(fresh);
  if (!buffer || buffer->shape(2) < end) {
    mx::Shape grown = fresh.shape();
    grown[2] = (end + kGrowth - 1) / kGrowth * kGrowth - at;
    mx::array room = mx::zeros(grown, fresh.dtype());
    target = buffer ? mx::concatenate({first_tokens(*buffer, at), room}, 2) : room;
  }
  mx::Shape start{0, 0, at, 0};
  mx::Shape stop = fresh.shape();
  stop[2] = end;
  return mx::slice_update(target, fresh, start, stop);
}

mx::array KvCache::keep_tokens(const mx::array& array, int axis, int keep, int tail) {
  const int length = array.shape(axis);
  auto range = [&](int start, int stop) {
    mx::Shape begin(array.ndim(), 0);
    mx::Shape end = array.shape();
    begin[axis] = start;
    end[axis] = stop;
    return mx::slice(array, begin, end);
  };
  if (tail == 0) return range(0, keep);
  if (keep == 0) return range(length - tail, length);
  return mx::concatenate({range(0, keep), range(length - tail, length)}, axis);
}

void KvCache::advance(int tokens) {
  position_ += tokens;
  stored_ += tokens;
  if (options_.max_size > 0 && stored_ > options_.max_size) {
    const int keep = std::min(options_.keep, options_.max_size / 2);
    const int tail = options_.max_size - keep;
    for (Stored& stored : layers_) {
      if (stored.keys) {
        stored.keys = keep_tokens(*stored.keys, 2, keep, tail);
        stored.values = keep_tokens(*stored.values, 2, keep, tail);
      }
    }
    stored_ = options_.max_size;
    rotated_ = true;
  }
  if (options_.bits > 0 && !quantized_ && position_ >= options_.quantized_start) {
    for (Stored& stored : layers_) {
      if (!stored.keys) continue;
      write(stored.qkeys, quantize(first_tokens(*stored.keys, stored_)), 0);
      write(stored.qvalues, quantize(first_tokens(*stored.values, stored_)), 0);
      stored.keys.reset();
      stored.values.reset();
    }
    quantized_ = true;
  }
}

void KvCache::trim(int tokens) {
  if (tokens >= stored_ && !rotated_) return;
  if (tokens == 0 || rotated_) {
    for (Stored& stored : layers_) stored = Stored{};
    position_ = stored_ = 0;
    rotated_ = quantized_ = false;
    return;
  }
  for (Stored& stored : layers_) {
    // Standard and quantized buffers keep their room: the next write goes after `tokens`.
    if (stored.keys && options_.max_size > 0) {
      stored.keys = first_tokens(*stored.keys, tokens);
      stored.values = first_tokens(*stored.values, tokens);
    }
  }
  position_ = stored_ = tokens;
}

std::vector<mx::array> KvCache::arrays() const {
  std::vector<mx::array> result;
  for (const Stored& stored : layers_) {
    if (stored.keys) result.push_back(*stored.keys);
    if (stored.values) result.push_back(*stored.values);
    result.insert(result.end(), stored.qkeys.begin(), stored.qkeys.end());
    result.insert(result.end(), stored.qvalues.begin(), stored.qvalues.end());
  }
  return result;
}

mx::array quantized_attention(const mx::array& queries, const std::vector<mx::array>& keys, const std::vector<mx::array>& values,
                              float scale, const KvCacheOptions& options) {
  const int heads = queries.shape(1);
  const int length = queries.shape(2);
  const int head_dim = queries.shape(3);
  const int kv_heads = keys[0].shape(1);
  // Each key head serves heads / kv_heads query heads: [1, kv_heads, repeats, n, head_dim] against [1, kv_heads, 1, total, ...].
  mx::array q = mx::reshape(mx::multiply(queries, mx::array(scale, queries.dtype())), {1, kv_heads, heads / kv_heads, length, head_dim});
  auto per_head = [](const std::vector<mx::array>& parts) {
    std::vector<mx::array> expanded;
    for (const mx::array& part : parts) expanded.push_back(mx::expand_dims(part, 2));
    return expanded;
  };
  const std::vector<mx::array> k = per_head(keys);
  const std::vector<mx::array> v = per_head(values);
  mx::array scores = mx::quantized_matmul(q, k[0], k[1], k[2], true, options.group_size, options.bits);
  mx::array weights = mx::softmax(scores, std::vector<int>{-1}, true);
  mx::array out = mx::quantized_matmul(weights, v[0], v[1], v[2], false, options.group_size, options.bits);
  return mx::reshape(out, {1, heads, length, head_dim});
}

void eval_with_caches(std::vector<mx::array> outputs, const std::vector<KvCache*>& caches) {
  for (const KvCache* cache : caches) {
    std::vector<mx::array> arrays = cache->arrays();
    outputs.insert(outputs.end(), arrays.begin(), arrays.end());
  }
  mx::eval(outputs);
}

}  // namespace heylook
