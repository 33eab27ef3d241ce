import { ollamaServer } from './ollama-server.js';

export { ollamaServer, OLLAMA_COMPATIBLE_VERSION } from './ollama-server.js';
export type { OllamaServerOptions } from './ollama-server-options.js';
export { toOllamaError } from './ollama-error.js';
export { toChatLines, toGenerateLines } from './to-ollama-line.js';
export { ollamaName, resolveModelName } from './model-names.js';
export const VERSION = '0.1.0';
export default ollamaServer;
