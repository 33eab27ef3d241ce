#include <napi.h>

#include "mlx/version.h"
#include "mlx_model.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("MlxModel", heylook::MlxModel::Define(env));
  exports.Set("mlxVersion", Napi::String::New(env, mlx::core::version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(heylook_mlx, Init)
