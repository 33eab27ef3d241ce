#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace heylook {

int Sampler::sample(std::vector<float> logits, const SamplingParams& params, const std::vector<int>& history) {
  const int vocab = static_cast<int>(logits.size());
  for (const auto& [token, value] : params.bias) {
    if (token < 0 || token >= vocab) continue;
    logits[token] = value <= -100.0f ? -std::numeric_limits<float>::infinity() : logits[token] + value;
  }
  if (!params.allowed.empty()) {
    // Ids past the mask (the head's padding beyond the tokenizer) are never allowed.
    const int masked = std::min(vocab, static_cast<int>(params.allowed.size()) * 32);
    for (int token = 0; token < vocab; ++token) {
      const bool allowed = token < masked && ((static_cast<uint32_t>(params.allowed[token >> 5]) >> (token & 31)) & 1u);
      if (!allowed) logits[token] = -std::numeric_limits<float>::infinity();
    }
  }
  if (params.repetition_penalty != 1.0f && params.repetition_context_size > 0) {
    const size_t start = history.size() > static_cast<size_t>(params.repetition_context_size)
                             ? history.size() - params.repetition_context_size
                             : 0;
    for (size_t index = start; index < history.size(); ++index) {
      const int token = history[index];
      if (token < 0 || token >= vocab) continue;
      float& logit = logits[token];
      logit = logit > 0 ? logit / params.repetition_penalty : logit * params.repetition_penalty;
    }
  }
  if (params.temperature <= 0.0f) {
    return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }

  std::vector<int> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  size_t keep = order.size();
  if (params.top_k > 0) keep = std::min(keep, static_cast<size_t>(params.top_k));

  const float max_logit = logits[order[0]];
  std::vector<double> probabilities(keep);
  double total = 0;
  for (size_t index = 0; index < keep; ++index) {
    probabilities[index] = std::exp((logits[order[index]] - max_logit) / params.temperature);
    total += probabilities[index];
  }
  for (auto& probability : probabilities) probability /= total;

  if (params.min_p > 0.0f) {
    const double floor = probabilities[0] * params.min_p;
    size_t cut = 1;
    while (cut < keep && probabilities[cut] >= floor) ++cut;
    keep = cut;
  }
  if (params.top_p < 1.0f) {
    double cumulative = 0;
    size_t cut = 0;
    while (cut < keep) {
      cumulative += probabilities[cut++];
      if (cumulative >= params.top_p) break;
    }
    keep = cut;
  }
  std::discrete_distribution<size_t> pick(probabilities.begin(), probabilities.begin() + keep);
  return order[pick(rng_)];
}

}  // namespace heylook
