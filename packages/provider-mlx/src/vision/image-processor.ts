import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorCodes, HeylookError } from '@heylook/core';
import { processFixedSize } from './fixed-size-image-processor.js';
import { imageProcessorSettings, type ImageProcessorSettings } from './image-processor-config.js';
import type { PixelValues } from './pixel-values.js';
import { processQwen2Vl } from './qwen2-vl-image-processor.js';
import type { RgbImage } from './rgb-image.js';

/** Turns decoded images into the pixel values a model's Hugging Face image processor would produce. */
export class ImageProcessor {
  readonly settings: ImageProcessorSettings;

  constructor(settings: ImageProcessorSettings) {
    this.settings = settings;
  }

  /** From a parsed preprocessor_config.json; `where` names it in errors. */
  static fromConfig(config: unknown, where?: string): ImageProcessor {
    return new ImageProcessor(imageProcessorSettings(config, where));
  }

  /** From a model folder's preprocessor_config.json (Hugging Face / mlx-community layout). */
  static async fromFolder(folder: string): Promise<ImageProcessor> {
    const file = path.join(folder, 'preprocessor_config.json');
    let config: unknown;
    try {
      config = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new HeylookError(errorCodes.invalidModelFile, `${folder} has no readable preprocessor_config.json; a vision model folder needs one to preprocess images.`, {
        cause: error,
        param: 'model_path',
      });
    }
    return ImageProcessor.fromConfig(config, file);
  }

  process(image: RgbImage): PixelValues {
    return this.settings.kind === 'qwen2-vl' ? processQwen2Vl(this.settings, image) : processFixedSize(this.settings, image);
  }
}
