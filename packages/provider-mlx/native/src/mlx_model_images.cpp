#include "js_values.h"
#include "mlx_model.h"

// MlxModel's image input: encodeImage, and the `images` argument of step and verify.
namespace heylook {

std::vector<MlxModel::ImageInput> MlxModel::imagesOf(Napi::Env env, const Napi::Value& value, size_t tokens) const {
  std::vector<ImageInput> images;
  if (value.IsUndefined() || value.IsNull()) return images;
  const char* usage = "images must be { offsets: Int32Array, features: Float32Array[] } with one offset per image";
  if (!value.IsObject()) throw Napi::TypeError::New(env, usage);
  Napi::Object object = value.As<Napi::Object>();
  Napi::Value features = object.Get("features");
  if (!features.IsArray()) throw Napi::TypeError::New(env, usage);
  std::vector<int> offsets = tokensOf(object.Get("offsets"));
  Napi::Array list = features.As<Napi::Array>();
  if (list.Length() != offsets.size()) throw Napi::TypeError::New(env, usage);
  const size_t hidden = static_cast<size_t>(config_.hidden_size);
  size_t covered = 0;  // images must come in order and not overlap
  for (uint32_t index = 0; index < list.Length(); ++index) {
    Napi::Value item = list.Get(index);
    if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw Napi::TypeError::New(env, usage);
    auto rows = item.As<Napi::Float32Array>();
    const size_t count = rows.ElementLength() / hidden;
    if (count == 0 || rows.ElementLength() % hidden != 0) {
      throw Napi::RangeError::New(env, "image " + std::to_string(index) + "'s features are not whole rows of the model's hidden size (" +
                                           std::to_string(hidden) + ")");
    }
    const int offset = offsets[index];
    if (offset < 0 || static_cast<size_t>(offset) < covered || offset + count > tokens) {
      throw Napi::RangeError::New(env, "image " + std::to_string(index) + " (tokens " + std::to_string(offset) + ".." +
                                           std::to_string(offset + count) + ") is outside the tokens or overlaps the image before it");
    }
    covered = offset + count;
    images.push_back({offset, std::vector<float>(rows.Data(), rows.Data() + rows.ElementLength())});
  }
  return images;
}

// encodeImage(pixels: Float32Array, shape: Int32Array) → Promise<Float32Array>: one image through the
// vision tower and projector; row-major [tokens, hidden] rows for step/verify's `images`.
Napi::Value MlxModel::EncodeImage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "encodeImage(pixels: Float32Array, shape: Int32Array)");
  }
  auto pixels = info[0].As<Napi::Float32Array>();
  std::vector<int> dims = tokensOf(info[1]);
  size_t elements = 1;
  for (int dim : dims) elements *= dim > 0 ? static_cast<size_t>(dim) : 0;
  if (dims.empty() || elements != pixels.ElementLength()) throw Napi::RangeError::New(env, "encodeImage: shape does not match the number of pixel values");
  if (dims.size() == 3) dims.insert(dims.begin(), 1);  // [channels, height, width]
  std::vector<float> values(pixels.Data(), pixels.Data() + pixels.ElementLength());
  return schedule(env, [this, values = std::move(values), dims = std::move(dims)]() -> Result {
    model();
    if (!vision_) throw std::runtime_error("this model has no vision tower (config.json has no vision_config)");
    mx::array image(values.data(), mx::Shape(dims.begin(), dims.end()), mx::float32);
    return toVector(vision_->encode(image));
  });
}

}  // namespace heylook
