/** Small helpers for the streaming parsers: markers split across chunks, JSON values in text. */

/** How many characters at the end of `text` could be the start of `marker` (and so must wait for more text). */
export function partialMarkerLength(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(marker.slice(0, length))) return length;
  }
  return 0;
}

/**
 * Where the JSON object or array starting at `start` ends (the index after its closing
 * bracket), or -1 while it is incomplete. Only brackets and strings are tracked: whether the
 * value is valid JSON is for JSON.parse to say.
 */
export function jsonValueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth <= 0) return index + 1;
    }
  }
  return -1;
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
