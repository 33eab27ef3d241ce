import { ggufProvider } from './gguf-provider.js';

export { createGgufProvider, ggufProvider, VERSION } from './gguf-provider.js';
export { ggufConfigSchema, type GgufConfig } from './gguf-config.js';
export { chatFormatNames } from './chat-formats.js';
export { GgufModel } from './gguf-model.js';
export default ggufProvider;
