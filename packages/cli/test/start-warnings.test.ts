import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, startServe, type RunningCli } from './cli-helpers.js';

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exit;
  }
});

async function workspace() {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-warnings-'));
  const home = path.join(dir, 'home');
  await mkdir(home);
  return { dir, env: cleanEnv(home) };
}

describe('what serve and init say before anything fails', () => {
  it('warns about a missing model_path and suggests the provider a typo meant', async () => {
    const { dir, env } = await workspace();
    await writeFile(
      path.join(dir, 'models.yaml'),
      'models:\n  - id: gone\n    provider: gguf\n    config: { model_path: gone.gguf }\n  - id: typo\n    provider: ggfu\n    config: { model_path: gone.gguf }\n',
    );
    const cli = await startServe([], { cwd: dir, env });
    running.push(cli);
    expect(cli.output()).toContain(`model_path ${path.join(dir, 'gone.gguf')} does not exist`);
    expect(cli.output()).toContain('names provider "ggfu", which is not installed. Did you mean "gguf"?');
  });

  it('warns when a models.yaml enables no model', async () => {
    const { dir, env } = await workspace();
    await writeFile(path.join(dir, 'models.yaml'), 'models: []\n');
    const cli = await startServe([], { cwd: dir, env });
    running.push(cli);
    expect(cli.output()).toMatch(/models\.yaml lists no enabled models, so nothing will be served/);
  });

  it('init in a folder without models writes nothing and says where to look', async () => {
    const { dir, env } = await workspace();
    const result = await runCli(['init'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('not written');
    expect(await readdir(dir)).toEqual(['home']);
  });

  it('rejects a port that is not a number as a usage error', async () => {
    const { dir, env } = await workspace();
    const result = await runCli(['serve', '--port', 'abc'], { cwd: dir, env });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^heylook: --port must be a whole number from 0 to 65535, not "abc"\./);
  });
});
