import { errorCodes, HeylookError, type ChatMessage, type ChatRequest, type ContentPart, type ToolCall } from '@heylook/core';
import { z } from 'zod';
import type { AnthropicContentBlock, AnthropicMessageParam, CountTokensRequest, MessagesRequest } from './request-schemas.js';

const imageSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
  z.object({ type: z.literal('url'), url: z.string() }),
]);
const blockSchemas = {
  text: z.object({ text: z.string() }),
  image: z.object({ source: imageSource }),
  document: z.object({
    source: z.discriminatedUnion('type', [
      z.object({ type: z.literal('text'), data: z.string() }),
      z.object({ type: z.literal('content'), content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]) }),
      z.object({ type: z.enum(['base64', 'url', 'file']) }),
    ]),
  }),
  tool_use: z.object({ id: z.string().min(1), name: z.string().min(1), input: z.unknown() }),
  tool_result: z.object({
    tool_use_id: z.string().min(1),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
    is_error: z.boolean().optional(),
  }),
  thinking: z.object({ thinking: z.string() }),
};

/**
 * Blocks that carry nothing a local model can use: opaque thinking, results of Anthropic's
 * server tools, cache and container markers. History from a real Claude session may hold
 * them, so they are dropped rather than rejected.
 */
const ignoredBlock = (type: string) =>
  type === 'redacted_thinking' || type === 'server_tool_use' || type === 'container_upload' || type === 'search_result' || type === 'tool_reference' || type.endsWith('_tool_result');

/** Validates one content block by its type; a failure names the block (`messages.2.content.0`). */
function parseBlock<K extends keyof typeof blockSchemas>(type: K, block: AnthropicContentBlock, path: string): z.infer<(typeof blockSchemas)[K]> {
  const result = blockSchemas[type].safeParse(block);
  if (result.success) return result.data as z.infer<(typeof blockSchemas)[K]>;
  const issue = result.error.issues[0]!;
  const param = [path, ...issue.path.map(String)].join('.');
  throw new HeylookError(errorCodes.invalidRequest, `Invalid request: "${param}": ${issue.message}`, { param });
}

/** A Messages request → the canonical request every provider understands. */
export function toChatRequest(body: MessagesRequest): ChatRequest {
  const request = toPromptRequest(body);
  request.maxTokens = body.max_tokens;
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.topP = body.top_p;
  if (body.top_k !== undefined) request.topK = body.top_k;
  if (body.stop_sequences?.length) request.stop = body.stop_sequences;
  return request;
}

/** The prompt part of a request (system, messages, tools), shared with count_tokens. */
export function toPromptRequest(body: CountTokensRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  if (body.system !== undefined) {
    const system = typeof body.system === 'string' ? body.system : body.system.map((block) => block.text).join('\n');
    if (system) messages.push({ role: 'system', content: system });
  }
  body.messages.forEach((message, index) => messages.push(...toChatMessages(message, `messages.${index}`)));
  const request: ChatRequest = { messages };

  // Anthropic's server tools (typed web_search_20250305, bash_20250124, …) run on Anthropic's side; skip them.
  const tools = (body.tools ?? []).filter((tool) => !tool.type || tool.type === 'custom');
  if (tools.length > 0) {
    request.tools = tools.map((tool) => ({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.input_schema ?? { type: 'object' },
    }));
  }
  const choice = body.tool_choice;
  if (choice) {
    if (choice.type === 'tool' && !tools.some((tool) => tool.name === choice.name)) {
      throw new HeylookError(errorCodes.invalidRequest, `tool_choice names "${choice.name}", which is not in tools.`, { param: 'tool_choice' });
    }
    if ((choice.type === 'any' || choice.type === 'tool') && tools.length === 0) {
      throw new HeylookError(errorCodes.invalidRequest, `tool_choice "${choice.type}" needs at least one tool in tools.`, { param: 'tool_choice' });
    }
    request.toolChoice = choice.type === 'any' ? 'required' : choice.type === 'tool' ? { name: choice.name } : choice.type;
    if (choice.type !== 'none' && choice.disable_parallel_tool_use) request.parallelToolCalls = false;
  }
  // "adaptive", "between_tools" and any other type leave thinking to the model, like not asking at all.
  if (body.thinking?.type === 'enabled') request.think = true;
  if (body.thinking?.type === 'disabled') request.think = false;
  const format = body.output_config?.format;
  if (format) request.responseFormat = { type: 'json-schema', schema: format.schema };
  return request;
}

/**
 * One Anthropic message → canonical messages. A user turn may carry tool results next to
 * text; each result becomes a `tool` message, in order, so a template sees them where the
 * client put them.
 */
