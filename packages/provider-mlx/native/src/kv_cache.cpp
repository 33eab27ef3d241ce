#include "kv_cache.h"

namespace heylook {

std::vector<mx::array> KvCache::quantize(const mx::array& heads) const {
  // [1, kv_heads, n, head_dim] → [1, n, kv_heads * head_dim], quantized along the last axis.
  const int n = heads.shape(2);
  mx::array flat = mx::reshape(mx::transpose(heads, {0, 2, 1, 3}), {1, n, kv_heads_ * head_dim_});
  return mx::quantize(flat, options_.group_size, options_.bits);
}

mx::array KvCache::dequantize(const std::vector<mx::array>& parts, int kv_heads, int head_dim) const {
  mx::array flat = mx::dequantize(parts[0], parts[1], parts[2], options_.group_size, options_.bits);
  const int n = flat.shape(1);
  return mx::transpose(mx::reshape(flat, {1, n, kv_heads, head_dim}), {0, 2, 1, 3});
}

std::pair<mx::array, mx::array> KvCache::update(int layer, const mx::array& keys, const mx::array& values) {
  kv_heads_ = keys.shape(1);
  head_dim_ = keys.shape(3);
  Stored& stored = layers_[layer];
  if (quantized_) {
    auto append = [](std::vector<mx::array>& parts, std::vector<mx::array> fresh) {
      if (parts.empty()) {
        parts = std::move(fresh);
        return;
      }
      for (size_t index = 0; index < parts.size(); ++index) parts[index] = mx::concatenate({parts[index], fresh[index]}, 1);
    };
    append(stored.qkeys, quantize(keys));
    append(stored.qvalues, quantize(values));
    return {dequantize(stored.qkeys, kv_heads_, head_dim_), dequantize(stored.qvalues, kv_heads_, head_dim_)};
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
      for (auto* parts : {&stored.qkeys, &stored.qvalues}) {
        for (auto& part : *parts) part = keep_tokens(part, 1, keep, tail);
      }
    }
    stored_ = options_.max_size;
    rotated_ = true;
  }
  if (options_.bits > 0 && !quantized_ && position_ >= options_.quantized_start) {
    for (Stored& stored : layers_) {
      if (!stored.keys) continue;
      stored.qkeys = quantize(first_tokens(*stored.keys, stored_));
      stored.qvalues = quantize(first_tokens(*stored.values, stored_));
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
    // A standard cache's buffers keep their room: the next write goes after `tokens`.
    if (stored.keys && options_.max_size > 0) {
      stored.keys = first_tokens(*stored.keys, tokens);
      stored.values = first_tokens(*stored.values, tokens);
    }
    for (auto* parts : {&stored.qkeys, &stored.qvalues}) {
      for (auto& part : *parts) part = keep_tokens(part, 1, tokens, 0);
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

}  // namespace heylook
