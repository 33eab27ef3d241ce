#include "mlx_model.h"

#include "convert.h"
#include "js_values.h"

#include <cmath>
#include <stdexcept>

namespace heylook {

namespace {

constexpr int kPrefillChunk = 512;

}  // namespace

Napi::Function MlxModel::Define(Napi::Env env) {
  return DefineClass(env, "MlxModel",
                     {
                         InstanceMethod("load", &MlxModel::Load),
                         InstanceMethod("step", &MlxModel::Step),
                         InstanceMethod("verify", &MlxModel::Verify),
                         InstanceMethod("prefillBatch", &MlxModel::PrefillBatch),
                         InstanceMethod("stepBatch", &MlxModel::StepBatch),
                         InstanceMethod("decodeBatch", &MlxModel::DecodeBatch),
                         InstanceMethod("trim", &MlxModel::Trim),
                         InstanceMethod("freeSequence", &MlxModel::FreeSequence),
                         InstanceMethod("embed", &MlxModel::Embed),
                         InstanceMethod("unload", &MlxModel::Unload),
                         InstanceMethod("quantize", &MlxModel::Quantize),
                         InstanceMethod("encodeImage", &MlxModel::EncodeImage),
                     });
}

MlxModel::MlxModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlxModel>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    throw Napi::TypeError::New(env, "new MlxModel(dir: string, config: object)");
  }
  dir_ = info[0].As<Napi::String>().Utf8Value();
  Napi::Object config = info[1].As<Napi::Object>();
  Napi::Value type = config.Get("model_type");
  if (type.IsString()) config_.model_type = type.As<Napi::String>().Utf8Value();
  config_.hidden_size = intField(config, "hidden_size", 0);
  config_.num_hidden_layers = intField(config, "num_hidden_layers", 0);
  config_.num_attention_heads = intField(config, "num_attention_heads", 0);
  config_.num_key_value_heads = intField(config, "num_key_value_heads", config_.num_attention_heads);
  config_.head_dim = intField(config, "head_dim", config_.num_attention_heads ? config_.hidden_size / config_.num_attention_heads : 0);
  config_.vocab_size = intField(config, "vocab_size", 0);
  config_.rms_norm_eps = floatField(config, "rms_norm_eps", 1e-5f);
  config_.rope_theta = floatField(config, "rope_theta", 10000.0f);
  config_.rope_scale = floatField(config, "rope_scale", 1.0f);
  config_.rope_mscale = floatField(config, "rope_mscale", 1.0f);
  config_.rope_dims = intField(config, "rope_dims", 0);
  config_.tie_word_embeddings = config.Get("tie_word_embeddings").ToBoolean();
  Napi::Value freqs = config.Get("rope_freqs");
  if (freqs.IsTypedArray() && freqs.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    auto array = freqs.As<Napi::Float32Array>();
    config_.rope_freqs.assign(array.Data(), array.Data() + array.ElementLength());
  }
  Napi::Value activation = config.Get("activation");
  if (activation.IsString()) config_.activation = activation.As<Napi::String>().Utf8Value();
  config_.norm_offset = config.Get("norm_offset").ToBoolean();
  config_.sandwich_norms = config.Get("sandwich_norms").ToBoolean();
  config_.embed_scale = floatField(config, "embed_scale", 0.0f);
  config_.attention_scale = floatField(config, "attention_scale", 0.0f);
  config_.sliding_window = intField(config, "sliding_window", 0);
  config_.local_rope_theta = floatField(config, "local_rope_theta", 10000.0f);
  config_.query_scale_beta = floatField(config, "query_scale_beta", 0.0f);
  config_.query_scale_original = intField(config, "query_scale_original", 0);
  Napi::Value sliding = config.Get("sliding_layers");
  if (sliding.IsTypedArray() && sliding.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto array = sliding.As<Napi::Int32Array>();
    config_.sliding_layers.assign(array.Data(), array.Data() + array.ElementLength());
  }
  config_.num_experts = intField(config, "num_experts", 0);
  config_.experts_per_token = intField(config, "num_experts_per_tok", 0);
  config_.norm_topk_prob = config.Get("norm_topk_prob").ToBoolean();
  Napi::Value moe = config.Get("moe_layers");
  if (moe.IsTypedArray() && moe.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto array = moe.As<Napi::Int32Array>();
    config_.moe_layers.assign(array.Data(), array.Data() + array.ElementLength());
  }
  Napi::Value overrides = config.Get("quantization_overrides");
  if (overrides.IsObject()) {
    Napi::Object object = overrides.As<Napi::Object>();
    Napi::Array names = object.GetPropertyNames();
    for (uint32_t index = 0; index < names.Length(); ++index) {
      const std::string name = names.Get(index).As<Napi::String>().Utf8Value();
      Napi::Object entry = object.Get(name).As<Napi::Object>();
      config_.quantization_overrides[name] = {intField(entry, "bits", 0), intField(entry, "group_size", 64)};
    }
  }
  Napi::Value vision = config.Get("vision");
  if (vision.IsObject()) {
    Napi::Object object = vision.As<Napi::Object>();
    Napi::Value family = object.Get("family");
    if (family.IsString()) config_.vision.family = family.As<Napi::String>().Utf8Value();
    config_.vision.hidden_size = intField(object, "hidden_size", 0);
    config_.vision.num_hidden_layers = intField(object, "num_hidden_layers", 0);
    config_.vision.num_attention_heads = intField(object, "num_attention_heads", 0);
    config_.vision.image_size = intField(object, "image_size", 0);
    config_.vision.patch_size = intField(object, "patch_size", 0);
    config_.vision.num_channels = intField(object, "num_channels", 3);
    config_.vision.layer_norm_eps = floatField(object, "layer_norm_eps", 1e-5f);
    config_.vision.feature_layer = intField(object, "feature_layer", -2);
    config_.vision.keep_class_token = object.Get("keep_class_token").ToBoolean();
    config_.vision.tokens_per_image = intField(object, "tokens_per_image", 0);
  }
  config_.quantization_bits = intField(config, "quantization_bits", 0);
  config_.quantization_group_size = intField(config, "quantization_group_size", 64);
  cache_options_.max_size = intField(config, "max_kv_size", 0);
  cache_options_.bits = intField(config, "kv_bits", 0);
  cache_options_.group_size = intField(config, "kv_group_size", 64);
  cache_options_.quantized_start = intField(config, "quantized_kv_start", 0);
  worker_ = std::make_unique<Worker>();
  settle_ = Napi::ThreadSafeFunction::New(
      env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "heylook-mlx", 0, 1,
      [finalized = settle_finalized_](Napi::Env) { *finalized = true; });
  settle_.Unref(env);
}

