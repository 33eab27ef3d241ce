import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProviderConfig, type ModelEntry, type ProviderContext, type StreamPart } from '@heylook/core';
import { ggufProvider } from '../src/index.js';
import type { GgufModel } from '../src/gguf-model.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The shared fixtures folder (HEYLOOK_FIXTURES, default ../shared/models next to the repo). */
export const fixturesDir = process.env.HEYLOOK_FIXTURES ?? path.resolve(here, '../../../../shared/models');
export const storiesPath = path.join(fixturesDir, 'stories260K.gguf');

/** Karpathy's greedy reference story, read from PROVENANCE.md (565 characters). */
export function referenceStory(): string {
  const provenance = readFileSync(path.join(fixturesDir, 'PROVENANCE.md'), 'utf8');
  const block = provenance.split('-t 0.0`):**')[1]!.split('```')[1]!;
  return block
    .split('\n')
    .slice(1, -1)
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n');
}

export const testContext: ProviderContext = {
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  baseDir: fixturesDir,
};

/** Creates (not loads) a stories260K model with config overrides, validated like models.yaml. */
export function createStories(config: Record<string, unknown> = {}, modelId = 'stories'): GgufModel {
  const entry: ModelEntry = {
    id: modelId,
    provider: 'gguf',
    enabled: true,
    tags: [],
    aliases: [],
    config: { model_path: 'stories260K.gguf', n_ctx: 512, ...config },
    baseDir: fixturesDir,
    source: 'test',
  };
  const { config: parsed } = parseProviderConfig(ggufProvider, entry);
  return ggufProvider.create(modelId, parsed, testContext) as GgufModel;
}

export interface Collected {
  text: string;
  reasoning: string;
  parts: StreamPart[];
  finish: Extract<StreamPart, { type: 'finish' }>;
}

export async function collect(stream: AsyncIterable<StreamPart>): Promise<Collected> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const finish = parts.find((part) => part.type === 'finish');
  if (!finish || finish.type !== 'finish') throw new Error('stream ended without a finish part');
  return {
    text: parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''),
    reasoning: parts.map((part) => (part.type === 'reasoning-delta' ? part.text : '')).join(''),
    parts,
    finish,
  };
}
