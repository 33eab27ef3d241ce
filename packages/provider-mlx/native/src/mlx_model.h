#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <napi.h>

#include "kv_cache.h"
#include "llama_model.h"
#include "sampler.h"
#include "vision_tower.h"
#include "worker.h"

namespace heylook {

/**
 * The JS-facing model. Every method that touches MLX posts to this model's worker thread and
 * returns a promise, resolved on the JS thread through a thread-safe function, so the event
 * loop never blocks. Sequences are independent KV caches, one per concurrent request.
 */
class MlxModel : public Napi::ObjectWrap<MlxModel> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit MlxModel(const Napi::CallbackInfo& info);
  ~MlxModel() override;

 private:
  struct Sequence {
    Sequence(int layers, KvCacheOptions options) : cache(layers, options), sampler(0) {}
    KvCache cache;
    std::vector<int> tokens;
    Sampler sampler;
  };
  using Result = std::variant<std::monostate, int, std::vector<float>, std::vector<int>>;
  struct Completion {
    Napi::Promise::Deferred deferred;
    Result result;
    std::string error;
  };

  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  Napi::Value PrefillBatch(const Napi::CallbackInfo& info);
  Napi::Value StepBatch(const Napi::CallbackInfo& info);
  Napi::Value DecodeBatch(const Napi::CallbackInfo& info);
  Napi::Value Trim(const Napi::CallbackInfo& info);
  Napi::Value FreeSequence(const Napi::CallbackInfo& info);
  Napi::Value Embed(const Napi::CallbackInfo& info);
  Napi::Value Unload(const Napi::CallbackInfo& info);
  Napi::Value Quantize(const Napi::CallbackInfo& info);
  Napi::Value EncodeImage(const Napi::CallbackInfo& info);

  /** A sequence's sampling settings for one call, as JS passed them. */
  struct StepOptions {
    SamplingParams params;
    bool reseed = false;
    uint64_t seed = 0;
  };
  static StepOptions stepOptions(Napi::Env env, const Napi::Value& value);
  /**
   * A batched call's sampling objects (argument `sampling_at`), checked: one per sequence, as
   * `rows` has one entry per sequence (throws a JS error when wrong).
   */
  static std::vector<StepOptions> batchOptions(const Napi::CallbackInfo& info, const std::vector<int>& ids, const std::vector<int>& rows,
                                               size_t sampling_at = 2);
  /**
   * Decode steps on the worker: sequence ids[i] is fed tokens[i], then what it samples, one
   * forward pass per step for all rows still going, until it has steps[i] tokens or sampled
   * one of `stops`. Returns each row's sampled tokens.
   */
  std::vector<std::vector<int>> decodeRows(const std::vector<int>& ids, const std::vector<int>& tokens, const std::vector<StepOptions>& options,
                                           const std::vector<int>& steps, const std::vector<int>& stops);

  /** An image for step/verify, as JS passed it: its first token's index and its rows, flat. */
  struct ImageInput {
    int offset;
    std::vector<float> rows;
  };
  /** Reads step/verify's optional `images` argument, checked against `tokens` (throws a JS error when wrong). */
  std::vector<ImageInput> imagesOf(Napi::Env env, const Napi::Value& value, size_t tokens) const;

  /** Runs `work` on the worker; its result (or exception) settles the returned promise. */
  Napi::Value schedule(Napi::Env env, std::function<Result()> work);
  Sequence& sequence(int id);
  /**
   * Evaluates `tokens` after what `seq` holds (in prefill chunks, none splitting a Gemma 3 image);
   * returns the final hidden states.
   */
  mx::array evaluate(Sequence& seq, const std::vector<int>& tokens, const std::vector<ImageInput>& images = {});
  const LlamaModel& model() const;

  std::string dir_;
  ModelConfig config_;
  KvCacheOptions cache_options_;
  std::unique_ptr<Worker> worker_;
  Napi::ThreadSafeFunction settle_;
  /** Set when Node finalized `settle_` itself (environment teardown); it must not be released again. */
  std::shared_ptr<bool> settle_finalized_ = std::make_shared<bool>(false);
  int pending_ = 0;
  // Touched only on the worker thread.
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<VisionTower> vision_;
  std::unordered_map<int, std::unique_ptr<Sequence>> sequences_;
};

}  // namespace heylook
