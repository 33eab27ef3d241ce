import type { ResponseFormat, ToolCallFormat, ToolDefinition } from '@heylook/core';
import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';

/** How the model's template writes a tool call (see mlx-chat-format.ts). */
export interface ToolCallSyntax {
  format: ToolCallFormat;
  /** Mistral v11+: `[TOOL_CALLS]name[ARGS]{…}` rather than a JSON list of calls. */
  namedArguments?: boolean;
}

/** Where the answer starts relative to the model's think block. */
export type ThinkingStart =
  | { mode: 'none' }
  /** The prompt opened the block: the answer begins inside it. */
  | { mode: 'inside'; close: string }
  /** The model opens the block itself, first. */
  | { mode: 'first'; open: string; close: string };

/** The JSON a response format asks for, as a structural tag; undefined for plain text. */
export function jsonGrammarOf(format: ResponseFormat | undefined): StructuralTagFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  // JSON mode is any JSON object, as OpenAI's json_object.
  return { type: 'json_schema', json_schema: format.type === 'json' ? { type: 'object' } : format.schema };
}

/** One call of one of `tools`, written the way the template writes calls (so the output parser reads it as a call). */
export function toolCallGrammarOf(tools: ToolDefinition[], syntax: ToolCallSyntax): StructuralTagFormat {
  const argumentsOf = (tool: ToolDefinition) => tool.parameters ?? { type: 'object', properties: {} };
  const call = (key: 'arguments' | 'parameters') =>
    oneOf(
      tools.map((tool) => ({
        type: 'object',
        properties: { name: { const: tool.name }, [key]: argumentsOf(tool) },
        required: ['name', key],
      })),
    );
  switch (syntax.format) {
    case 'hermes':
      return { type: 'tag', begin: '<tool_call>\n', content: { type: 'json_schema', json_schema: call('arguments') }, end: '\n</tool_call>' };
    case 'llama3':
      return { type: 'json_schema', json_schema: call('parameters') };
    case 'qwen3-xml': {
      const calls = tools.map((tool): StructuralTagFormat => ({
        type: 'tag',
        begin: `<tool_call>\n<function=${tool.name}>\n`,
        content: { type: 'qwen_xml_parameter', json_schema: argumentsOf(tool) },
        end: '\n</function>\n</tool_call>',
      }));
      return calls.length === 1 ? calls[0]! : { type: 'or', elements: calls };
    }
    case 'mistral':
      if (syntax.namedArguments) {
        const named = tools.map((tool): StructuralTagFormat => ({
          type: 'sequence',
          elements: [
            { type: 'const_string', value: `${tool.name}[ARGS]` },
            { type: 'json_schema', json_schema: argumentsOf(tool) },
          ],
        }));
        return { type: 'sequence', elements: [{ type: 'const_string', value: '[TOOL_CALLS]' }, named.length === 1 ? named[0]! : { type: 'or', elements: named }] };
      }
      return {
        type: 'sequence',
        elements: [
          { type: 'const_string', value: '[TOOL_CALLS]' },
          { type: 'json_schema', json_schema: { type: 'array', items: call('arguments'), minItems: 1, maxItems: 1 } },
        ],
      };
  }
}

/** The answer's format after the think block, when the model thinks first; the body alone otherwise. */
export function afterThinking(body: StructuralTagFormat, thinking: ThinkingStart): StructuralTagFormat {
  if (thinking.mode === 'none') return body;
  const block: StructuralTagFormat = {
    type: 'tag',
    begin: thinking.mode === 'first' ? thinking.open : '',
    content: { type: 'any_text' },
    end: thinking.close,
  };
  // Templates put a blank line after the block (`</think>\n\n`); a few newlines are allowed, no more.
  return { type: 'sequence', elements: [block, { type: 'grammar', grammar: 'root ::= [ \\n]{0,4}' }, body] };
}

function oneOf(schemas: Record<string, unknown>[]): Record<string, unknown> {
  return schemas.length === 1 ? schemas[0]! : { anyOf: schemas };
}
