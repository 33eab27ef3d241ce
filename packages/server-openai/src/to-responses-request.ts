import { errorCodes, HeylookError, parseRequest } from '@heylook/core';
import type { z } from 'zod';
import { chatCompletionRequestSchema, type ChatCompletionRequest, type OpenAIChatMessage } from './request-schemas.js';
import {
  functionCallItemSchema,
  functionCallOutputItemSchema,
  functionToolSchema,
  inputContentPartSchema,
  messageItemSchema,
  reasoningItemSchema,
  type ResponsesRequest,
} from './responses-schemas.js';

type ChatBody = z.input<typeof chatCompletionRequestSchema>;
type ContentPart = z.infer<typeof inputContentPartSchema>;

/**
 * A Responses request → a Chat Completions request, so the message, tool, image and
 * response_format mapping (and its validation) lives once, in to-chat-request.ts.
 * `previous` is the stored conversation of `previous_response_id`; `conversation` is it
 * plus this request's input (instructions excluded: like OpenAI's, they are not carried over).
 */
export function toChatCompletionBody(
  body: ResponsesRequest,
  previous: readonly OpenAIChatMessage[] = [],
): { chat: ChatCompletionRequest; conversation: OpenAIChatMessage[] } {
  for (const field of ['background', 'conversation', 'prompt'] as const) {
    if (body[field] !== undefined && body[field] !== null && body[field] !== false) {
      throw new HeylookError(errorCodes.invalidRequest, `"${field}" is not supported by heylook; send the whole input (or previous_response_id) instead.`, {
        param: field,
      });
    }
  }
  if (body.top_logprobs) {
    throw new HeylookError(errorCodes.unsupportedCapability, 'logprobs are not supported by heylook providers yet; leave "top_logprobs" unset.', {
      param: 'top_logprobs',
    });
  }
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input ?? []);
  const conversation = appendItems([...previous], input, 'input');
  if (conversation.length === 0) {
    throw new HeylookError(errorCodes.invalidRequest, '"input" must contain at least one message (or name a previous_response_id).', { param: 'input' });
  }
  const messages = body.instructions ? [{ role: 'system' as const, content: body.instructions }, ...conversation] : conversation;
  const chat: ChatBody = {
    model: body.model,
    messages,
    max_completion_tokens: body.max_output_tokens,
    temperature: body.temperature,
    top_p: body.top_p,
    top_k: body.top_k,
    min_p: body.min_p,
    seed: body.seed,
    repeat_penalty: body.repeat_penalty,
    parallel_tool_calls: body.parallel_tool_calls,
    ...toTools(body),
    ...(body.text?.format ? { response_format: toResponseFormat(body.text.format) } : {}),
    ...(body.keep_alive !== undefined ? { keep_alive: body.keep_alive } : {}),
  };
  return { chat: parseRequest(chatCompletionRequestSchema, chat), conversation };
}

/**
 * Appends Responses items to chat `messages` (a copy the caller owns). Reasoning, an
 * assistant message and function calls that follow each other are one assistant turn, the
 * way a model produced them. Items of tools heylook does not serve (web_search_call,
 * computer_call, mcp_call...) are skipped: no model here produced them and none can use them.
 */
export function appendItems(messages: OpenAIChatMessage[], items: readonly Record<string, unknown>[], param: string): OpenAIChatMessage[] {
  const toolNames = new Map<string, string>();
  for (const message of messages) for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
  // Replaces rather than mutates the last message: it may belong to a stored conversation.
  const openTurn = () => {
    const last = messages.at(-1);
    return last?.role === 'assistant' ? last : undefined;
  };
  const replaceLast = (message: OpenAIChatMessage) => (messages[messages.length - 1] = message);
  items.forEach((item, index) => {
    const at = `${param}.${index}`;
    switch (item.type ?? 'message') {
      case 'message': {
        const message = parseItem(messageItemSchema, item, at);
        if (message.role !== 'assistant') {
          messages.push(toChatMessage(message.role, message.content, at));
          break;
        }
        const content = textOf(message.content, `${at}.content`);
        const turn = openTurn();
        if (turn && !turn.content && !turn.tool_calls?.length) replaceLast({ ...turn, content });
        else messages.push({ role: 'assistant', content });
        break;
      }
      case 'reasoning': {
        const reasoning = parseItem(reasoningItemSchema, item, at);
        // The reasoning text when the client has it, else the summary.
        const text = (reasoning.content?.length ? reasoning.content : reasoning.summary).map((part) => part.text).join('\n');
        const turn = openTurn();
        if (turn && !turn.content && !turn.tool_calls?.length) replaceLast({ ...turn, reasoning_content: turn.reasoning_content ? `${turn.reasoning_content}\n${text}` : text });
        else messages.push({ role: 'assistant', content: '', reasoning_content: text });
        break;
      }
      case 'function_call': {
        const call = parseItem(functionCallItemSchema, item, at);
        toolNames.set(call.call_id, call.name);
        const toolCall = { id: call.call_id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } };
        const turn = openTurn();
        if (turn) replaceLast({ ...turn, tool_calls: [...(turn.tool_calls ?? []), toolCall] });
        else messages.push({ role: 'assistant', content: '', tool_calls: [toolCall] });
        break;
      }
      case 'function_call_output': {
        const output = parseItem(functionCallOutputItemSchema, item, at);
        const name = toolNames.get(output.call_id);
        messages.push({ role: 'tool', tool_call_id: output.call_id, content: textOf(output.output, `${at}.output`), ...(name ? { name } : {}) });
        break;
      }
      case 'item_reference':
        throw new HeylookError(errorCodes.invalidRequest, `${at}: item references are not supported; send the item itself, or use previous_response_id.`, {
          param: at,
        });
      default:
        break;
    }
  });
  return messages;
}

