import type { FixedSizeSettings } from './image-processor-config.js';
import { pillowResize } from './pillow-resize.js';
import { pixelLookup } from './pixel-lookup.js';
import type { PixelValues } from './pixel-values.js';
import type { RgbImage } from './rgb-image.js';

/**
 * CLIPImageProcessor and SiglipImageProcessor (transformers' PIL backend): resize, center crop,
 * rescale, normalize, channels-first. LLaVA 1.5 uses the CLIP one (shortest edge 336, crop 336).
 */
export function processFixedSize(settings: FixedSizeSettings, image: RgbImage): PixelValues {
  let resized = image;
  if (settings.resize) {
    const [height, width] = targetSize(settings.size, image.height, image.width);
    resized = pillowResize(image, width, height, settings.filter);
  }
  const crop = settings.crop ?? { height: resized.height, width: resized.width };
  // transformers' center crop rounds the offset down and pads with zero bytes where the crop is larger than the image.
  const top = Math.floor((resized.height - crop.height) / 2);
  const left = Math.floor((resized.width - crop.width) / 2);
  const lookup = pixelLookup(settings);
  const plane = crop.height * crop.width;
  const data = new Float32Array(3 * plane);
  for (let row = 0; row < crop.height; row++) {
    const sourceRow = row + top;
    for (let column = 0; column < crop.width; column++) {
      const sourceColumn = column + left;
      const inside = sourceRow >= 0 && sourceRow < resized.height && sourceColumn >= 0 && sourceColumn < resized.width;
      const pixel = (sourceRow * resized.width + sourceColumn) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const byte = inside ? resized.data[pixel + channel]! : 0;
        data[channel * plane + row * crop.width + column] = lookup[channel * 256 + byte]!;
      }
    }
  }
  return { data, shape: [1, 3, crop.height, crop.width] };
}

/** [height, width] after resizing, as transformers computes it (the shortest edge rule follows torchvision's). */
function targetSize(size: FixedSizeSettings['size'], height: number, width: number): [number, number] {
  if (!('shortestEdge' in size)) return [size.height, size.width];
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size.shortestEdge * long) / short);
  return width <= height ? [newLong, size.shortestEdge] : [size.shortestEdge, newLong];
}
