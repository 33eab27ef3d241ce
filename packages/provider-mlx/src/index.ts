import { mlxProvider } from './mlx-provider.js';

export { createMlxProvider, mlxProvider, VERSION } from './mlx-provider.js';
export { mlxConfigSchema, type MlxConfig } from './mlx-config.js';
export { MlxModel } from './mlx-model.js';
export { nativeAddon } from './native-binding.js';
export default mlxProvider;
export { convertModel, type ConvertOptions } from './convert-model.js';
export {
  checkNative,
  setupNative,
  mlxWheelDir,
  openblasWheelDir,
  MLX_CPU_VERSION,
  OPENBLAS_VERSION,
  MLX_SETUP_COMMAND,
  type SetupOptions,
} from './native-setup.js';