/** Validates one item (or tool); the error names it, e.g. `input.3.call_id`. */
function parseItem<T>(schema: z.ZodType<T>, item: unknown, param: string): T {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = [param, ...issue.path.map(String)].join('.');
  throw new HeylookError(errorCodes.invalidRequest, `Invalid request: "${at}": ${issue.message}`, { param: at });
}

function toChatMessage(role: 'user' | 'system' | 'developer', content: string | ContentPart[], param: string): OpenAIChatMessage {
  if (role !== 'user' || typeof content === 'string') return { role, content: textOf(content, `${param}.content`) };
  return {
    role,
    content: content.map((part, index) => {
      if (part.type !== 'input_image') return { type: 'text' as const, text: partText(part, `${param}.content.${index}`) };
      // Checked here too (to-chat-request checks again) so the error names the input item.
      if (!part.image_url || !/^data:[\w/+.-]*;base64,/.test(part.image_url)) {
        throw new HeylookError(
          errorCodes.invalidRequest,
          `${param}.content.${index}: images must be base64 data URLs (data:image/png;base64,...) in "image_url"; heylook fetches no URLs and has no file store.`,
          { param: `${param}.content.${index}.image_url` },
        );
      }
      return { type: 'image_url' as const, image_url: part.image_url };
    }),
  };
}

function textOf(content: string | ContentPart[], param: string): string {
  return typeof content === 'string' ? content : content.map((part, index) => partText(part, `${param}.${index}`)).join('');
}

function partText(part: ContentPart, param: string): string {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
    case 'summary_text':
    case 'reasoning_text':
      return part.text ?? '';
    case 'refusal':
      return part.refusal ?? '';
    case 'input_image':
      throw new HeylookError(errorCodes.invalidRequest, `${param}: only user messages may contain images.`, { param });
    default:
      throw new HeylookError(errorCodes.unsupportedCapability, `${param}: content of type "${part.type}" is not supported; send input_text or input_image.`, {
        param,
      });
  }
}

/** Function tools are served; other tool types (web_search, namespace, custom...) are skipped. */
function toTools(body: ResponsesRequest): Pick<ChatBody, 'tools' | 'tool_choice'> {
  let tools = (body.tools ?? []).flatMap((tool, index) => {
    if (tool.type !== 'function') return [];
    const { name, description, parameters, strict } = parseItem(functionToolSchema, tool, `tools.${index}`);
    return [{ type: 'function' as const, function: { name, ...(description ? { description } : {}), ...(parameters ? { parameters } : {}), strict } }];
  });
  const choice = body.tool_choice;
  let toolChoice: ChatBody['tool_choice'];
  if (typeof choice === 'string') toolChoice = choice;
  else if (choice?.type === 'function' && typeof choice.name === 'string') toolChoice = { type: 'function', function: { name: choice.name } };
  else if (choice?.type === 'allowed_tools' && 'mode' in choice) {
    const allowed = new Set((choice.tools as { type: string; name?: string }[]).flatMap((tool) => (tool.type === 'function' && tool.name ? [tool.name] : [])));
    tools = tools.filter((tool) => allowed.has(tool.function.name));
    toolChoice = choice.mode as 'auto' | 'required';
  } else if (choice?.type === 'function') {
    throw new HeylookError(errorCodes.invalidRequest, 'tool_choice of type "function" needs the "name" of a function in tools.', { param: 'tool_choice.name' });
  } else if (choice) {
    throw new HeylookError(errorCodes.unsupportedCapability, `tool_choice forces a "${choice.type}" tool, which heylook does not serve; use a function tool.`, {
      param: 'tool_choice',
    });
  }
  if (toolChoice === 'required' && tools.length === 0) {
    throw new HeylookError(errorCodes.invalidRequest, 'tool_choice "required" needs at least one function tool in "tools".', { param: 'tool_choice' });
  }
  return { ...(tools.length ? { tools } : {}), ...(toolChoice ? { tool_choice: toolChoice } : {}) };
}

function toResponseFormat(format: NonNullable<NonNullable<ResponsesRequest['text']>['format']>): ChatBody['response_format'] {
  switch (format.type) {
    case 'text':
    case 'json_object':
      return { type: format.type };
    case 'json_schema':
      return { type: 'json_schema', json_schema: { schema: format.schema, strict: format.strict, ...(format.name ? { name: format.name } : {}) } };
  }
}
