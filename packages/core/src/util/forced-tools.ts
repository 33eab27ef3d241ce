import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import type { ChatRequest, ToolDefinition } from '../provider/types.js';

/** Tools the model must call (tool_choice "required" or a named function), or undefined when it may answer in text. */
export function forcedToolsOf(request: ChatRequest): ToolDefinition[] | undefined {
  const tools = request.tools ?? [];
  const choice = request.toolChoice;
  if (!choice || choice === 'auto' || choice === 'none' || tools.length === 0) return undefined;
  if (choice === 'required') return tools;
  const tool = tools.find((item) => item.name === choice.name);
  if (!tool) {
    throw new HeylookError(errorCodes.invalidRequest, `tool_choice names "${choice.name}", which is not in tools.`, { param: 'tool_choice' });
  }
  return [tool];
}