MlxModel::~MlxModel() {
  worker_.reset();  // finishes queued work, then joins
  if (!*settle_finalized_) settle_.Release();
}

Napi::Value MlxModel::schedule(Napi::Env env, std::function<Result()> work) {
  auto* completion = new Completion{Napi::Promise::Deferred::New(env), {}, {}};
  Napi::Promise promise = completion->deferred.Promise();
  // Keep the process alive while MLX works: a pending promise alone does not.
  if (pending_++ == 0) settle_.Ref(env);
  worker_->post([this, completion, work = std::move(work)] {
    try {
      completion->result = work();
    } catch (const std::exception& error) {
      completion->error = error.what();
      if (completion->error.empty()) completion->error = "MLX failed";
    }
    settle_.BlockingCall(completion, [this](Napi::Env env, Napi::Function, Completion* done) {
      if (--pending_ == 0) settle_.Unref(env);
      if (!done->error.empty()) {
        done->deferred.Reject(Napi::Error::New(env, done->error).Value());
      } else if (auto* token = std::get_if<int>(&done->result)) {
        done->deferred.Resolve(Napi::Number::New(env, *token));
      } else if (auto* vector = std::get_if<std::vector<float>>(&done->result)) {
        auto array = Napi::Float32Array::New(env, vector->size());
        std::copy(vector->begin(), vector->end(), array.Data());
        done->deferred.Resolve(array);
      } else if (auto* ints = std::get_if<std::vector<int>>(&done->result)) {
        auto array = Napi::Int32Array::New(env, ints->size());
        std::copy(ints->begin(), ints->end(), array.Data());
        done->deferred.Resolve(array);
      } else {
        done->deferred.Resolve(env.Undefined());
      }
      delete done;
    });
  });
  return promise;
}

const LlamaModel& MlxModel::model() const {
  if (!model_) throw std::runtime_error("the model is not loaded");
  return *model_;
}

MlxModel::Sequence& MlxModel::sequence(int id) {
  auto& slot = sequences_[id];
  if (!slot) slot = std::make_unique<Sequence>(config_.num_hidden_layers, cache_options_);
  return *slot;
}

Napi::Value MlxModel::Load(const Napi::CallbackInfo& info) {
  return schedule(info.Env(), [this]() -> Result {
    if (!model_) model_ = std::make_unique<LlamaModel>(dir_, config_);
    if (!vision_ && !config_.vision.family.empty()) vision_ = std::make_unique<VisionTower>(dir_, config_.vision, config_.hidden_size);
    return std::monostate{};
  });
}

