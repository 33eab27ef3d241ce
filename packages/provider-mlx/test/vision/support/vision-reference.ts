import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../bench');
// @ts-expect-error: a plain .mjs script without types; it owns where the reference is installed.
const { installVisionReference } = (await import('../../../../../bench/install-vision-reference.mjs')) as { installVisionReference: () => string };

/**
 * Installs the pinned transformers + Pillow reference (cached, so only the first run pays) and
 * returns its folder, or the reason it could not be installed. Setting CI or
 * HEYLOOK_REQUIRE_VISION_REFERENCE makes a failed install throw instead, so CI cannot skip.
 */
export function visionReference(): { path: string } | { skipped: string } {
  try {
    return { path: installVisionReference() };
  } catch (error) {
    if (process.env.CI || process.env.HEYLOOK_REQUIRE_VISION_REFERENCE) throw error;
    return { skipped: `the Python vision reference (transformers, Pillow) could not be installed with pip, so there is nothing to compare with: ${(error as Error).message}` };
  }
}

export type ReferenceJob =
  | { op: 'process'; config: Record<string, unknown>; image: string; output: string }
  | { op: 'decode'; image: string; output: string }
  | { op: 'resize'; image: string; width: number; height: number; filter: 'bilinear' | 'bicubic' | 'lanczos'; output: string };

export interface ProcessAnswer {
  shape: number[];
  image_grid_thw: [number, number, number] | null;
  processor: string;
}

/** Runs jobs in one Python process (bench/vision-reference.py); outputs land in the jobs' files. */
export async function runReference(referencePath: string, jobs: ReferenceJob[]): Promise<unknown[]> {
  const child = promisify(execFile)('python3', [path.join(benchDir, 'vision-reference.py')], {
    env: { ...process.env, PYTHONPATH: referencePath, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
    maxBuffer: 16 * 1024 * 1024,
  });
  child.child.stdin!.end(JSON.stringify(jobs));
  const { stdout } = await child;
  return JSON.parse(stdout) as unknown[];
}

export async function readFloat32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
