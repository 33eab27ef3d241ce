import type { StreamPart, ToolDefinition } from '../provider/types.js';
import { jsonValueEnd, partialMarkerLength, tryParseJson } from './text-scan.js';

/**
 * The tool-call formats models write natively:
 * - `hermes`: Hermes, Qwen 2.5/3, and most templates with `<tool_call>{"name":…,"arguments":…}</tool_call>`;
 * - `llama3`: Llama 3.1–3.3, a bare `{"name":…,"parameters":…}` answer, optionally after `<|python_tag|>`;
 * - `mistral`: `[TOOL_CALLS][{"name":…,"arguments":…}]` (v3) or `[TOOL_CALLS]name[ARGS]{…}` (v11+);
 * - `qwen3-xml`: Qwen3-Coder and Qwen3.5, `<tool_call><function=name><parameter=key>value</parameter>…</function></tool_call>`.
 */
export type ToolCallFormat = 'hermes' | 'llama3' | 'mistral' | 'qwen3-xml';

export type ToolCallParserPart = Extract<StreamPart, { type: 'text-delta' | 'tool-call' }>;

export interface ToolCallParserOptions {
  /** The id of the call at `index`, when the model gave none (default `call_<random>`). */
  newId?: (index: number) => string;
  /** The offered tools: `qwen3-xml` writes parameter values as text, and their schema says which are strings. */
  tools?: ToolDefinition[];
}

const markers = { hermes: '<tool_call>', llama3: '<|python_tag|>', mistral: '[TOOL_CALLS]', 'qwen3-xml': '<tool_call>' } as const;
const hermesEnd = '</tool_call>';
const mistralHeader = /^([\w.-]+)\s*(?:\[CALL_ID\]\s*([\w-]+)\s*)?\[ARGS\]\s*/;

/**
 * Turns a model's streamed output into text and tool-call parts. Text passes through as it
 * comes, except what could be the start of a call: that is held until it is one (then it
 * becomes a `tool-call` part) or can't be (then it is text after all). Chunks may split
 * anywhere, markers included. Call `flush()` when generation ends.
 */
export class ToolCallParser {
  readonly #format: ToolCallFormat;
  readonly #newId: (index: number) => string;
  readonly #tools: ToolDefinition[];
  #buffer = '';
  /** start: nothing but whitespace seen yet (Llama answers a call with bare JSON); call: inside a call block. */
  #mode: 'start' | 'text' | 'call';
  /** Trailing whitespace of the text so far: emitted if text follows, dropped before a call or at the end after calls. */
  #heldSpace = '';
  #calls = 0;
  /** Calls parsed in the current block, and the marker that opened it: text after a marker that holds no call is shown with its marker. */
  #callsInBlock = 0;
  #blockMarker = '';

  constructor(format: ToolCallFormat, options: ToolCallParserOptions = {}) {
    this.#format = format;
    this.#newId = options.newId ?? (() => `call_${randomId(24)}`);
    this.#tools = options.tools ?? [];
    this.#mode = format === 'llama3' ? 'start' : 'text';
  }

  /** How many tool calls were parsed so far. */
  get callCount(): number {
    return this.#calls;
  }

