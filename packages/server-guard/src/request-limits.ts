import { errorCodes, HeylookError } from '@heylook/core';

export interface RequestLimits {
  /** Most entries in a request's `messages` (default 2048). */
  maxMessages: number;
  /** Most images in one request, over all messages (default 16). */
  maxImages: number;
  /** Largest image, decoded, in bytes (default 20 MiB). */
  maxImageBytes: number;
}

export const defaultRequestLimits: RequestLimits = {
  maxMessages: 2048,
  maxImages: 16,
  maxImageBytes: 20 * 1024 * 1024,
};

/** How deep the image search looks; real requests nest images 4–5 levels deep. */
const maxSearchDepth = 12;

/**
 * Checks a parsed request body against the limits, before any model work. It knows the
 * three protocols' image shapes (OpenAI `image_url`/`input_image` parts, Ollama `images`
 * arrays, Anthropic `image` blocks) so one check covers every API, present and future.
 */
export function checkRequestLimits(body: unknown, limits: RequestLimits): void {
  if (typeof body !== 'object' || body === null) return;
  const messages = (body as { messages?: unknown }).messages;
  if (Array.isArray(messages) && messages.length > limits.maxMessages) {
    throw tooLarge(`The request has ${messages.length} messages; at most ${limits.maxMessages} are allowed.`, 'messages');
  }
  let count = 0;
  for (const bytes of imageSizes(body, 0)) {
    count++;
    if (count > limits.maxImages) throw tooLarge(`The request has more than ${limits.maxImages} images.`, 'images');
    if (bytes > limits.maxImageBytes) {
      throw tooLarge(`An image is about ${bytes} bytes; at most ${limits.maxImageBytes} bytes are allowed per image.`, 'images');
    }
  }
}

/** Decoded sizes (estimated from base64 length) of the images in a body. */
function* imageSizes(value: unknown, depth: number): Generator<number> {
  if (depth > maxSearchDepth || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) yield* imageSizes(item, depth + 1);
    return;
  }
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.images)) {
    for (const image of record.images) yield typeof image === 'string' ? base64Bytes(image) : 0;
  }
  const type = record.type;
  if (type === 'image_url' || type === 'input_image') {
    const url = typeof record.image_url === 'string' ? record.image_url : (record.image_url as { url?: unknown } | undefined)?.url;
    yield typeof url === 'string' ? base64Bytes(url) : 0;
    return;
  }
  if (type === 'image') {
    const data = (record.source as { data?: unknown } | undefined)?.data;
    yield typeof data === 'string' ? base64Bytes(data) : 0;
    return;
  }
  for (const [key, child] of Object.entries(record)) {
    if (key !== 'images') yield* imageSizes(child, depth + 1);
  }
}

/** Bytes a base64 payload (or data URL) decodes to; a plain URL counts as 0. */
function base64Bytes(text: string): number {
  if (/^https?:/i.test(text)) return 0;
  const comma = text.startsWith('data:') ? text.indexOf(',') + 1 : 0;
  return Math.floor(((text.length - comma) * 3) / 4);
}

function tooLarge(message: string, param: string): HeylookError {
  return new HeylookError(errorCodes.payloadTooLarge, message, { param });
}
