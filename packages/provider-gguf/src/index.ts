import { ggufProvider } from './gguf-provider.js';

export { createGgufProvider, ggufProvider, VERSION } from './gguf-provider.js';
export { ggufConfigSchema, type GgufConfig } from './gguf-config.js';
export { chatFormatNames } from './chat-formats.js';
export { GgufModel } from './gguf-model.js';
export { buildNativeBinding, cpuKey, nativeBindingStatus, type BuildNativeBindingOptions, type NativeBindingBuild } from './native-build.js';
export default ggufProvider;
