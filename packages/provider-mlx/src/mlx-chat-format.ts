import { ChatOutputParser, randomId, type ToolCallFormat, type ToolDefinition } from '@heylook/core';

/** What a model's chat template says about its output: how it calls tools, how it thinks. */
export interface MlxChatFormat {
  /** The native tool-call format, when the template renders tools in one we parse. */
  toolCalls?: ToolCallFormat;
  /** Mistral v11+ templates write `[TOOL_CALLS]name[ARGS]{…}` rather than a JSON list of calls. */
  namedArguments?: boolean;
  /** The think markers, when the model reasons in a block before answering. */
  reasoning?: { open: string; close: string };
  /** The template switches thinking with `enable_thinking` (Qwen3). */
  thinkSwitch: boolean;
}

/**
 * Reads the formats from the template source (and the vocabulary), as mlx-lm and llama.cpp
 * infer theirs. Templates that mention tools but write calls in a format we do not parse
 * (gpt-oss harmony, …) get no tool support rather than a wrong one.
 */
export function chatFormatOf(template: string | undefined, hasToken: (text: string) => boolean): MlxChatFormat {
  const source = template ?? '';
  const thinks = source.includes('<think>') || (hasToken('<think>') && hasToken('</think>'));
  return {
    ...(/\btools\b/.test(source) ? toolCallFormatOf(source) : {}),
    ...(thinks ? { reasoning: { open: '<think>', close: '</think>' } } : {}),
    thinkSwitch: source.includes('enable_thinking'),
  };
}

function toolCallFormatOf(template: string): Pick<MlxChatFormat, 'toolCalls' | 'namedArguments'> {
  if (template.includes('[TOOL_CALLS]')) return { toolCalls: 'mistral', namedArguments: template.includes('[ARGS]') };
  // Qwen3-Coder and Qwen3.5 write `<tool_call>\n<function=name>` XML inside the hermes markers.
  if (/<tool_call>(\\n|\n)<function=/.test(template)) return { toolCalls: 'qwen3-xml' };
  if (template.includes('<tool_call>')) return { toolCalls: 'hermes' };
  // Llama 3.1 names <|python_tag|>; 3.2/3.3 spell out the JSON shape they want.
  if (template.includes('<|python_tag|>') || template.includes('"parameters": dictionary of argument name')) return { toolCalls: 'llama3' };
  return {};
}

/** Whether the rendered prompt ends inside an open think block (the template opened it for the model). */
export function promptOpensThink(prompt: string, reasoning: MlxChatFormat['reasoning']): boolean {
  return reasoning !== undefined && prompt.trimEnd().endsWith(reasoning.open);
}

/** The parser for one chat answer: reasoning split off where the model thinks, tool calls parsed when tools were offered. */
export function chatOutputFor(format: MlxChatFormat, prompt: string, tools: ToolDefinition[] | undefined): ChatOutputParser {
  const { toolCalls, reasoning } = format;
  return new ChatOutputParser({
    ...(reasoning ? { reasoning: { ...reasoning, startsInside: promptOpensThink(prompt, reasoning) } } : {}),
    ...(tools && toolCalls ? { toolCalls, tools } : {}),
    // Mistral's templates reject call ids that are not 9 alphanumeric characters.
    newId: toolCalls === 'mistral' ? () => randomId(9) : () => `call_${randomId(24)}`,
  });
}
