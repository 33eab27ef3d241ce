import { openaiServer } from './openai-server.js';

export { openaiServer } from './openai-server.js';
export type { OpenAIServerOptions } from './openai-server-options.js';
export { toOpenAIError, type OpenAIErrorBody } from './openai-error.js';
export { ChatChunkMapper, CompletionChunkMapper } from './to-openai-chunk.js';
export { toChatRequest } from './to-chat-request.js';
export const VERSION = '0.1.0';
export default openaiServer;
