import { openAICompatibleProvider } from './openai-compatible-provider.js';

export {
  createOpenAICompatibleProvider,
  openAICompatibleProvider,
  VERSION,
  type OpenAICompatibleProviderPlugin,
  type OpenAICompatibleReadiness,
} from './openai-compatible-provider.js';
export { openAICompatibleConfigSchema, type OpenAICompatibleConfig } from './openai-compatible-config.js';
export { OpenAICompatibleModel } from './openai-compatible-model.js';
export { SseParser, readSse, type SseEvent } from './sse-parser.js';
export default openAICompatibleProvider;
