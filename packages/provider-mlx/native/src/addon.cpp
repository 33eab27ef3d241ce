#include <napi.h>

#include "blas.h"
#include "mlx/version.h"
#include "mlx_model.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("MlxModel", heylook::MlxModel::Define(env));
  exports.Set("mlxVersion", Napi::String::New(env, mlx::core::version()));
  exports.Set("blas", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    const heylook::BlasInfo blas = heylook::blas_info();
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("library", blas.library);
    result.Set("threads", blas.threads);
    result.Set("products", static_cast<double>(blas.products));
    return result;
  }));
  return exports;
}

}  // namespace

NODE_API_MODULE(heylook_mlx, Init)
