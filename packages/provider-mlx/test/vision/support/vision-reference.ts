import { installedReference, readFloat32, runPythonJobs } from '../../support/python-jobs.js';

// @ts-expect-error: a plain .mjs script without types; it owns where the reference is installed.
const { installVisionReference } = (await import('../../../../../bench/install-vision-reference.mjs')) as { installVisionReference: () => string };

/** The pinned transformers + Pillow reference's folder, or why it could not be installed. */
export function visionReference(): { path: string } | { skipped: string } {
  return installedReference(installVisionReference, 'The Python vision reference (transformers, Pillow)');
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
export function runReference(referencePath: string, jobs: ReferenceJob[]): Promise<unknown[]> {
  return runPythonJobs('vision-reference.py', referencePath, jobs);
}

export { readFloat32 };
