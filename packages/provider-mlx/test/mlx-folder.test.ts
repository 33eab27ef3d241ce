import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturesDir } from '@heylook/core/testing';
import { expect, it } from 'vitest';
import { describeFolder } from '../src/mlx-folder.js';

// Ollama's /api/generate uses the default template {{ .Prompt }} for a model without one, so listings must say which is which.
it('describes a folder with its chat template, and one without none (no native addon needed)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-mlx-folder-'));
  await cp(path.join(fixturesDir, 'stories260K-hf'), dir, { recursive: true });
  expect((await describeFolder(dir)).chatTemplate).toBeUndefined();
  await writeFile(path.join(dir, 'chat_template.jinja'), '{{ messages }}');
  expect((await describeFolder(dir)).chatTemplate).toBe('{{ messages }}');
});
