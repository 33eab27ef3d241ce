import { errorCodes } from '@heylook/core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImagePart } from '@heylook/core';
import { decodeImage } from '../../src/vision/image-input.js';

const width = 7;
const height = 5;
const pixels = Buffer.from(Array.from({ length: width * height * 3 }, (_, index) => (index * 37) % 256));
let png: Buffer;

beforeAll(async () => {
  png = await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
});

async function refusal(source: ImagePart, options: Parameters<typeof decodeImage>[1] = {}) {
  const error = await decodeImage(source, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'decodeImage should have refused the image').toBeDefined();
  return error as { code: string; message: string; param: string | undefined };
}

describe('decodeImage', () => {
  it('decodes an image part to its RGB bytes', async () => {
    const image = await decodeImage({ type: 'image', data: new Uint8Array(png), mediaType: 'image/png' });
    expect([image.width, image.height]).toEqual([width, height]);
    expect(Buffer.from(image.data).equals(pixels)).toBe(true);
  });

  it('applies the EXIF orientation, as mlx-vlm does when it loads an image', async () => {
    const rotated = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await decodeImage({ type: 'image', data: rotated });
    expect([image.width, image.height]).toEqual([height, width]);
  });

  it('refuses images over the byte limit with payload too large', async () => {
    const options = { maxBytes: png.length - 1 };
    expect(await refusal({ type: 'image', data: new Uint8Array(png) }, options)).toMatchObject({ code: errorCodes.payloadTooLarge, message: expect.stringMatching(/limit is \d+ bytes/) });
    await expect(decodeImage({ type: 'image', data: new Uint8Array(png) }, { maxBytes: png.length })).resolves.toMatchObject({ width });
  });

  it('refuses images over the pixel limit before decoding them', async () => {
    const refused = await refusal({ type: 'image', data: new Uint8Array(png) }, { maxPixels: width * height - 1 });
    expect(refused).toMatchObject({ code: errorCodes.payloadTooLarge, message: expect.stringMatching(/7x5 \(35 pixels\); the limit is 34 pixels/) });
    await expect(decodeImage({ type: 'image', data: new Uint8Array(png) }, { maxPixels: width * height })).resolves.toMatchObject({ height });
  });

  it('refuses corrupt and truncated images with a coded invalid request', async () => {
    const truncated = png.subarray(0, png.length - 20);
    expect(await refusal({ type: 'image', data: new Uint8Array(truncated) })).toMatchObject({ code: errorCodes.invalidRequest, message: expect.stringMatching(/PNG image could not be decoded/) });
    const garbage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);
    expect(await refusal({ type: 'image', data: new Uint8Array(garbage) })).toMatchObject({ code: errorCodes.invalidRequest, message: expect.stringMatching(/JPEG image could not be decoded/) });
  });

  it('refuses formats other than PNG, JPEG and WebP, whatever the media type says', async () => {
    const gif = await sharp(pixels, { raw: { width, height, channels: 3 } }).gif().toBuffer();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    for (const data of [gif, svg]) {
      expect(await refusal({ type: 'image', data: new Uint8Array(data), mediaType: 'image/png' })).toMatchObject({ code: errorCodes.invalidRequest, message: expect.stringMatching(/not PNG, JPEG or WebP/) });
    }
  });
});
