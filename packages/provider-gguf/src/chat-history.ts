import type { ChatMessage, ToolDefinition } from '@heylook/core';
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse } from 'node-llama-cpp';

/**
 * Canonical messages → node-llama-cpp chat history. Tool calls of an assistant message
 * and the tool results that follow become `functionCall` items with their results, which
 * is how node-llama-cpp's chat wrappers render a tool round trip.
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const callsById = new Map<string, ChatModelFunctionCall>();
  const unanswered: ChatModelFunctionCall[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        history.push({ type: 'system', text: message.content });
        break;
      case 'user':
        history.push({
          type: 'user',
          text: typeof message.content === 'string' ? message.content : message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
        });
        break;
      case 'assistant': {
        const response: ChatModelResponse['response'] = [];
        if (message.reasoning) response.push({ type: 'segment', segmentType: 'thought', text: message.reasoning, ended: true });
        if (message.content) response.push(message.content);
        for (const call of message.toolCalls ?? []) {
          const item: ChatModelFunctionCall = { type: 'functionCall', name: call.name, params: parseArguments(call.arguments), result: undefined };
          callsById.set(call.id, item);
          unanswered.push(item);
          response.push(item);
        }
        history.push({ type: 'model', response });
        break;
      }
      case 'tool': {
        const call = (message.toolCallId && callsById.get(message.toolCallId)) || unanswered.find((item) => item.result === undefined);
        if (call) {
          call.result = parseArguments(message.content);
          unanswered.splice(unanswered.indexOf(call), 1);
        } else {
          // A tool result with no call to answer: keep it visible to the model as text.
          history.push({ type: 'user', text: `Tool result${message.name ? ` (${message.name})` : ''}: ${message.content}` });
        }
        break;
      }
    }
  }
  for (const call of unanswered) call.result ??= '';
  const last = history.at(-1);
  // An assistant message last (without tool calls) is continued; otherwise a new reply starts.
  const continuesLast = last?.type === 'model' && last.response.every((item) => typeof item === 'string');
  if (!continuesLast) history.push({ type: 'model', response: [] });
  return history;
}

export function toChatFunctions(tools: ToolDefinition[]): ChatModelFunctions {
  return Object.fromEntries(
    tools.map((tool) => [
      tool.name,
      {
        description: tool.description,
        params: tool.parameters as never,
      },
    ]),
  );
}

/** A fresh id for the tool call at `index` of one response, in OpenAI's `call_...` style. */
export function toolCallId(index: number): string {
  return `call_${index}_${Math.random().toString(36).slice(2, 10)}`;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
