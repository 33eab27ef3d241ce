import { errorCodes, HeylookError, type ChatRequest, type ToolDefinition } from '@heylook/core';
import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { createJsonSchemaGrammar } from './json-schema-grammar.js';
import { messageOf } from './message-of.js';

/**
 * A forced call is generated under a grammar: the arguments object of the one tool, or
 * `{"name": ..., "arguments": ...}` choosing among several. It always parses.
 */
export function forcedToolGrammar(llama: Llama, tools: ToolDefinition[]): LlamaGrammar {
  const argumentsSchema = (tool: ToolDefinition) => tool.parameters ?? { type: 'object', properties: {} };
  const schema =
    tools.length === 1
      ? argumentsSchema(tools[0]!)
      : {
          oneOf: tools.map((tool) => ({
            type: 'object',
            properties: { name: { const: tool.name }, arguments: argumentsSchema(tool) },
            required: ['name', 'arguments'],
          })),
        };
  return createJsonSchemaGrammar(llama, schema, 'tools');
}

/** The system message that tells the model which function to call and in what form. */
export function withToolInstruction(messages: ChatRequest['messages'], tools: ToolDefinition[]): ChatRequest['messages'] {
  const description = tools
    .map((tool) => `- ${tool.name}${tool.description ? `: ${tool.description}` : ''}\n  parameters: ${JSON.stringify(tool.parameters ?? {})}`)
    .join('\n');
  const instruction =
    tools.length === 1
      ? `Call the function ${tools[0]!.name}. Reply with only its arguments as a JSON object.\n${description}`
      : `Call one of these functions. Reply with only {"name": <function name>, "arguments": <arguments object>}.\n${description}`;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: 'system', content: instruction }, ...messages];
}

/** The calls in a forced call's output (which the grammar made valid JSON, unless cut short). */
export function parseForcedToolOutput(text: string, tools: ToolDefinition[]): { name: string; params: unknown }[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HeylookError(errorCodes.providerError, `The forced tool call did not produce valid JSON (${messageOf(error)}); raise max_tokens.`, {
      cause: error,
    });
  }
  if (tools.length === 1) return [{ name: tools[0]!.name, params: value }];
  const call = value as { name: string; arguments: unknown };
  return [{ name: call.name, params: call.arguments }];
}
