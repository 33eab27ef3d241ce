import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bench');

/**
 * Runs a reference script of bench/ (Python mlx-lm, mlx-vlm, transformers) once for many jobs:
 * the jobs go in as JSON on stdin, one answer per job comes back as JSON on stdout.
 */
export async function runPythonJobs<Answer>(script: string, pythonPath: string, jobs: unknown[]): Promise<Answer[]> {
  const child = promisify(execFile)('python3', [path.join(benchDir, script)], {
    env: { ...process.env, PYTHONPATH: pythonPath, TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
    maxBuffer: 64 * 1024 * 1024,
  });
  child.child.stdin!.end(JSON.stringify(jobs));
  return JSON.parse((await child).stdout) as Answer[];
}

/**
 * A reference installed by `install` (cached, so only the first run pays), or why it could not
 * be. Setting CI or HEYLOOK_REQUIRE_VISION_REFERENCE makes a failed install throw instead, so CI
 * cannot skip.
 */
export function installedReference(install: () => string, what: string): { path: string } | { skipped: string } {
  try {
    return { path: install() };
  } catch (error) {
    if (process.env.CI || process.env.HEYLOOK_REQUIRE_VISION_REFERENCE) throw error;
    return { skipped: `${what} could not be installed with pip, so there is nothing to compare with: ${(error as Error).message}` };
  }
}

/** A raw float32 file a reference script wrote. */
export async function readFloat32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
