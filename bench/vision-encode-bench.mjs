// Image prefill time (vision tower + projector, one image at the model's resolution) through our
// addon and through mlx-vlm on the same random full-size towers (bench/make-random-vlm.mjs
// --full-size: CLIP ViT-L/14 at 336 for llava-1.5, SigLIP So400m at 896 for Gemma 3), float32:
//   node bench/vision-encode-bench.mjs [llava|gemma3 ...] [--runs N]
// Prints ms per image (median of N runs after a warm-up) for both.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMlxVlm } from './install-mlx-vlm.mjs';
import { makeRandomVlm } from './make-random-vlm.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../packages/provider-mlx/dist');
const { readModelConfig } = await import(path.join(dist, 'mlx-folder.js'));
const { nativeAddon } = await import(path.join(dist, 'native-binding.js'));

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const families = args.filter((arg, index) => !arg.startsWith('--') && index !== runsAt + 1);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pythonPath = installMlxVlm();
const root = await mkdtemp(path.join(os.tmpdir(), 'heylook-vision-bench-'));

try {
  for (const family of families.length ? families : ['llava', 'gemma3']) {
    const dir = path.join(root, family);
    await makeRandomVlm(dir, family, { fullSize: true });
    const { native } = await readModelConfig(dir);
    const model = new (nativeAddon().MlxModel)(dir, native);
    await model.load();
    const size = native.vision.image_size;
    const pixels = Float32Array.from({ length: 3 * size * size }, () => Math.random() * 2 - 1);
    const ours = [];
    for (let run = 0; run <= runs; run++) {
      const start = performance.now();
      await model.encodeImage(pixels, Int32Array.of(1, 3, size, size));
      if (run > 0) ours.push(performance.now() - start);
    }
    await model.unload();
    const theirs = JSON.parse(
      execFileSync('python3', [path.join(here, 'mlx-vlm-encode-bench.py'), dir, String(runs)], { env: { ...process.env, PYTHONPATH: pythonPath, HF_HUB_OFFLINE: '1' } }).toString(),
    ).ms;
    console.log(`${family} ${size}x${size}, ${native.vision.tokens_per_image} tokens: heylook ${median(ours).toFixed(0)} ms/image, mlx-vlm ${median(theirs).toFixed(0)} ms/image (median of ${runs})`);
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
