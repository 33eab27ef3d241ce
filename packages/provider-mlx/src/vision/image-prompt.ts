import { createHash } from 'node:crypto';
import { errorCodes, HeylookError } from '@heylook/core';
import type { VisionDescription } from '../mlx-vision-config.js';

/** One image in a tokenized prompt: where its rows start, how many there are, and its content's key. */
export interface ImageSpan {
  start: number;
  length: number;
  /** A digest of the image's bytes: the same picture gets the same key, wherever it is. */
  key: string;
}

/**
 * The rendered chat text with each image placeholder the template wrote expanded as the
 * family's Hugging Face processor expands it: LLaVA repeats `<image>` once per feature row;
 * Gemma 3 turns `<start_of_image>` into a blank line, the marker, the soft tokens,
 * `<end_of_image>` and a blank line.
 */
export function expandImagePlaceholders(text: string, spec: VisionDescription, tokenText: (id: number) => string | undefined): string {
  const image = required(tokenText(spec.imageTokenId), spec.imageTokenId);
  const rows = image.repeat(spec.tokensPerImage);
  if (spec.family === 'llava') return text.split(image).join(rows);
  const begin = required(tokenText(spec.boiTokenId!), spec.boiTokenId!);
  const end = required(tokenText(spec.eoiTokenId!), spec.eoiTokenId!);
  return text.split(begin).join(`\n\n${begin}${rows}${end}\n\n`);
}

/** The image rows of a tokenized prompt, one span per image in order; `images` are their bytes. */
export function imageSpans(ids: number[], spec: VisionDescription, images: Uint8Array[]): ImageSpan[] {
  const spans: ImageSpan[] = [];
  for (let index = 0; index < ids.length; index++) {
    if (ids[index] !== spec.imageTokenId) continue;
    const start = index;
    while (index < ids.length && ids[index] === spec.imageTokenId && index - start < spec.tokensPerImage) index++;
    spans.push({ start, length: index - start, key: '' });
    index--;
  }
  if (spans.length !== images.length || spans.some((span) => span.length !== spec.tokensPerImage)) {
    throw new HeylookError(
      errorCodes.invalidRequest,
      `The prompt holds ${spans.length} image placeholders for ${images.length} images; is an image token written out in the text?`,
      { param: 'messages' },
    );
  }
  return spans.map((span, index) => ({ ...span, key: createHash('sha256').update(images[index]!).digest('hex') }));
}

/**
 * The ids prefix reuse compares: each image row replaced by a number derived from its
 * image's content and its row (negative, so never a real token), so a cached sequence is
 * reused through an image only when it saw the same picture.
 */
export function reuseKeys(ids: number[], spans: ImageSpan[]): number[] {
  const keys = [...ids];
  for (const span of spans) {
    const seed = Number.parseInt(span.key.slice(0, 12), 16);
    for (let row = 0; row < span.length; row++) keys[span.start + row] = -1 - ((seed + row) % 2 ** 48);
  }
  return keys;
}

function required(text: string | undefined, id: number): string {
  if (text === undefined) throw new HeylookError(errorCodes.invalidModelFile, `The vocabulary has no token ${id}, which config.json names as an image token.`);
  return text;
}
