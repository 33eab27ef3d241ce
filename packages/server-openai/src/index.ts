import { openaiServer } from './openai-server.js';

export { openaiServer } from './openai-server.js';
export type { OpenAIServerOptions } from './openai-server-options.js';
export { toOpenAIError, type OpenAIErrorBody } from './openai-error.js';
export { ChatChunkMapper, CompletionChunkMapper } from './to-openai-chunk.js';
export { toChatRequest } from './to-chat-request.js';
export { ResponseStore, type ResponseStoreOptions, type StoredResponse } from './response-store.js';
export { ResponseEventMapper, type ResponseEvent } from './to-responses-events.js';
export const VERSION = '0.1.0';
export default openaiServer;