function toChatMessages(message: AnthropicMessageParam, path: string): ChatMessage[] {
  if (typeof message.content === 'string') {
    return [message.role === 'system' ? { role: 'system', content: message.content } : { role: message.role, content: message.content }];
  }
  const blocks = message.content.map((block, index) => ({ block, path: `${path}.content.${index}` }));
  switch (message.role) {
    case 'system':
      return [{ role: 'system', content: texts(blocks).join('\n') }];
    case 'assistant':
      return [toAssistantMessage(blocks)];
    case 'user':
      return toUserMessages(blocks);
  }
}

type PathedBlock = { block: AnthropicContentBlock; path: string };

function texts(blocks: PathedBlock[]): string[] {
  return blocks.flatMap(({ block, path }) => toParts(block, path)).map((part) => (part.type === 'text' ? part.text : '[image]'));
}

function toAssistantMessage(blocks: PathedBlock[]): ChatMessage {
  let content = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const { block, path } of blocks) {
    if (block.type === 'thinking') reasoning += parseBlock('thinking', block, path).thinking;
    else if (block.type === 'tool_use') {
      const call = parseBlock('tool_use', block, path);
      toolCalls.push({ id: call.id, name: call.name, arguments: JSON.stringify(call.input ?? {}) });
    } else content += toParts(block, path).map((part) => (part.type === 'text' ? part.text : '')).join('');
  }
  return { role: 'assistant', content, ...(reasoning ? { reasoning } : {}), ...(toolCalls.length ? { toolCalls } : {}) };
}

function toUserMessages(blocks: PathedBlock[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let parts: ContentPart[] = [];
  const flush = () => {
    if (parts.length === 0) return;
    messages.push({ role: 'user', content: parts.some((part) => part.type === 'image') ? parts : parts.map((part) => (part as { text: string }).text).join('\n') });
    parts = [];
  };
  for (const { block, path } of blocks) {
    if (block.type !== 'tool_result') {
      parts.push(...toParts(block, path));
      continue;
    }
    flush();
    const result = parseBlock('tool_result', block, path);
    const content =
      typeof result.content === 'string'
        ? result.content
        : texts((result.content ?? []).map((inner, index) => ({ block: inner, path: `${path}.content.${index}` }))).join('\n');
    messages.push({ role: 'tool', content: result.is_error ? `Error: ${content}` : content, toolCallId: result.tool_use_id });
  }
  flush();
  return messages;
}

/** Text, image and document blocks → content parts; ignorable blocks → nothing; the rest is a 400. */
function toParts(block: AnthropicContentBlock, path: string): ContentPart[] {
  switch (block.type) {
    case 'text':
      return [{ type: 'text', text: parseBlock('text', block, path).text }];
    case 'image':
      return [toImage(parseBlock('image', block, path).source, path)];
    case 'document': {
      const { source } = parseBlock('document', block, path);
      if (source.type === 'text') return [{ type: 'text', text: source.data }];
      if (source.type === 'content') {
        if (typeof source.content === 'string') return [{ type: 'text', text: source.content }];
        return source.content.flatMap((inner, index) => toParts(inner, `${path}.source.content.${index}`));
      }
      throw new HeylookError(errorCodes.unsupportedCapability, `${path}: only plain-text documents are supported; extract the text of PDFs and send it as a text block.`, {
        param: `${path}.source`,
      });
    }
    case 'thinking':
    case 'tool_use':
    case 'tool_result':
      throw new HeylookError(errorCodes.invalidRequest, `${path}: a ${block.type} block cannot appear here.`, { param: path });
    default:
      if (ignoredBlock(block.type)) return [];
      throw new HeylookError(errorCodes.invalidRequest, `${path}: unknown content block type "${block.type}".`, { param: `${path}.type` });
  }
}

function toImage(source: z.infer<typeof imageSource>, path: string): ContentPart {
  if (source.type === 'base64') {
    return { type: 'image', data: new Uint8Array(Buffer.from(source.data, 'base64')), mediaType: source.media_type };
  }
  const match = /^data:([\w/+.-]+)?;base64,(.*)$/s.exec(source.url);
  if (!match) {
    throw new HeylookError(errorCodes.invalidRequest, `${path}: heylook does not fetch remote images; send the image as a base64 source.`, {
      param: `${path}.source.url`,
    });
  }
  return { type: 'image', data: new Uint8Array(Buffer.from(match[2]!, 'base64')), ...(match[1] ? { mediaType: match[1] } : {}) };
}