MlxModel::StepOptions MlxModel::stepOptions(Napi::Env env, const Napi::Value& value) {
  Napi::Object options = value.IsObject() ? value.As<Napi::Object>() : Napi::Object::New(env);
  StepOptions result;
  result.params.temperature = floatField(options, "temperature", 0.0f);
  result.params.top_k = intField(options, "topK", 0);
  result.params.top_p = floatField(options, "topP", 1.0f);
  result.params.min_p = floatField(options, "minP", 0.0f);
  result.params.repetition_penalty = floatField(options, "repetitionPenalty", 1.0f);
  result.params.repetition_context_size = intField(options, "repetitionContextSize", 20);
  Napi::Value allowed = options.Get("allowed");
  if (!allowed.IsUndefined()) result.params.allowed = tokensOf(allowed);
  Napi::Value biasIds = options.Get("biasIds");
  if (!biasIds.IsUndefined()) {
    const std::vector<int> ids = tokensOf(biasIds);
    Napi::Value values = options.Get("biasValues");
    if (!values.IsTypedArray() || values.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
        values.As<Napi::Float32Array>().ElementLength() != ids.size()) {
      throw Napi::TypeError::New(env, "biasValues must be a Float32Array as long as biasIds");
    }
    const float* data = values.As<Napi::Float32Array>().Data();
    for (size_t index = 0; index < ids.size(); ++index) result.params.bias.emplace_back(ids[index], data[index]);
  }
  Napi::Value seed = options.Get("seed");
  result.reseed = seed.IsNumber();
  if (result.reseed) result.seed = static_cast<uint64_t>(seed.As<Napi::Number>().Int64Value());
  return result;
}

mx::array MlxModel::evaluate(Sequence& seq, const std::vector<int>& tokens, const std::vector<ImageInput>& images) {
  const LlamaModel& llama = model();
  const int hidden_size = config_.hidden_size;
  // Gemma 3's image tokens attend to each other: one image's tokens must share a forward pass.
  const bool whole_images = config_.vision.family == "gemma3";
  std::vector<mx::array> chunks;
  size_t start = 0;
  while (start < tokens.size()) {
    size_t end = std::min(tokens.size(), start + kPrefillChunk);
    for (const ImageInput& image : images) {
      const size_t first = image.offset;
      const size_t last = first + image.rows.size() / hidden_size;
      if (whole_images && first < end && last > end) end = first > start ? first : last;
    }
    std::vector<ImageSpan> spans;
    for (const ImageInput& image : images) {
      const size_t first = std::max<size_t>(image.offset, start);
      const size_t last = std::min<size_t>(image.offset + image.rows.size() / hidden_size, end);
      if (first >= last) continue;
      const float* rows = image.rows.data() + (first - image.offset) * hidden_size;
      spans.push_back({static_cast<int>(first - start), mx::array(rows, {static_cast<int>(last - first), hidden_size}, mx::float32)});
    }
    std::vector<int> chunk(tokens.begin() + start, tokens.begin() + end);
    mx::array input(chunk.data(), {1, static_cast<int>(chunk.size())}, mx::int32);
    mx::array hidden = llama.hidden(input, seq.cache, spans);
    eval_with_caches({hidden}, {&seq.cache});
    chunks.push_back(hidden);
    start = end;
  }
  seq.tokens.insert(seq.tokens.end(), tokens.begin(), tokens.end());
  return chunks.size() == 1 ? chunks[0] : mx::concatenate(chunks, 1);
}

// step(sequence: number, tokens: Int32Array, sampling: object) → Promise<number>
// Evaluates `tokens` after what the sequence holds, then samples the next token.
Napi::Value MlxModel::Step(const Napi::CallbackInfo& info) {
  const int id = info[0].As<Napi::Number>().Int32Value();
  std::vector<int> tokens = tokensOf(info[1]);
  const StepOptions options = stepOptions(info.Env(), info[2]);
  if (tokens.empty()) throw Napi::Error::New(info.Env(), "step needs at least one token");
  std::vector<ImageInput> images = imagesOf(info.Env(), info[3], tokens.size());
  return schedule(info.Env(), [this, id, tokens = std::move(tokens), options, images = std::move(images)]() -> Result {
    Sequence& seq = sequence(id);
    mx::array hidden = evaluate(seq, tokens, images);
    if (options.reseed) seq.sampler.reseed(options.seed);
    return seq.sampler.sample(toVector(model().logits(hidden)), options.params, seq.tokens);
  });
}

