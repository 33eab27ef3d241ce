// Image preprocessing time per 1024x768 image: decoding (sharp) and each image processor (our
// Pillow-exact TypeScript), next to transformers' PIL-backed processors on the same image.
// Needs `npx -y pnpm@10 --filter @heylook/provider-mlx... run build`; installs the Python reference
// like the tests do. Usage: node bench/vision-preprocess-bench.mjs [repeats]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../packages/provider-mlx/dist/vision/image-input.js';
import { ImageProcessor } from '../packages/provider-mlx/dist/vision/image-processor.js';
import { installVisionReference } from './install-vision-reference.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// sharp is provider-mlx's dependency, not the workspace root's.
const sharp = (await import(createRequire(path.join(here, '../packages/provider-mlx/package.json')).resolve('sharp'))).default;
const repeats = Number(process.argv[2] ?? 10);
const [width, height] = [1024, 768];
const clipMean = [0.48145466, 0.4578275, 0.40821073];
const clipStd = [0.26862954, 0.26130258, 0.27577711];
const configs = {
  'CLIP 336 (LLaVA 1.5)': { image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: 336 }, crop_size: { height: 336, width: 336 }, resample: 3, image_mean: clipMean, image_std: clipStd },
  'SigLIP 384': { image_processor_type: 'SiglipImageProcessor', size: { height: 384, width: 384 }, resample: 3, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
  'Qwen2.5-VL': { image_processor_type: 'Qwen2VLImageProcessor', min_pixels: 3136, max_pixels: 12845056, patch_size: 14, temporal_patch_size: 2, merge_size: 2, image_mean: clipMean, image_std: clipStd },
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(run) {
  await run();
  const times = [];
  for (let index = 0; index < repeats; index++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

const raw = Buffer.alloc(width * height * 3);
let state = 1;
for (let index = 0; index < raw.length; index++) {
  state = (state * 1103515245 + 12345) % 2147483648;
  const pixel = Math.floor(index / 3);
  raw[index] = Math.max(0, Math.min(255, Math.round(((pixel % width) + Math.floor(pixel / width)) / 7 + ((state >> 16) % 81) - 40)));
}
const png = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
const folder = mkdtempSync(path.join(tmpdir(), 'heylook-vision-bench-'));
writeFileSync(path.join(folder, 'image.png'), png);

console.log(`${width}x${height}, median of ${repeats} runs, ms per image`);
for (const [name, bytes] of [['PNG', png], ['JPEG', jpeg]]) {
  console.log(`decode ${name.padEnd(5)} (sharp)                 ${(await time(() => decodeImage({ type: 'image', data: bytes }))).toFixed(1)}`);
}
const image = await decodeImage({ type: 'image', data: png });
const jobs = Object.values(configs).map((config, index) => ({ op: 'process', config, image: path.join(folder, 'image.png'), output: path.join(folder, `${index}.f32`), repeat: repeats }));
const reference = JSON.parse(
  execFileSync('python3', [path.join(here, 'vision-reference.py')], {
    input: JSON.stringify(jobs),
    env: { ...process.env, PYTHONPATH: installVisionReference(), HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
  }).toString(),
);
for (const [index, [name, config]] of Object.entries(configs).entries()) {
  const processor = ImageProcessor.fromConfig(config);
  const ours = await time(() => processor.process(image));
  const { shape } = processor.process(image);
  console.log(`${name.padEnd(22)} ours ${ours.toFixed(1).padStart(6)}   transformers ${reference[index].milliseconds.toFixed(1).padStart(6)}   shape [${shape.join(', ')}]`);
}
