import { anthropicServer } from './anthropic-server.js';

export { anthropicServer } from './anthropic-server.js';
export type { AnthropicServerOptions } from './anthropic-server-options.js';
export { toAnthropicError, type AnthropicErrorBody, type AnthropicErrorType } from './anthropic-error.js';
export { MessageEventMapper, toAnthropicMessage, createMessageContext } from './to-anthropic-message.js';
export { toChatRequest } from './to-chat-request.js';
export const VERSION = '0.1.0';
export default anthropicServer;
