import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
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

/** An app whose one provider package installs fine but reports it cannot run here. */
async function appWithUnreadyProvider() {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-readiness-'));
  const home = path.join(dir, 'home');
  const pkg = path.join(dir, 'node_modules', 'heylook-provider-needy');
  await mkdir(home);
  await mkdir(pkg, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', dependencies: { 'heylook-provider-needy': '1.0.0' } }));
  await writeFile(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'heylook-provider-needy', version: '1.0.0', type: 'module', exports: './index.js', heylook: { specificationVersion: 'v1', providerId: 'needy' } }),
  );
  await writeFile(
    path.join(pkg, 'index.js'),
    `export default {
      specificationVersion: 'v1',
      providerId: 'needy',
      configSchema: { safeParse: (value) => ({ success: true, data: value }) },
      create() { throw new Error('not used'); },
      check: async () => ({ ready: false, problem: 'the needy runtime is missing', fix: 'run \`needy setup\`' }),
    };\n`,
  );
  await writeFile(path.join(dir, 'models.yaml'), 'models:\n  - id: wants-needy\n    provider: needy\n');
  return { dir, env: cleanEnv(home) };
}

describe('provider readiness', () => {
  it('heylook providers prints what is missing and the fix, not "ok"', async () => {
    const { dir, env } = await appWithUnreadyProvider();
    const result = await runCli(['providers'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/needy\s+heylook-provider-needy\s+1\.0\.0\s+v1\s+.*NOT READY: the needy runtime is missing\. Fix: run `needy setup`/);
  });

  it('heylook serve warns at start about a provider its models need', async () => {
    const { dir, env } = await appWithUnreadyProvider();
    const cli = await startServe([], { cwd: dir, env });
    running.push(cli);
    expect(cli.output()).toContain('warning: provider "needy" cannot load models: the needy runtime is missing. Fix: run `needy setup`');
  });
});
