import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, spawnHeylook, startServe, startUpstream, type Upstream } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let upstream: Upstream;
let project: string;

// A user's project: the provider in its package.json (and node_modules), a remote model in models.yaml.
beforeAll(async () => {
  upstream = await startUpstream();
  project = await mkdtemp(path.join(tmpdir(), 'heylook-remote-project-'));
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies: { '@heylook/provider-openai-compatible': '*' } }));
  await mkdir(path.join(project, 'node_modules', '@heylook'), { recursive: true });
  await symlink(packageDir, path.join(project, 'node_modules', '@heylook', 'provider-openai-compatible'), 'dir');
  await writeFile(
    path.join(project, 'models.yaml'),
    `models:\n  - id: far-stories\n    provider: openai-compatible\n    config:\n      base_url: ${upstream.url}\n      model: stories\n`,
  );
});
afterAll(() => upstream?.kill());

async function run(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawnHeylook(project, args);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout };
}

describe('heylook with a remote model', () => {
  it('`heylook ls` lists it with its origin', async () => {
    const { code, stdout } = await run(['ls']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`far-stories\\s+openai-compatible\\s+-\\s+yes\\s+stories @ ${upstream.url}\\n`));
  });

  it('`heylook serve` discovers the provider from package.json and serves the remote model on both APIs', async () => {
    const front = await startServe(project, ['--port', '0']);
    try {
      expect(front.output()).toMatch(/far-stories\s+\[openai-compatible\]/);
      const answer = await postJson(`${front.url}/api/generate`, { model: 'far-stories', prompt: 'Once upon a time', raw: true, stream: false, options: { num_predict: 6, temperature: 0 } });
      expect(answer.body.response).toBe(', there was a little g');
      const tags = (await (await fetch(`${front.url}/api/tags`)).json()) as { models: { name: string; remote_host?: string }[] };
      expect(tags.models).toEqual([expect.objectContaining({ name: 'far-stories:latest', remote_host: `${upstream.url}/v1` })]);
    } finally {
      await front.kill();
    }
  });
});