  push(text: string): ToolCallParserPart[] {
    this.#buffer += text;
    const parts: ToolCallParserPart[] = [];
    while (this.#step(parts, false));
    return parts;
  }

  /** Generation ended: whatever is held becomes a call if it parses as one, else text. */
  flush(): ToolCallParserPart[] {
    const parts: ToolCallParserPart[] = [];
    while (this.#step(parts, true));
    // A marker with nothing parseable after it (generation cut short) is shown as written.
    this.#text(parts, this.#mode === 'call' && this.#callsInBlock === 0 ? this.#blockMarker + this.#buffer : this.#buffer);
    this.#buffer = '';
    if (this.#calls === 0 && this.#heldSpace) parts.push({ type: 'text-delta', text: this.#heldSpace });
    this.#heldSpace = '';
    return parts;
  }

  /** One step of the state machine; true when it consumed something and should run again. */
  #step(parts: ToolCallParserPart[], ending: boolean): boolean {
    if (this.#buffer === '') return false;
    switch (this.#mode) {
      case 'start':
        return this.#start(parts, ending);
      case 'text':
        return this.#scanText(parts, ending);
      case 'call':
        return this.#format === 'hermes' || this.#format === 'qwen3-xml' ? this.#taggedCall(parts, ending) : this.#jsonCalls(parts, ending);
    }
  }

  /** Llama 3: a reply that opens with `{` or `<|python_tag|>` may be a call. */
  #start(parts: ToolCallParserPart[], ending: boolean): boolean {
    const trimmed = this.#buffer.trimStart();
    if (trimmed === '') return false;
    const marker = markers.llama3;
    const leading = this.#buffer.slice(0, this.#buffer.length - trimmed.length);
    if (trimmed.startsWith(marker) || trimmed.startsWith('{')) this.#heldSpace += leading;
    if (trimmed.startsWith(marker)) {
      this.#buffer = trimmed.slice(marker.length);
      this.#enterCall(marker);
      return true;
    }
    if (trimmed.startsWith('{')) {
      this.#buffer = trimmed;
      this.#enterCall('');
      return true;
    }
    if (marker.startsWith(trimmed) && !ending) return false;
    this.#mode = 'text';
    return true;
  }

  #enterCall(marker: string): void {
    this.#mode = 'call';
    this.#callsInBlock = 0;
    this.#blockMarker = marker;
  }

  /** Text mode: emit up to the next marker, holding back a possible partial marker. */
  #scanText(parts: ToolCallParserPart[], ending: boolean): boolean {
    const marker = markers[this.#format];
    const at = this.#buffer.indexOf(marker);
    if (at >= 0) {
      this.#text(parts, this.#buffer.slice(0, at));
      this.#buffer = this.#buffer.slice(at + marker.length);
      this.#enterCall(marker);
      return true;
    }
    const keep = ending ? 0 : partialMarkerLength(this.#buffer, marker);
    this.#text(parts, this.#buffer.slice(0, this.#buffer.length - keep));
    this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
    return false;
  }

  /** Hermes and Qwen3 XML: the block ends at `</tool_call>`; at the end of generation an unclosed block may still hold a whole call. */
  #taggedCall(parts: ToolCallParserPart[], ending: boolean): boolean {
    const at = this.#buffer.indexOf(hermesEnd);
    if (at < 0 && !ending) return false;
    const body = at < 0 ? this.#buffer : this.#buffer.slice(0, at);
    const rest = at < 0 ? '' : this.#buffer.slice(at + hermesEnd.length);
    const calls = this.#format === 'qwen3-xml' ? parseXmlCall(body, this.#tools) : parseCalls(tryParseJson(body.trim()));
    if (calls) for (const call of calls) this.#call(parts, call);
    else this.#text(parts, `${markers.hermes}${body}${at < 0 ? '' : hermesEnd}`);
    this.#buffer = rest;
    this.#mode = 'text';
    return true;
  }

  /** Llama 3 and Mistral: calls follow one another (separated by whitespace, `;` or more markers) until something else comes. */
  #jsonCalls(parts: ToolCallParserPart[], ending: boolean): boolean {
    const marker = markers[this.#format];
    let rest = this.#buffer.replace(/^[\s;]+/, '');
    if (rest.startsWith(marker)) rest = rest.slice(marker.length).replace(/^\s+/, '');
    if (rest === '' || (!ending && rest.length < marker.length && marker.startsWith(rest))) {
      this.#buffer = rest;
      return false;
    }
    let name: string | undefined;
    let id: string | undefined;
    let jsonStart = 0;
    const header = this.#format === 'mistral' ? mistralHeader.exec(rest) : null;
    if (header) {
      [, name, id] = header;
      jsonStart = header[0].length;
      if (jsonStart === rest.length && !ending) {
        this.#buffer = rest;
        return false;
      }
    } else if (this.#format === 'mistral' && !ending && !rest.startsWith('[') && !rest.includes('{')) {
      // Perhaps a `name[ARGS]` header still arriving; Mistral ends its calls with end-of-sequence, so waiting costs nothing.
      this.#buffer = rest;
      return false;
    }
    const end = rest[jsonStart] === '{' || rest[jsonStart] === '[' ? jsonValueEnd(rest, jsonStart) : -2;
    if (end === -1 && !ending) {
      this.#buffer = rest;
      return false;
    }
    const value = end > 0 ? tryParseJson(rest.slice(jsonStart, end)) : undefined;
    const calls = name !== undefined ? (isObject(value) ? [{ name, arguments: JSON.stringify(value), ...(id ? { id } : {}) }] : undefined) : parseCalls(value);
    if (!calls) {
      // Not a call after all (a JSON answer, or prose after the calls): the rest is text.
      this.#text(parts, this.#callsInBlock === 0 ? this.#blockMarker + rest : rest);
      this.#buffer = '';
      this.#mode = 'text';
      return false;
    }
    for (const call of calls) this.#call(parts, call);
    this.#buffer = rest.slice(end);
    return true;
  }

  /** Emits text, holding its trailing whitespace until more text comes: before a call or at the end after calls it is dropped. */
  #text(parts: ToolCallParserPart[], text: string): void {
    const body = text.replace(/\s+$/, '');
    if (body) {
      parts.push({ type: 'text-delta', text: this.#heldSpace + body });
      this.#heldSpace = '';
    }
    this.#heldSpace += text.slice(body.length);
  }

  #call(parts: ToolCallParserPart[], call: ParsedCall): void {
    const index = this.#calls++;
    this.#callsInBlock++;
    this.#heldSpace = '';
    parts.push({ type: 'tool-call', index, id: call.id ?? this.#newId(index), name: call.name, arguments: call.arguments });
  }
}

interface ParsedCall {
  name: string;
  arguments: string;
  id?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A call object (`{name, arguments|parameters}`, arguments an object or its JSON text) or a list of them; undefined if it is anything else. */
function parseCalls(value: unknown): ParsedCall[] | undefined {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) return undefined;
  const calls: ParsedCall[] = [];
  for (const item of items) {
    // Both keys checked, so a JSON answer that happens to have a "name" is not taken for a call.
    if (!isObject(item) || typeof item.name !== 'string' || !('arguments' in item || 'parameters' in item)) return undefined;
    let args = item.arguments ?? item.parameters;
    if (typeof args === 'string') args = tryParseJson(args);
    if (!isObject(args)) return undefined;
    calls.push({ name: item.name, arguments: JSON.stringify(args), ...(typeof item.id === 'string' ? { id: item.id } : {}) });
  }
  return calls;
}

/**
 * Qwen3-Coder's call: `<function=name>`, then `<parameter=key>\nvalue\n</parameter>` for each
 * argument, then `</function>`. Values are text as the template writes them (objects and lists
 * as JSON), trimmed; a parameter the tool's schema types as a string stays text, others are read as
 * JSON (or Python's True/False/None, which templates print) and stay text when they are not.
 */
function parseXmlCall(body: string, tools: ToolDefinition[]): ParsedCall[] | undefined {
  const call = /^\s*<function=([^>\n]+)>\n?([\s\S]*?)<\/function>\s*$/.exec(body);
  if (!call) return undefined;
  const name = call[1]!.trim();
  const properties = (tools.find((tool) => tool.name === name)?.parameters?.properties ?? {}) as Record<string, { type?: unknown }>;
  const args: Record<string, unknown> = {};
  const parameter = /\s*<parameter=([^>\n]+)>\n?([\s\S]*?)\n?<\/parameter>/y;
  let at = 0;
  for (let match = parameter.exec(call[2]!); match; match = parameter.exec(call[2]!)) {
    const key = match[1]!.trim();
    args[key] = xmlValue(match[2]!, properties[key]?.type);
    at = parameter.lastIndex;
  }
  if (call[2]!.slice(at).trim() !== '') return undefined;
  return [{ name, arguments: JSON.stringify(args) }];
}

function xmlValue(raw: string, type: unknown): unknown {
  // Whitespace around a value is layout (the grammar of a forced call allows it there), not content.
  const text = raw.trim();
  if (type === 'string' || (Array.isArray(type) && type.includes('string'))) return text;
  const python: Record<string, unknown> = { True: true, False: false, None: null };
  if (text in python) return python[text];
  const value = tryParseJson(text);
  return value === undefined ? text : value;
}

const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random alphanumeric id (Mistral's templates insist on 9 alphanumeric characters). */
export function randomId(length: number): string {
  let id = '';
  for (let index = 0; index < length; index++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}
