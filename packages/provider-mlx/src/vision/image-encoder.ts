import type { ImagePart } from '@heylook/core';
import { LruCache } from '../lru-cache.js';
import type { NativeModel } from '../native-binding.js';
import { decodeImage } from './image-input.js';
import type { ImageProcessor } from './image-processor.js';

const cachedImages = 16;

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

/**
 * An image's rows for the language model: decoded, preprocessed as the model's processor
 * does, and run through the vision tower and projector. Features are kept by image content
 * for a while, so a picture repeated in later turns is not encoded again.
 */
export class ImageEncoder {
  /** Content key → features. */
  readonly #cache = new LruCache<string, Float32Array>(cachedImages);

  constructor(
    private readonly native: NativeModel,
    private readonly processor: ImageProcessor,
    private readonly limits: ImageLimits,
  ) {}

  async features(image: ImagePart, key: string): Promise<Float32Array> {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const pixels = this.processor.process(await decodeImage(image, { ...this.limits, param: 'messages' }));
    const features = await this.native.encodeImage(pixels.data, Int32Array.from(pixels.shape));
    this.#cache.set(key, features);
    return features;
  }
}
