#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace heylook {

struct SamplingParams {
  float temperature = 0.0f;  // 0 = greedy
  int top_k = 0;             // 0 = off
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  int repetition_context_size = 20;
  // Tokens a grammar allows next, one bit per token id (bit i%32 of word i/32); empty = all.
  std::vector<int32_t> allowed;
  // OpenAI's logit_bias: added to these tokens' logits first; -100 or less bans the token.
  std::vector<std::pair<int, float>> bias;
};

/** Picks the next token from logits on the CPU; deterministic for a given seed. */
class Sampler {
 public:
  explicit Sampler(uint64_t seed) : rng_(seed) {}
  void reseed(uint64_t seed) { rng_.seed(seed); }
  int sample(std::vector<float> logits, const SamplingParams& params, const std::vector<int>& history);

 private:
  std::mt19937_64 rng_;
};

}  // namespace heylook
