import { llamaServerProvider } from './llama-server-provider.js';

export { createLlamaServerProvider, llamaServerProvider, VERSION } from './llama-server-provider.js';
export { llamaServerConfigSchema, type LlamaServerConfig } from './llama-server-config.js';
export { LlamaServerModel } from './llama-server-model.js';
export { findLlamaServerBinary, llamaServerHint, type FoundBinary, type BinarySource } from './find-binary.js';
export {
  buildLlamaServer,
  findBuiltLlamaServer,
  llamaCppCacheDir,
  type BuildLlamaServerOptions,
  type LlamaServerBuild,
} from './build/build-llama-server.js';
export { findLlamaCppSource, type LlamaCppSource } from './build/llama-cpp-source.js';
export default llamaServerProvider;