// verify(sequence: number, tokens: Int32Array, sampling: object) → Promise<Int32Array>
// Evaluates `tokens` at once and samples after every one of them: out[i] is the token this
// model picks after tokens[0..i]. Speculative decoding checks a draft's guesses with it.
Napi::Value MlxModel::Verify(const Napi::CallbackInfo& info) {
  const int id = info[0].As<Napi::Number>().Int32Value();
  std::vector<int> tokens = tokensOf(info[1]);
  const StepOptions options = stepOptions(info.Env(), info[2]);
  if (tokens.empty()) throw Napi::Error::New(info.Env(), "verify needs at least one token");
  std::vector<ImageInput> images = imagesOf(info.Env(), info[3], tokens.size());
  return schedule(info.Env(), [this, id, tokens = std::move(tokens), options, images = std::move(images)]() -> Result {
    Sequence& seq = sequence(id);
    const size_t before = seq.tokens.size();
    mx::array logits = model().all_logits(evaluate(seq, tokens, images));
    std::vector<float> all = toVector(logits);
    const size_t vocab = all.size() / tokens.size();
    if (options.reseed) seq.sampler.reseed(options.seed);
    std::vector<int> picks;
    for (size_t row = 0; row < tokens.size(); ++row) {
      std::vector<int> history(seq.tokens.begin(), seq.tokens.begin() + before + row + 1);
      std::vector<float> logits_row(all.begin() + row * vocab, all.begin() + (row + 1) * vocab);
      picks.push_back(seq.sampler.sample(std::move(logits_row), options.params, history));
    }
    return picks;
  });
}

// trim(sequence: number, keep: number) → Promise<void>: keeps the first `keep` tokens.
Napi::Value MlxModel::Trim(const Napi::CallbackInfo& info) {
  const int id = info[0].As<Napi::Number>().Int32Value();
  const int keep = info[1].As<Napi::Number>().Int32Value();
  return schedule(info.Env(), [this, id, keep]() -> Result {
    Sequence& seq = sequence(id);
    seq.cache.trim(keep);
    // A rotated cache can only be emptied; keep the ids in step with what it holds.
    if (static_cast<size_t>(seq.cache.position()) < seq.tokens.size()) seq.tokens.resize(seq.cache.position());
    return std::monostate{};
  });
}

Napi::Value MlxModel::FreeSequence(const Napi::CallbackInfo& info) {
  const int id = info[0].As<Napi::Number>().Int32Value();
  return schedule(info.Env(), [this, id]() -> Result {
    sequences_.erase(id);
    return std::monostate{};
  });
}

// embed(tokens: Int32Array) → Promise<Float32Array>: mean-pooled final hidden states, L2-normalised.
Napi::Value MlxModel::Embed(const Napi::CallbackInfo& info) {
  std::vector<int> tokens = tokensOf(info[0]);
  if (tokens.empty()) throw Napi::Error::New(info.Env(), "embed needs at least one token");
  return schedule(info.Env(), [this, tokens = std::move(tokens)]() -> Result {
    const LlamaModel& llama = model();
    KvCache cache(config_.num_hidden_layers);
    mx::array input(tokens.data(), {1, static_cast<int>(tokens.size())}, mx::int32);
    mx::array pooled = mx::mean(mx::astype(llama.hidden(input, cache), mx::float32), 1);
    mx::array norm = mx::sqrt(mx::sum(mx::square(pooled), -1, true));
    return toVector(mx::divide(pooled, mx::maximum(norm, mx::array(1e-12f))));
  });
}

Napi::Value MlxModel::Unload(const Napi::CallbackInfo& info) {
  return schedule(info.Env(), [this]() -> Result {
    sequences_.clear();
    model_.reset();
    vision_.reset();
    return std::monostate{};
  });
}

}  // namespace heylook

namespace heylook {

// quantize(dst: string, bits: number, groupSize: number, embeddings: boolean) → Promise<void>: writes a quantized
// copy of this model's folder weights (the folder given to the constructor) to dst.
Napi::Value MlxModel::Quantize(const Napi::CallbackInfo& info) {
  const std::string dst = info[0].As<Napi::String>().Utf8Value();
  const int bits = info[1].As<Napi::Number>().Int32Value();
  const int group_size = info[2].As<Napi::Number>().Int32Value();
  const bool embeddings = info[3].ToBoolean();
  return schedule(info.Env(), [this, dst, bits, group_size, embeddings]() -> Result {
    quantize_checkpoint(dir_, dst, bits, group_size, embeddings);
    return std::monostate{};
  });
}

}  // namespace heylook
