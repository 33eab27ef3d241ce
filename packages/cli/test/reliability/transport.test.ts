import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, startServe, storiesPath, type RunningCli } from '../cli-helpers.js';

const running: RunningCli[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exit;
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function serveWith(args: string[], env: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-transport-'));
  dirs.push(dir);
  const home = path.join(dir, 'home');
  await mkdir(home);
  await writeFile(
    path.join(dir, 'models.yaml'),
    `cors_origins: ["https://app.example"]\nmodels:\n  - id: stories\n    provider: gguf\n    config:\n      model_path: ${storiesPath}\n      n_ctx: 256\n      n_threads: 1\n`,
  );
  const cli = await startServe(['--config', 'models.yaml', ...args], { cwd: dir, env: cleanEnv(home, env) });
  running.push(cli);
  return cli;
}

describe('serve transport settings', () => {
  it('takes keys from the environment, accepts them as Bearer and x-api-key, and never logs them', async () => {
    const cli = await serveWith(['--log-level', 'trace'], { HEYLOOK_API_KEYS: 'key-one-secret,key-two-secret' });
    expect(cli.output()).not.toMatch(/warning: heylook is reachable/);
    const models = (headers: Record<string, string>) => fetch(`${cli.url}/v1/models`, { headers });
    expect((await models({})).status).toBe(401);
    expect((await models({ authorization: 'Bearer wrong-key-secret' })).status).toBe(401);
    expect((await models({ authorization: 'Bearer key-one-secret' })).status).toBe(200);
    expect((await fetch(`${cli.url}/api/tags`, { headers: { 'x-api-key': 'key-two-secret' } })).status).toBe(200);
    expect((await fetch(`${cli.url}/health`)).status).toBe(200);
    // The config file's origin is allowed; others are refused before any work.
    expect((await models({ authorization: 'Bearer key-one-secret', origin: 'https://app.example' })).headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await models({ authorization: 'Bearer key-one-secret', origin: 'https://evil.example' })).status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the child flush its log lines
    expect(cli.output()).toMatch(/incoming request/);
    expect(cli.output()).not.toMatch(/key-one-secret|key-two-secret|wrong-key-secret/);
  });

  it('warns when bound beyond loopback without a key, and checks Host only on loopback', async () => {
    const open = await serveWith(['--host', '0.0.0.0']);
    expect(open.output()).toMatch(/warning: heylook is reachable from other machines \(0\.0\.0\.0\) without an API key/);
    const local = await serveWith([]);
    const port = new URL(local.url).port;
    // fetch cannot forge Host; a raw request can, as a DNS-rebinding page effectively does.
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/api/tags', headers: { host } }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        })
          .on('error', reject)
          .end();
      });
    expect(await status(`evil.example:${port}`)).toBe(403);
    expect(await status(`localhost:${port}`)).toBe(200);
  });
});
