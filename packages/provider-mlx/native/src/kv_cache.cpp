#include "kv_cache.h"

namespace heylook {

std::pair<mx::array, mx::array> KvCache::update(int layer, const mx::array& keys, const mx::array& values) {
  auto& k = keys_[layer];
  auto& v = values_[layer];
  k = k ? mx::concatenate({*k, keys}, 2) : keys;
  v = v ? mx::concatenate({*v, values}, 2) : values;
  return {*k, *v};
}

void KvCache::trim(int tokens) {
  if (tokens >= offset_) return;
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    if (!keys_[layer]) continue;
    if (tokens == 0) {
      keys_[layer].reset();
      values_[layer].reset();
      continue;
    }
    auto shape = keys_[layer]->shape();
    keys_[layer] = mx::slice(*keys_[layer], {0, 0, 0, 0}, {shape[0], shape[1], tokens, shape[3]});
    values_[layer] = mx::slice(*values_[layer], {0, 0, 0, 0}, {shape[0], shape[1], tokens, shape[3]});
  }
  offset_ = tokens;
}

std::vector<mx::array> KvCache::arrays() const {
  std::vector<mx::array> result;
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    if (keys_[layer]) result.push_back(*keys_[layer]);
    if (values_[layer]) result.push_back(*values_[layer]);
  }
  return result;
}

}  // namespace heylook
