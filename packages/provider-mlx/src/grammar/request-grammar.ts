import { forcedToolsOf, type ChatRequest, type GenerationOptions } from '@heylook/core';
import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';
import { promptOpensThink, type MlxChatFormat } from '../mlx-chat-format.js';
import { afterThinking, jsonGrammarOf, toolCallGrammarOf, type ThinkingStart } from './output-grammar.js';

/** What an answer must match, and the request field it came from (named in the 400 an unusable schema gets). */
export interface RequestGrammar {
  format: StructuralTagFormat;
  param: 'tool_choice' | 'response_format';
}

/** Whether the answer is constrained: a forced tool call, JSON mode or a JSON schema. */
export function isConstrained(request: ChatRequest): boolean {
  return forcedToolsOf(request) !== undefined || jsonGrammarOf(request.responseFormat) !== undefined;
}

/**
 * The grammar of a chat answer: a call of the forced tools in the template's own call syntax
 * (so the output parser turns it into tool-call parts), else the response format's JSON;
 * after the think block when the model thinks first.
 */
export function chatGrammarOf(request: ChatRequest, chatFormat: MlxChatFormat, prompt: string): RequestGrammar | undefined {
  const forced = forcedToolsOf(request);
  const toolCalls = chatFormat.toolCalls;
  const body = forced && toolCalls ? toolCallGrammarOf(forced, { format: toolCalls, namedArguments: chatFormat.namedArguments }) : jsonGrammarOf(request.responseFormat);
  if (!body) return undefined;
  return { format: afterThinking(body, thinkingStart(chatFormat, prompt, request.think)), param: forced ? 'tool_choice' : 'response_format' };
}

/** The grammar of a raw completion: the response format's JSON. */
export function completionGrammarOf(request: GenerationOptions): RequestGrammar | undefined {
  const body = jsonGrammarOf(request.responseFormat);
  return body && { format: body, param: 'response_format' };
}

function thinkingStart(chatFormat: MlxChatFormat, prompt: string, think: boolean | undefined): ThinkingStart {
  const { reasoning } = chatFormat;
  if (!reasoning) return { mode: 'none' };
  if (promptOpensThink(prompt, reasoning)) return { mode: 'inside', close: reasoning.close };
  return think === true ? { mode: 'first', ...reasoning } : { mode: 'none' };
}
