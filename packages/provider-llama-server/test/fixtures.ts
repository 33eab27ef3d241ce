import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamPart } from '@heylook/core';
import { createTestModel, fixturesDir } from '@heylook/core/testing';
import { findLlamaServerBinary } from '../src/find-binary.js';
import { findBuiltLlamaServer, llamaServerProvider } from '../src/index.js';
import type { LlamaServerModel } from '../src/llama-server-model.js';

export { fixturesDir, referenceStory } from '@heylook/core/testing';
export const storiesPath = path.join(fixturesDir, 'stories260K.gguf');

/**
 * The llama-server these tests run. Without one (no build yet) the suites are skipped with a
 * notice, unless HEYLOOK_REQUIRE_LLAMA_SERVER=1 (scripts/test.sh, which builds it first) says a
 * missing binary is a failure.
 */
export const binary = findLlamaServerBinary();
if (!binary) {
  const message = 'no llama-server binary: run `heylook llama-server build` or packages/provider-llama-server/scripts/build-llama-server.sh (or set HEYLOOK_LLAMA_SERVER)';
  if (process.env.HEYLOOK_REQUIRE_LLAMA_SERVER === '1') throw new Error(message);
  console.warn(`SKIPPING the llama-server tests: ${message}`);
}
export const noBinary = binary === undefined;

/** Creates (not loads) a stories260K model with config overrides, validated like models.yaml. */
export function createStories(config: Record<string, unknown> = {}, modelId = 'stories'): LlamaServerModel {
  return createTestModel(llamaServerProvider, { model_path: 'stories260K.gguf', n_ctx: 512, parallel: 2, ...config }, { id: modelId }) as LlamaServerModel;
}

export interface Collected {
  text: string;
  parts: StreamPart[];
  finish: Extract<StreamPart, { type: 'finish' }>;
}

export async function collect(stream: AsyncIterable<StreamPart>): Promise<Collected> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const finish = parts.find((part) => part.type === 'finish');
  if (!finish || finish.type !== 'finish') throw new Error('stream ended without a finish part');
  return { text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''), parts, finish };
}

/** True while a process with this pid exists and is not a zombie (containers may not reap orphans). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

// @ts-expect-error: a plain .mjs script without types; it owns where mlx-lm is installed.
const { mlxLmPath } = (await import('../../../bench/install-mlx-lm.mjs')) as { mlxLmPath: string };

/**
 * Runs a Python script that writes a GGUF with gguf-py: the `gguf` pip package, or the copy in
 * the llama.cpp source we built from, with numpy from the mlx-lm install scripts/test.sh makes
 * for the MLX tests (bench/install-mlx-lm.mjs). Returns the file, or undefined (with a warning
 * naming `what`) without them.
 */
export function writeGguf(what: string, script: string, args: string[], name: string): string | undefined {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'heylook-gguf-')), name);
  const built = findBuiltLlamaServer();
  const pythonPath = [process.env.PYTHONPATH, built && path.join(path.dirname(path.dirname(built.llamaServerPath)), 'src', 'gguf-py'), mlxLmPath]
    .filter(Boolean)
    .join(path.delimiter);
  const result = spawnSync('python3', [script, ...args, out], { env: { ...process.env, PYTHONPATH: pythonPath }, encoding: 'utf8' });
  if (result.status !== 0) {
    console.warn(`skipping ${what}: could not generate the test GGUF (pip install gguf): ${result.stderr ?? result.error}`);
    return undefined;
  }
  return out;
}

export const benchScript = (name: string): string => fileURLToPath(new URL(`../../../bench/${name}`, import.meta.url));
