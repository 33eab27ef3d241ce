import { errorCodes, HeylookError, type ImagePart } from '@heylook/core';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { RgbImage } from './rgb-image.js';

export interface ImageInputOptions {
  /** Largest encoded image accepted, in bytes. */
  maxBytes?: number;
  /** Largest decoded image accepted, in pixels (width * height); checked before decoding. */
  maxPixels?: number;
  /** The request field errors name. */
  param?: string;
}

/** 20 MiB, OpenAI's own limit per image; 32 Mpx (e.g. 8192 x 4096) is 96 MiB decoded. */
export const defaultImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 32 * 1024 * 1024 } as const;

type ImageFormat = 'png' | 'jpeg' | 'webp';

/**
 * Decodes a PNG, JPEG or WebP image to 8-bit RGB as Pillow (and so mlx-vlm) sees it: EXIF
 * orientation applied, an embedded ICC profile ignored rather than converted, transparency
 * composited onto white, grey replicated to three channels. The servers have already turned data
 * URLs and base64 into bytes (and refused remote URLs). Every refusal is a coded error: invalid
 * request for other formats and corrupt data; payload too large over the limits.
 */
export async function decodeImage(image: ImagePart, options: ImageInputOptions = {}): Promise<RgbImage> {
  const param = options.param ?? 'messages';
  const maxBytes = options.maxBytes ?? defaultImageLimits.maxBytes;
  const maxPixels = options.maxPixels ?? defaultImageLimits.maxPixels;
  const bytes = image.data;
  if (bytes.byteLength > maxBytes) {
    throw new HeylookError(errorCodes.payloadTooLarge, `The image is ${bytes.byteLength} bytes; the limit is ${maxBytes} bytes. Send a smaller image.`, { param });
  }
  const format = sniffFormat(bytes);
  if (!format) {
    throw new HeylookError(errorCodes.invalidRequest, 'The image is not PNG, JPEG or WebP (judged by its first bytes); those are the formats the mlx provider reads.', { param });
  }
  const input = sharp(bytes, { autoOrient: true, ignoreIcc: true, limitInputPixels: false });
  let metadata: Metadata;
  try {
    metadata = await input.metadata();
  } catch (error) {
    throw corrupt(format, error, param);
  }
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (pixels > maxPixels) {
    throw new HeylookError(errorCodes.payloadTooLarge, `The image is ${metadata.width}x${metadata.height} (${pixels} pixels); the limit is ${maxPixels} pixels. Send a smaller image.`, { param });
  }
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await input.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw corrupt(format, error, param);
  }
  return toRgb(decoded.data, decoded.info.width, decoded.info.height, decoded.info.channels);
}

function corrupt(format: ImageFormat, error: unknown, param: string): HeylookError {
  const reason = error instanceof Error ? error.message.trim() : String(error);
  return new HeylookError(errorCodes.invalidRequest, `The ${format.toUpperCase()} image could not be decoded (${reason}); it is damaged or truncated.`, { cause: error, param });
}

function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (offset: number, signature: number[]) => signature.every((byte, index) => bytes[offset + index] === byte);
  if (starts(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts(0, [0x52, 0x49, 0x46, 0x46]) && starts(8, [0x57, 0x45, 0x42, 0x50])) return 'webp';
  return undefined;
}

/** Grey, grey + alpha, RGB or RGBA bytes → RGB, compositing alpha onto white with Pillow's integer arithmetic. */
function toRgb(source: Uint8Array, width: number, height: number, channels: number): RgbImage {
  const pixels = width * height;
  if (channels === 3) return { width, height, data: new Uint8Array(source.buffer, source.byteOffset, pixels * 3) };
  const data = new Uint8Array(pixels * 3);
  const hasAlpha = channels === 2 || channels === 4;
  const colourChannels = hasAlpha ? channels - 1 : channels;
  for (let pixel = 0; pixel < pixels; pixel++) {
    const base = pixel * channels;
    const alpha = hasAlpha ? source[base + channels - 1]! : 255;
    for (let channel = 0; channel < 3; channel++) {
      const value = source[base + (colourChannels === 1 ? 0 : channel)]!;
      data[pixel * 3 + channel] = hasAlpha ? overWhite(value, alpha) : value;
    }
  }
  return { width, height, data };
}

/**
 * Pillow's alpha_composite of one channel over an opaque white background: weights in 1/128 steps
 * and a rounded division by 255 done with shifts, as transformers' convert_to_rgb ends up computing.
 */
function overWhite(value: number, alpha: number): number {
  if (alpha === 0) return 255;
  const sum = (value * alpha + 255 * (255 - alpha)) * 128 + (0x80 << 7);
  return (((sum >> 8) + sum) >> 8) >> 7;
}
