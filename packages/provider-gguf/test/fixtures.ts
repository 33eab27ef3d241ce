import path from 'node:path';
import type { StreamPart } from '@heylook/core';
import { createTestModel, fixturesDir } from '@heylook/core/testing';
import { ggufProvider } from '../src/index.js';
import type { GgufModel } from '../src/gguf-model.js';

export { fixturesDir, referenceStory } from '@heylook/core/testing';
export const storiesPath = path.join(fixturesDir, 'stories260K.gguf');

/** Creates (not loads) a stories260K model with config overrides, validated like models.yaml. */
export function createStories(config: Record<string, unknown> = {}, modelId = 'stories'): GgufModel {
  return createTestModel(ggufProvider, { model_path: 'stories260K.gguf', n_ctx: 512, ...config }, { id: modelId }) as GgufModel;
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
